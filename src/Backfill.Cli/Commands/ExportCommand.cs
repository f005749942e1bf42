using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Engine.Datasets.Fop;
using Backfill.Engine.Gaps;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>export</c>: one CSV in the reference layout over a range of <c>fop</c> dates, stitched from the per-date CSVs
/// (columns = every option selected in the range, in chronological order; empty cells where an option is not alive).
/// Written atomically to <c>--output</c>, or to stdout when no file is given.
/// </summary>
internal static class ExportCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var range = new RangeOptions();
        var output = new Option<string?>("--output", "-o") { Description = "File to write (atomically, owner-only). Without it the CSV goes to stdout." };
        var command = new Command("export", "Combine the fop dataset's per-date CSVs over a range into one CSV in the reference layout.") { output };
        range.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            if (context.Dataset.Name != "fop")
            {
                throw new InvalidInputException($"export combines per-date CSVs of the fop dataset; '{context.Dataset.Name}' files are Parquet only. Use --dataset fop.");
            }

            var (fromOption, toOption) = range.Read(context);
            await using var ledger = await context.OpenLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            var from = fromOption ?? settings.StartDate ?? throw new InvalidInputException(
                "No start date: pass --from YYYY-MM-DD, or set one with: backfill config set processing.startDate 2024-01-02");
            var to = toOption ?? GapAnalyzer.LatestCompleteSession(context.Dataset.Calendar, environment.Time.GetUtcNow());
            Core.Time.DateInput.EnsureOrdered(from, to);
            var result = await new FopExport(ledger).BuildAsync(context.Dataset.Name, settings.OutputDirectory, from, to, ct);
            if (result.MissingSessions.Count > 0)
            {
                context.Warn($"{result.MissingSessions.Count} session(s) between {from:yyyy-MM-dd} and {to:yyyy-MM-dd} have no done date and are left out " +
                             $"(first {result.MissingSessions[0]:yyyy-MM-dd}); see 'backfill --dataset fop gaps --from {from:yyyy-MM-dd} --to {to:yyyy-MM-dd}'.");
            }

            if (parse.GetValue(output) is not { } path)
            {
                await context.Out.WriteAsync(result.Csv);
                return ExitCodes.Ok;
            }

            var file = await FopExport.WriteAsync(path, result.Csv, ct);
            var table = new ResultTable("Export", "path", "from", "to", "dates", "options", "missing_sessions", "bytes", "sha256");
            table.Add(file.Path, result.Dates[0], result.Dates[^1], result.Dates.Count, result.Options.Count, result.MissingSessions.Count, file.SizeBytes, file.Sha256);
            table.Notes.Add($"Columns: timestamp, Futures_Price, {string.Join(", ", result.Options)}.");
            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
