using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
using Backfill.Engine.Gaps;
using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Operations.Metrics;

namespace Backfill.Cli.Commands;

/// <summary>Runs the engine over a list of dates with progress, stop handling and a summary: shared by every processing command.</summary>
internal static class ProcessingRun
{
    /// <param name="adjust">Changes to the processing options for this command (force, max DTE).</param>
    /// <param name="schedule">How the dates are worked through (default: a <see cref="RangeRunner"/>; <c>worker</c> passes a <see cref="UnitWorker"/>).</param>
    public static async Task<int> RunAsync(
        CommandContext context, ILedger ledger, EffectiveSettings settings, IReadOnlyList<DateOnly> dates,
        Func<ProcessingOptions, ProcessingOptions> adjust, CancellationToken ct,
        Func<IUnitProcessor, IProcessingObserver, CancellationToken, Task<IReadOnlyList<UnitOutcome>>>? schedule = null)
    {
        var dataset = context.Dataset;
        var options = adjust(ProcessingOptions.From(settings, dataset.Name, RetryPolicyTable.Default));
        foreach (var directory in new[] { options.OutputDirectory, options.TempDirectory }.Where(d => !Backfill.Storage.Outputs.OutputStores.IsRemote(d)))
        {
            if (SettingValidator.WritableDirectoryProblem(directory) is { } problem)
            {
                throw new EnvironmentProblemException($"'{directory}' {problem}");
            }
        }

        var recovered = (await ledger.RecoverExpiredAsync(dataset.Name, ct))
            .Concat(await DeadWorkers.RecoverAsync(ledger, dataset.Name, ct)).Distinct().Order().ToList();
        if (recovered.Count > 0)
        {
            context.Warn($"{recovered.Count} date(s) left in processing by a stopped worker were marked interrupted and will resume: {string.Join(", ", recovered.Select(d => d.ToString("yyyy-MM-dd", null)))}.");
        }

        using var metrics = MetricsPipeline.Start(OperationsSettings.Metrics(settings) with { Dataset = dataset.Name }, context.Warn);
        using var loggers = Operations.Create(context, settings);
        await using var session = await ProcessingSession.OpenAsync(dataset, context.Host(ledger, loggers), settings, options, dates, ct);
        using var stop = StopSignal.Watch(options.TempDirectory, ct);
        var runner = new RangeRunner(session.Processor, options.MaxConcurrentDates);
        var display = new ProgressDisplay(context, dataset.SubUnits);
        var outcomes = await display.RunAsync(observer => schedule is null
            ? runner.RunAsync(dates, new UnitMetricsObserver(dataset.Name, observer), stop.Token, CancellationToken.None)
            : schedule(session.Processor, new UnitMetricsObserver(dataset.Name, observer), stop.Token));
        Summarise(context, dataset.SubUnits, outcomes);
        await AlertsCommand.NotifyAfterRunAsync(context, ledger, settings, loggers);
        var command = DatasetRegistry.Command(dataset.Name, string.Empty).TrimEnd();
        if (outcomes.Any(o => o.Kind == UnitOutcomeKind.Failed))
        {
            await context.Error.WriteLineAsync($"Some dates failed; the others are kept. See '{command} list --failed-only' and retry with '{command} retry --all-failed'.");
            return ExitCodes.Failed;
        }

        if (outcomes.Any(o => o.Kind == UnitOutcomeKind.Interrupted))
        {
            await context.Error.WriteLineAsync($"Stopped ({stop.Reason ?? "interrupted"}). Completed {dataset.SubUnits.Many} are kept; run the same command again to resume.");
            return ct.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Ok;
        }

        return ExitCodes.Ok;
    }

    /// <summary>Loads settings and checks every date, refusing the whole command when one is not processable.</summary>
    public static async Task<(EffectiveSettings Settings, DateOnly Latest)> PrepareAsync(
        CommandContext context, ILedger ledger, IEnumerable<DateOnly> dates, CancellationToken ct)
    {
        var settings = await context.LoadSettingsAsync(ledger, ct);
        var calendar = context.Dataset.Calendar;
        var latest = GapAnalyzer.LatestCompleteSession(calendar, context.Environment.Time.GetUtcNow());
        foreach (var date in dates)
        {
            DateValidator.EnsureProcessable(calendar, date, settings.StartDate, latest);
        }

        return (settings, latest);
    }

    private static void Summarise(CommandContext context, SubUnitNoun subUnits, IReadOnlyList<UnitOutcome> outcomes)
    {
        var table = new ResultTable("Summary", "date", "outcome", "rows", "bytes", subUnits.Many, "resumed", "requests", "seconds", "quality", "sha256", "message");
        foreach (var o in outcomes)
        {
            table.Add(o.Date, o.Kind.ToString().ToLowerInvariant(), o.Rows, o.FileBytes, o.SubUnits, o.SubUnitsResumed, o.ApiRequests,
                Math.Round(o.Duration.TotalSeconds, 1), o.QualityScore is { } q ? Math.Round(q, 4) : null, o.FileSha256, o.Message);
        }

        var ok = outcomes.Count(o => o.Kind == UnitOutcomeKind.Success);
        table.Notes.Add($"{ok} succeeded, {outcomes.Count(o => o.Kind == UnitOutcomeKind.Failed)} failed, " +
                        $"{outcomes.Count(o => o.Kind == UnitOutcomeKind.Interrupted)} interrupted, {outcomes.Count(o => o.Kind == UnitOutcomeKind.Skipped)} skipped.");
        foreach (var o in outcomes.Where(o => o.FilePath is not null && o.Kind == UnitOutcomeKind.Success).Take(3))
        {
            table.Notes.Add($"{o.Date:yyyy-MM-dd}: {o.FilePath}");
        }

        context.Render(table);
    }
}
