using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Engine.Processing;
using Backfill.Engine.Verification;

namespace Backfill.Cli.Commands;

/// <summary><c>verify</c>: checks every successful unit's file against the ledger, and finds files the ledger does not know.</summary>
internal static class VerifyCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var range = new RangeOptions();
        var roots = new RootOption();
        var deep = new Option<bool>("--deep") { Description = "Also re-read every row and recompute the content checksum (slower)." };
        var command = new Command("verify", "Check published files against the ledger: missing, corrupted, extra and insecure files. Exit 1 if any.");
        range.AddTo(command);
        roots.AddTo(command);
        command.Options.Add(deep);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var (from, to) = range.Read(context);
            _ = context.Choice; // an unknown --dataset is exit 2 whether or not a ledger exists yet
            await using var ledger = await context.OpenExistingLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            var family = context.Choice.IsFamily;
            var reports = new List<OutputVerificationReport>();
            foreach (var dataset in roots.Select(context, settings))
            {
                // The dataset reads its own outputs (an encrypted dataset decrypts them in memory; a missing key store is an error, exit 2).
                var checker = dataset.CreateChecker(context.Host(ledger), settings);
                var store = EnginePaths.OutputStore(settings, dataset.Name);
                reports.Add(await new OutputVerifier(ledger).VerifyAsync(dataset, store, checker, from, to, parse.GetValue(deep), ct));
            }

            var span = from is null && to is null ? "all dates" : $"{from:yyyy-MM-dd} .. {to:yyyy-MM-dd}";
            var first = reports[0];
            string[] columns = ["date", "status", "path", "expected_sha256", "actual_sha256", "message"];
            var table = ResultTable.PerDataset($"Verify {(family ? context.Choice.Name : first.Dataset)} ({span}){(first.Deep ? ", deep" : "")} in {first.OutputRoot}",
                family, columns);
            foreach (var report in reports)
            {
                foreach (var f in report.Findings)
                {
                    object?[] cells = [f.Date, OutputVerificationReport.Name(f.Status), f.Path, Short(f.ExpectedSha256), Short(f.ActualSha256), f.Message];
                    table.AddFor(report.Dataset, cells);
                }

                table.NoteFor(report.Dataset, Summary(report));
            }

            context.Render(table);
            return reports.All(r => r.AllOk) ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }

    public static string Summary(OutputVerificationReport report) =>
        $"{report.UnitsChecked} unit(s) checked: {report.Count(OutputFileStatus.Ok)} ok, {report.Count(OutputFileStatus.Missing)} missing, " +
        $"{report.Count(OutputFileStatus.Corrupted)} corrupted, {report.Count(OutputFileStatus.InsecurePermissions)} insecure-permissions; " +
        $"{report.Count(OutputFileStatus.Extra)} extra file(s)." +
        (report.AllOk ? "" : $" Fix: '{Engine.Datasets.DatasetRegistry.Command(report.Dataset, "cleanup --failed-outputs")}' removes corrupted files and queues their dates again.");

    private static string? Short(string? sha) => sha is null ? null : sha.Length > 12 ? sha[..12] : sha;
}
