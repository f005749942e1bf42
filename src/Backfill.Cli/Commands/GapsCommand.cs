using System.CommandLine;
using System.Diagnostics;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
using Backfill.Engine.Gaps;
using Backfill.Engine.Processing;
using Backfill.Ledger;

namespace Backfill.Cli.Commands;

/// <summary><c>gaps</c>: trading sessions without verified output, by category and priority.</summary>
internal static class GapsCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var range = new RangeOptions();
        var roots = new RootOption();
        var limit = new Option<int?>("--limit") { Description = "Show at most this many gaps (highest priority first; per root with --dataset options)." };
        var command = new Command("gaps", "List trading sessions that have no verified output: never attempted, failed, interrupted or missing.");
        range.AddTo(command);
        roots.AddTo(command);
        command.Options.Add(limit);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            if (parse.GetValue(limit) is < 1 and var bad)
            {
                throw new InvalidInputException($"--limit: {bad} shows no gap; give 1 or more, or leave --limit out to show them all.");
            }

            // A mistyped range is exit 2 whether or not a ledger exists yet.
            var requested = range.Read(context);
            _ = context.Choice; // an unknown --dataset is exit 2 whether or not a ledger exists yet
            await using var ledger = await context.OpenExistingLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            var family = context.Choice.IsFamily;
            var watch = Stopwatch.StartNew();
            var reports = new List<GapReport>();
            foreach (var dataset in roots.Select(context, settings))
            {
                reports.Add(await AnalyzeAsync(context, ledger, dataset, settings, requested, ct));
            }

            watch.Stop();
            var first = reports[0];
            string[] columns = ["date", "category", "attempts", "priority", "progress", "last_error"];
            var table = ResultTable.PerDataset($"Gaps in {(family ? context.Choice.Name : first.Dataset)} ({first.Calendar}) {first.From:yyyy-MM-dd} .. {first.To:yyyy-MM-dd}",
                family, columns);
            foreach (var report in reports)
            {
                var shown = parse.GetValue(limit) is { } n ? report.Gaps.Take(n) : report.Gaps;
                foreach (var gap in shown)
                {
                    object?[] cells = [gap.Date, Name(gap.Category), gap.Attempts, gap.Priority,
                        gap.SubUnitsTotal is { } total ? $"{gap.SubUnitsDone}/{total}" : null,
                        gap.LastErrorType is null ? null : $"{gap.LastErrorType}: {gap.LastErrorMessage}"];
                    table.AddFor(report.Dataset, cells);
                }

                table.NoteFor(report.Dataset,
                    $"{report.Sessions} sessions, {report.Succeeded} done, {report.Gaps.Count} gaps " +
                    $"({report.Count(GapCategory.NeverAttempted)} never attempted, {report.Count(GapCategory.Failed)} failed, " +
                    $"{report.Count(GapCategory.FailedPermanent)} failed permanently, {report.Count(GapCategory.Interrupted)} interrupted, " +
                    $"{report.Count(GapCategory.MissingOutput)} missing files, {report.Count(GapCategory.Pruned)} pruned by retention), {report.InProgress} in progress" +
                    (family ? "." : $"; analysed in {watch.Elapsed.TotalMilliseconds:F1} ms."));
            }

            if (family)
            {
                table.Notes.Add($"Analysed in {watch.Elapsed.TotalMilliseconds:F1} ms.");
            }

            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static string Name(GapCategory category) => GapCategoryNames.Name(category);

    /// <summary>Runs gap analysis of <paramref name="dataset"/> over the range asked for, defaulting to start date .. latest complete session.</summary>
    public static async Task<GapReport> AnalyzeAsync(
        CommandContext context, ILedger ledger, IDataset dataset, EffectiveSettings settings, (DateOnly? From, DateOnly? To) range, CancellationToken ct)
    {
        var calendar = dataset.Calendar;
        var now = context.Environment.Time.GetUtcNow();
        var latest = GapAnalyzer.LatestCompleteSession(calendar, now);
        var from = range.From ?? settings.StartDate ?? throw new InvalidInputException(
            "No start date: pass --from YYYY-MM-DD, or set one with: backfill config set processing.startDate 2020-01-02");
        var to = range.To ?? latest;
        if (to > latest)
        {
            to = latest;
        }

        if (from < calendar.FirstDate || from > calendar.LastDate)
        {
            throw new InvalidInputException(
                $"--from {from:yyyy-MM-dd} is outside the {calendar.Name} calendar ({calendar.FirstDate:yyyy-MM-dd} .. {calendar.LastDate:yyyy-MM-dd}).");
        }

        if (from > to)
        {
            throw new InvalidInputException(
                $"The range starts {from:yyyy-MM-dd}, after the latest complete session {to:yyyy-MM-dd}: there is nothing to check yet.");
        }

        var units = await ledger.ListUnitsAsync(dataset.Name, from, to, null, ct);
        var store = EnginePaths.OutputStore(settings, dataset.Name);
        var stored = await GapAnalyzer.StoredOutputsAsync(dataset, store, ct);
        return GapAnalyzer.Analyze(dataset.Name, calendar, from, to, units, settings.RetryLimit, now,
            unit => unit.FilePath is { } path && store.KeyOf(path) is { } key && stored.Contains(key));
    }
}
