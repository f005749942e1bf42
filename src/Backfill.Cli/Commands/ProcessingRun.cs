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
    public static Task<int> RunAsync(
        CommandContext context, ILedger ledger, EffectiveSettings settings, IReadOnlyList<DateOnly> dates,
        Func<ProcessingOptions, ProcessingOptions> adjust, CancellationToken ct,
        Func<IUnitProcessor, IProcessingObserver, CancellationToken, Task<IReadOnlyList<UnitOutcome>>>? schedule = null) =>
        RunAsync(context, ledger, settings, [(context.Dataset, dates)], adjust, ct, schedule);

    /// <summary>
    /// Runs each dataset's dates in turn (a family's members, one per root), with one stop signal for all: a stop ends
    /// the dataset in flight and starts no further one. Exit 1 when any date failed.
    /// </summary>
    public static async Task<int> RunAsync(
        CommandContext context, ILedger ledger, EffectiveSettings settings, IReadOnlyList<(IDataset Dataset, IReadOnlyList<DateOnly> Dates)> work,
        Func<ProcessingOptions, ProcessingOptions> adjust, CancellationToken ct,
        Func<IUnitProcessor, IProcessingObserver, CancellationToken, Task<IReadOnlyList<UnitOutcome>>>? schedule = null)
    {
        foreach (var directory in new[] { settings.OutputDirectory, settings.TempDirectory }.Where(d => !Backfill.Storage.Outputs.OutputStores.IsRemote(d)))
        {
            if (SettingValidator.WritableDirectoryProblem(directory) is { } problem)
            {
                throw new EnvironmentProblemException($"'{directory}' {problem}");
            }
        }

        using var loggers = Operations.Create(context, settings);
        using var stop = StopSignal.Watch(settings.TempDirectory, ct);
        var exit = ExitCodes.Ok;
        foreach (var (dataset, dates) in work.Where(w => w.Dates.Count > 0))
        {
            var code = await RunOneAsync(context, ledger, settings, dataset, dates, adjust, loggers, stop, context.Choice.IsFamily, schedule, ct);
            exit = exit == ExitCodes.Failed || code == ExitCodes.Ok ? exit : code;
            if (stop.Token.IsCancellationRequested)
            {
                break;
            }
        }

        await AlertsCommand.NotifyAfterRunAsync(context, ledger, settings, loggers);
        return exit;
    }

    private static async Task<int> RunOneAsync(
        CommandContext context, ILedger ledger, EffectiveSettings settings, IDataset dataset, IReadOnlyList<DateOnly> dates,
        Func<ProcessingOptions, ProcessingOptions> adjust, Microsoft.Extensions.Logging.ILoggerFactory loggers, StopSignal stop, bool named,
        Func<IUnitProcessor, IProcessingObserver, CancellationToken, Task<IReadOnlyList<UnitOutcome>>>? schedule, CancellationToken ct)
    {
        var options = adjust(ProcessingOptions.From(settings, dataset.Name, RetryPolicyTable.Default));
        var recovered = (await ledger.RecoverExpiredAsync(dataset.Name, ct))
            .Concat(await DeadWorkers.RecoverAsync(ledger, dataset.Name, ct)).Distinct().Order().ToList();
        if (recovered.Count > 0)
        {
            context.Warn($"{(named ? dataset.Name + ": " : string.Empty)}{recovered.Count} date(s) left in processing by a stopped worker were marked interrupted and will resume: {string.Join(", ", recovered.Select(d => d.ToString("yyyy-MM-dd", null)))}.");
        }

        using var metrics = MetricsPipeline.Start(OperationsSettings.Metrics(settings) with { Dataset = dataset.Name }, context.Warn);
        await using var session = await ProcessingSession.OpenAsync(dataset, context.Host(ledger, loggers), settings, options, dates, ct);
        var runner = new RangeRunner(session.Processor, options.MaxConcurrentDates);
        var display = new ProgressDisplay(context, dataset.SubUnits);
        var outcomes = await display.RunAsync(observer => schedule is null
            ? runner.RunAsync(dates, new UnitMetricsObserver(dataset.Name, observer), stop.Token, CancellationToken.None)
            : schedule(session.Processor, new UnitMetricsObserver(dataset.Name, observer), stop.Token));
        Summarise(context, named ? $"Summary of {dataset.Name}" : "Summary", dataset.SubUnits, outcomes);
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
        var calendar = context.Choice.Calendar;
        var latest = GapAnalyzer.LatestCompleteSession(calendar, context.Environment.Time.GetUtcNow());
        foreach (var date in dates)
        {
            DateValidator.EnsureProcessable(calendar, date, settings.StartDate, latest);
        }

        return (settings, latest);
    }

    private static void Summarise(CommandContext context, string title, SubUnitNoun subUnits, IReadOnlyList<UnitOutcome> outcomes)
    {
        var table = new ResultTable(title, "date", "outcome", "rows", "bytes", subUnits.Many, "resumed", "requests", "seconds", "quality", "sha256", "message");
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
