using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Engine.Health;

namespace Backfill.Cli.Commands;

/// <summary><c>health</c>: disk, ledger, folders, source, memory and rate limits, each ok/warn/fail, within a few seconds. Exit 3 on any fail.</summary>
internal static class HealthCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var command = new Command("health", "Check disk space, the ledger, the output and temp folders, the source, memory and rate limits. Exit 3 if any check fails.");
        var roots = new RootOption();
        roots.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            await using var ledger = await context.OpenExistingLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            var anyFail = false;
            var family = context.Choice.IsFamily;
            var datasets = roots.Select(context, settings);
            // A family (--dataset options) is checked member by member, in one table: each root is its own dataset with its own source check.
            var table = ResultTable.PerDataset($"Health of {(family ? context.Choice.Name : datasets[0].Name)}", family, "check", "status", "detail", "ms");
            foreach (var dataset in datasets)
            {
                var report = await new HealthChecker(dataset, context.Host(ledger), settings).CheckAsync(ct);
                foreach (var check in report.Checks)
                {
                    table.AddFor(dataset.Name, check.Name, HealthReport.Name(check.Level), check.Detail, Math.Round(check.Elapsed.TotalMilliseconds));
                }

                table.NoteFor(dataset.Name, $"{report.Count(HealthLevel.Ok)} ok, {report.Count(HealthLevel.Warn)} warn, " +
                    $"{report.Count(HealthLevel.Fail)} fail in {report.Elapsed.TotalMilliseconds:0} ms.");
                anyFail |= report.AnyFail;
            }

            context.Render(table);
            return anyFail ? ExitCodes.Environment : ExitCodes.Ok;
        });
        return command;
    }
}
