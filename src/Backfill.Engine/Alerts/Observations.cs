using Backfill.Core.Calendars;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
using Backfill.Engine.Gaps;
using Backfill.Engine.Processing;
using Backfill.Engine.Status;
using Backfill.Ledger;
using Backfill.Ledger.Model;

namespace Backfill.Engine.Alerts;

/// <summary>One dataset as the monitoring sees it: the ledger's counts, its gaps, its recent activity and its request budget.</summary>
/// <param name="InUse">The ledger holds at least one unit of it; a dataset never run has no gaps, coverage or success to alert on.</param>
/// <param name="Sessions">Complete sessions from <c>processing.startDate</c> (unset: the first date the ledger holds) to the latest complete one.</param>
/// <param name="LongestGapRun">The most consecutive sessions of that range without output (pruned ones excepted).</param>
/// <param name="OldestGapAge">Time since the end of the oldest gap's session; null when there is no gap.</param>
/// <param name="SessionsSinceLastSuccess">Complete sessions that ended after the newest success completed; null when none ever did.</param>
/// <param name="LastHour">Activity of the last hour.</param>
/// <param name="LastDay">Activity of the last 24 hours.</param>
public sealed record DatasetObservation(
    string Dataset,
    bool InUse,
    IReadOnlyDictionary<UnitStatus, int> Units,
    IReadOnlyDictionary<GapCategory, int> Gaps,
    int Sessions,
    int Succeeded,
    int LongestGapRun,
    TimeSpan? OldestGapAge,
    int? SessionsSinceLastSuccess,
    LedgerActivity LastHour,
    LedgerActivity LastDay,
    RequestBudget? Budget,
    long OutputBytes)
{
    /// <summary>Done sessions over the range's sessions, 0..1; null for an empty range.</summary>
    public double? Coverage => Sessions > 0 ? Math.Round((double)Succeeded / Sessions, 6) : null;

    /// <summary>Failed attempts over finished (failed or successful) ones in the last 24 hours; null when none finished.</summary>
    public double? FailureRate24h => Ratio(LastDay.Attempts("failed"), LastDay.Attempts("failed") + LastDay.Attempts("success"));

    /// <summary>Connectivity errors of the last hour (see <see cref="AlertRules.ConnectivityKinds"/>).</summary>
    public int ConnectivityErrors1h => LastHour.ErrorsByKind.Where(e => AlertRules.ConnectivityKinds.Contains(e.Key)).Sum(e => e.Value);

    /// <summary>
    /// Connectivity errors over the vendor requests of the last hour (a request that failed counts once even when the
    /// unit's own request count missed it); null when there were no requests.
    /// </summary>
    public double? ConnectivityFailureRate1h => Ratio(ConnectivityErrors1h, Math.Max(LastHour.SourceRequests, ConnectivityErrors1h));

    private static double? Ratio(long part, long whole) => whole > 0 ? Math.Round((double)part / whole, 6) : null;
}

/// <summary>The folders and the machine: free disk at the output and temp folders, memory and CPU in use.</summary>
public sealed record MachineObservation(DiskState Output, DiskState Temp, MachineUsage Usage)
{
    public static double? FreeRatio(DiskState disk) =>
        disk.Usage is { TotalBytes: > 0 } u ? Math.Round((double)u.FreeBytes / u.TotalBytes, 6) : null;
}

/// <summary>Everything the alert rules and the <c>/metrics</c> gauges read, taken at one moment.</summary>
public sealed record Observations(DateTimeOffset At, IReadOnlyList<DatasetObservation> Datasets, MachineObservation Machine)
{
    /// <summary>How long CPU use is measured for one observation.</summary>
    public static readonly TimeSpan CpuWindow = TimeSpan.FromMilliseconds(250);

    /// <summary>Reads every registered dataset (and each family's configured members) from the ledger (cheap aggregates and one pass over each calendar) and the machine.</summary>
    public static async Task<Observations> ReadAsync(
        ILedger ledger, DatasetRegistry datasets, EffectiveSettings settings, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(datasets);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(time);
        var machine = MachineUsage.MeasureAsync(CpuWindow, cancellationToken);
        var output = Task.Run(() => DiskState.Measure(settings.OutputDirectory), cancellationToken);
        var temp = Task.Run(() => DiskState.Measure(settings.TempDirectory), cancellationToken);
        var now = time.GetUtcNow();
        var all = datasets.Expand(settings);
        var list = new List<DatasetObservation>(all.Count);
        foreach (var dataset in all)
        {
            list.Add(await ReadDatasetAsync(ledger, dataset, settings, time, now, cancellationToken));
        }

        return new Observations(now, list, new MachineObservation(await output, await temp, await machine));
    }

    private static async Task<DatasetObservation> ReadDatasetAsync(
        ILedger ledger, IDataset dataset, EffectiveSettings settings, TimeProvider time, DateTimeOffset now, CancellationToken ct)
    {
        var summary = await ledger.GetSummaryAsync(dataset.Name, ct);
        var hour = await ledger.GetActivityAsync(dataset.Name, now.AddHours(-1), ct);
        var day = await ledger.GetActivityAsync(dataset.Name, now.AddHours(-24), ct);
        var budget = dataset is IRequestBudgetReporter reporter ? await BudgetAsync(reporter, ledger, settings, time, ct) : null;
        var gaps = Enum.GetValues<GapCategory>().ToDictionary(c => c, _ => 0);
        var inUse = summary.Counts.Values.Sum() > 0;
        int sessions = 0, succeeded = 0, longest = 0;
        TimeSpan? oldest = null;
        int? sinceSuccess = null;
        if (inUse)
        {
            var calendar = dataset.Calendar;
            var latest = GapAnalyzer.LatestCompleteSession(calendar, now);
            var units = await ledger.ListUnitsAsync(dataset.Name, null, null, null, ct);
            var from = Max(settings.StartDate ?? units[0].TradeDate, calendar.FirstDate);
            var to = latest > calendar.LastDate ? calendar.LastDate : latest;
            if (from <= to)
            {
                var store = EnginePaths.OutputStore(settings, dataset.Name);
                var keys = await GapAnalyzer.StoredOutputsAsync(dataset, store, ct);
                var report = GapAnalyzer.Analyze(dataset.Name, calendar, from, to, [.. units.Where(u => u.TradeDate >= from && u.TradeDate <= to)],
                    settings.RetryLimit, now, u => u.FilePath is { } path && store.KeyOf(path) is { } key && keys.Contains(key));
                foreach (var gap in report.Gaps)
                {
                    gaps[gap.Category]++;
                }

                (sessions, succeeded) = (report.Sessions, report.Succeeded);
                longest = LongestRun(calendar.SessionsBetween(from, to), report.Gaps.Where(g => g.Category != GapCategory.Pruned).Select(g => g.Date).ToHashSet());
                if (report.Gaps.Count > 0)
                {
                    oldest = now - SessionEnd(calendar, report.Gaps.Min(g => g.Date));
                }
            }

            if (day.LastSuccessAt is { } last)
            {
                var lastDay = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(last, calendar.TimeZone).DateTime);
                sinceSuccess = lastDay >= to ? 0 : calendar.SessionsBetween(lastDay.AddDays(1), to).Count(s => SessionEnd(calendar, s) > last);
            }
        }

        return new DatasetObservation(dataset.Name, inUse, Enum.GetValues<UnitStatus>().ToDictionary(s => s, s => summary.Counts.GetValueOrDefault(s)),
            gaps, sessions, succeeded, longest, oldest, sinceSuccess, hour, day, budget, summary.TotalBytes);
    }

    private static async Task<RequestBudget?> BudgetAsync(IRequestBudgetReporter reporter, ILedger ledger, EffectiveSettings settings, TimeProvider time, CancellationToken ct)
    {
        try
        {
            return await reporter.RequestBudgetAsync(new DatasetHost(ledger, time, _ => null, _ => { }), settings, ct);
        }
        catch (Exception e) when (e is Core.Errors.BackfillException or KeyNotFoundException or FormatException or InvalidOperationException)
        {
            // A dataset whose settings are not complete has no budget to show; the other gauges still are.
            return null;
        }
    }

    /// <summary>The most consecutive sessions in <paramref name="sessions"/> (ascending) that are in <paramref name="missing"/>.</summary>
    public static int LongestRun(IReadOnlyList<DateOnly> sessions, IReadOnlySet<DateOnly> missing)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        ArgumentNullException.ThrowIfNull(missing);
        int longest = 0, run = 0;
        foreach (var session in sessions)
        {
            run = missing.Contains(session) ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }

        return longest;
    }

    /// <summary>When a session's data is complete: its close (or the end of its day) in the exchange's time zone, as UTC.</summary>
    public static DateTimeOffset SessionEnd(ITradingCalendar calendar, DateOnly date)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var local = calendar.CloseTime(date) is { } close ? date.ToDateTime(close) : date.AddDays(1).ToDateTime(TimeOnly.MinValue);
        return new DateTimeOffset(local, calendar.TimeZone.GetUtcOffset(local));
    }

    private static DateOnly Max(DateOnly a, DateOnly b) => a > b ? a : b;
}
