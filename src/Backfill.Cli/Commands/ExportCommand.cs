using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Engine.Datasets;
using Backfill.Engine.Processing;
using Backfill.Engine.Gaps;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>export</c>: one file over a range of dates, for a dataset that can combine its outputs (<see cref="IRangeExporter"/>;
/// fop stitches its per-date CSVs into the reference layout). Written atomically to <c>--output</c>, or to stdout.
/// </summary>
internal static class ExportCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var range = new RangeOptions();
        var output = new Option<string?>("--output", "-o") { Description = "File to write (atomically, owner-only). Without it the CSV goes to stdout." };
        var exporters = environment.Datasets.All.Where(d => d is IRangeExporter).ToList();
        var command = new Command("export", "Combine a dataset's per-date outputs over a range into one file: " +
            string.Join("; ", exporters.Select(d => $"--dataset {d.Name}: {((IRangeExporter)d).ExportSummary}")) + ".") { output };
        range.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var dataset = context.Dataset;
            var exporter = dataset as IRangeExporter ?? throw new InvalidInputException(
                $"export: the {dataset.Name} dataset has no combined export (its files are read directly). Datasets with one: {string.Join(", ", exporters.Select(d => d.Name))}.");

            if (parse.GetValue(output) is { } requested)
            {
                LocalPath(requested);
            }

            var (fromOption, toOption) = range.Read(context);
            await using var ledger = await context.OpenLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            var from = fromOption ?? settings.StartDate ?? throw new InvalidInputException(
                "No start date: pass --from YYYY-MM-DD, or set one with: backfill config set processing.startDate 2024-01-02");
            var to = toOption ?? GapAnalyzer.LatestCompleteSession(context.Dataset.Calendar, environment.Time.GetUtcNow());
            Core.Time.DateInput.EnsureOrdered(from, to);
            var result = await exporter.ExportAsync(context.Host(ledger), settings, from, to, ct);
            if (result.MissingSessions.Count > 0)
            {
                context.Warn($"{result.MissingSessions.Count} session(s) between {from:yyyy-MM-dd} and {to:yyyy-MM-dd} have no done date and are left out " +
                             $"(first {result.MissingSessions[0]:yyyy-MM-dd}); see '{DatasetRegistry.Command(dataset.Name, "gaps")} --from {from:yyyy-MM-dd} --to {to:yyyy-MM-dd}'.");
            }

            if (parse.GetValue(output) is not { } path)
            {
                await context.Out.WriteAsync(result.Text);
                return ExitCodes.Ok;
            }

            var file = await ExportFile.WriteAsync(LocalPath(path), result.Text, ct);
            var table = new ResultTable("Export", "path", "from", "to", "dates", "options", "missing_sessions", "bytes", "sha256");
            table.Add(file.Path, result.Dates[0], result.Dates[^1], result.Dates.Count, result.Columns.Count - 2, result.MissingSessions.Count, file.SizeBytes, file.Sha256);
            table.Notes.Add($"Columns: {string.Join(", ", result.Columns)}.");
            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>
    /// The local file <c>--output</c> names. The export is a file for a person or another program, written where the
    /// command runs, by design: it reads the outputs through the store (a bucket too) but never writes into one.
    /// </summary>
    private static string LocalPath(string path)
    {
        var scheme = Backfill.Storage.Outputs.OutputStores.SchemeOf(path);
        if (scheme == "file")
        {
            return new Uri(path).LocalPath;
        }

        return scheme is null
            ? path
            : throw new InvalidInputException(
                $"export --output: '{Core.Time.DateInput.Printable(path)}' is not a local file; export writes a local file (or stdout without --output) " +
                "even when the outputs are in a bucket. Pass a local path (--output export.csv) and copy the file to the bucket with your S3 client.");
    }
}
