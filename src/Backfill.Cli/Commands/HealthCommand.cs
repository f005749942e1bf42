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
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            await using var ledger = await context.OpenExistingLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            var report = await new HealthChecker(context.Dataset, context.Host(ledger), settings).CheckAsync(ct);
            var table = new ResultTable($"Health of {context.Dataset.Name}", "check", "status", "detail", "ms");
            foreach (var check in report.Checks)
            {
                table.Add(check.Name, HealthReport.Name(check.Level), check.Detail, Math.Round(check.Elapsed.TotalMilliseconds));
            }

            table.Notes.Add($"{report.Count(HealthLevel.Ok)} ok, {report.Count(HealthLevel.Warn)} warn, {report.Count(HealthLevel.Fail)} fail " +
                $"in {report.Elapsed.TotalMilliseconds:0} ms.");
            context.Render(table);
            return report.AnyFail ? ExitCodes.Environment : ExitCodes.Ok;
        });
        return command;
    }
}
