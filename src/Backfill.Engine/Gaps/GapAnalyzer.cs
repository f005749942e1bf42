using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Core.Telemetry;
using Backfill.Ledger.Model;

namespace Backfill.Engine.Gaps;

/// <summary>
/// Trading sessions in a range minus the units the ledger holds as successful (and whose file still exists).
/// Pure computation over a calendar and the ledger's rows: milliseconds for decades.
/// </summary>
public static class GapAnalyzer
{
    /// <summary>Error kinds that retrying the same request will not fix.</summary>
    private static readonly HashSet<string> PermanentErrorTypes = new(StringComparer.Ordinal)
    {
        nameof(ErrorKind.PermissionDenied),
        nameof(ErrorKind.InvalidRequest),
        nameof(ErrorKind.ApiVersionGone),
        nameof(ErrorKind.LargeRequest),
    };

    /// <param name="outputExists">Checks a successful unit's file; null skips the check.</param>
    /// <param name="now">Used to tell live leases from expired ones.</param>
    public static GapReport Analyze(
        string dataset,
        ITradingCalendar calendar,
        DateOnly from,
        DateOnly to,
        IReadOnlyList<UnitRecord> units,
        int retryLimit,
        DateTimeOffset now,
        Func<UnitRecord, bool>? outputExists = null)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        ArgumentNullException.ThrowIfNull(units);
        var sessions = calendar.SessionsBetween(from, to);
        var byDate = new Dictionary<DateOnly, UnitRecord>(units.Count);
        foreach (var unit in units)
        {
            byDate[unit.TradeDate] = unit;
        }

        var gaps = new List<Gap>();
        int succeeded = 0, inProgress = 0;
        var last = Math.Max(1, sessions.Count - 1);
        for (var i = 0; i < sessions.Count; i++)
        {
            var date = sessions[i];
            var recency = (double)i / last;
            if (!byDate.TryGetValue(date, out var unit))
            {
                gaps.Add(new Gap(date, GapCategory.NeverAttempted, 0, null, null, 0, null, Score(GapCategory.NeverAttempted, recency, 0)));
                continue;
            }

            GapCategory category;
            switch (unit.Status)
            {
                case UnitStatus.Success when outputExists is null || outputExists(unit):
                    succeeded++;
                    continue;
                case UnitStatus.Success:
                    category = GapCategory.MissingOutput;
                    break;
                case UnitStatus.Processing when unit.LeaseExpiresAt > now:
                    inProgress++;
                    continue;
                case UnitStatus.Processing:
                case UnitStatus.Interrupted:
                    category = GapCategory.Interrupted;
                    break;
                case UnitStatus.Failed when Cleanup.Retention.IsPruned(unit):
                    category = GapCategory.Pruned;
                    break;
                case UnitStatus.Failed:
                    category = unit.AttemptCount >= retryLimit || (unit.LastErrorType is { } t && PermanentErrorTypes.Contains(t))
                        ? GapCategory.FailedPermanent
                        : GapCategory.Failed;
                    break;
                default:
                    category = GapCategory.NeverAttempted;
                    break;
            }

            gaps.Add(new Gap(date, category, unit.AttemptCount, unit.LastErrorType, unit.LastErrorMessage,
                unit.SubUnitsDone ?? 0, unit.SubUnitsTotal, Score(category, recency, unit.AttemptCount)));
        }

        gaps.Sort(static (a, b) =>
        {
            var byScore = b.Priority.CompareTo(a.Priority);
            return byScore != 0 ? byScore : b.Date.CompareTo(a.Date);
        });
        BackfillMetrics.GapsCounted(dataset, gaps.Count);
        return new GapReport(dataset, calendar.Name, from, to, sessions.Count, succeeded, inProgress, gaps);
    }

    /// <summary>
    /// The last session whose data can be complete: a session counts once an hour has passed after its
    /// close in the exchange's own time zone (vendors publish end-of-day data after the close).
    /// </summary>
    public static DateOnly LatestCompleteSession(ITradingCalendar calendar, DateTimeOffset nowUtc)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        var local = TimeZoneInfo.ConvertTime(nowUtc, calendar.TimeZone);
        var today = DateOnly.FromDateTime(local.DateTime);
        if (today > calendar.LastDate)
        {
            return calendar.IsSession(calendar.LastDate) ? calendar.LastDate : calendar.PreviousSession(calendar.LastDate);
        }

        if (calendar.IsSession(today) && calendar.CloseTime(today) is { } close &&
            TimeOnly.FromDateTime(local.DateTime) >= close.AddHours(1) && close.AddHours(1) > close)
        {
            return today;
        }

        return calendar.PreviousSession(today);
    }

    /// <summary>
    /// 0..100, higher first. Recent dates rank first; interrupted and failed-with-few-attempts units before
    /// never-attempted ones of the same age; permanent failures always last.
    /// </summary>
    private static double Score(GapCategory category, double recency, int attempts)
    {
        var bonus = category switch
        {
            GapCategory.Interrupted => 40.0,
            GapCategory.MissingOutput => 40.0,
            GapCategory.Failed => Math.Max(10.0, 40.0 - (5.0 * attempts)),
            GapCategory.NeverAttempted => 30.0,
            _ => 0.0,
        };
        return category is GapCategory.FailedPermanent or GapCategory.Pruned
            ? Math.Round((category == GapCategory.Pruned ? 1.0 : 10.0) * recency, 3)
            : Math.Round((60.0 * recency) + bonus, 3);
    }

    /// <summary>The keys of the dataset's outputs in the store, to tell a done date whose file is gone (missing-output).</summary>
    public static async Task<HashSet<string>> StoredOutputsAsync(Datasets.IDataset dataset, Storage.Outputs.IOutputStore store, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        var keys = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var (item, _) in dataset.Layout.ListAsync(store, cancellationToken))
        {
            keys.Add(item.Key);
        }

        return keys;
    }
}
