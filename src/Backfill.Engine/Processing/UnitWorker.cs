using Backfill.Ledger;
using Backfill.Ledger.Model;

namespace Backfill.Engine.Processing;

/// <summary>
/// One worker of a team sharing a ledger: it takes dates of a range that nobody holds, one at a time, until no
/// work is left. The ledger's claim (a row lock taken with <c>SKIP LOCKED</c> on PostgreSQL, a write transaction
/// on SQLite) guarantees one owner per date; the processor's heartbeat renews the lease while it works. Dates
/// other workers hold are waited for, not abandoned: if their worker dies, its lease expires and this worker
/// recovers the date and resumes it from its completed sub-units.
/// </summary>
public sealed class UnitWorker(ILedger ledger, IUnitProcessor processor, string dataset, string owner, TimeProvider? time = null)
{
    /// <summary>Tries of one date by this worker in one run: a date that keeps failing is left to the next run.</summary>
    private const int MaxTriesPerDate = 2;

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>How long to wait before looking again when only dates other workers hold are left.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <returns>The last outcome of every date this worker attempted, in date order.</returns>
    public async Task<IReadOnlyList<UnitOutcome>> RunAsync(
        IReadOnlyList<DateOnly> dates, IProcessingObserver? observer, CancellationToken stop, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(dates);
        var outcomes = new SortedDictionary<DateOnly, UnitOutcome>();
        if (dates.Count == 0)
        {
            return [];
        }

        var from = dates.Min();
        var to = dates.Max();
        var tries = new Dictionary<DateOnly, int>();
        // Workers start at different points of the list, so they rarely race for the same date.
        var spread = (int)((uint)StringComparer.Ordinal.GetHashCode(owner) % 9973);
        while (!stop.IsCancellationRequested)
        {
            await ledger.RecoverExpiredAsync(dataset, abort);
            var units = (await ledger.ListUnitsAsync(dataset, from, to, null, abort)).ToDictionary(u => u.TradeDate);
            var now = _time.GetUtcNow();
            var candidates = new List<DateOnly>();
            var othersHold = false;
            foreach (var date in dates)
            {
                units.TryGetValue(date, out var unit);
                var tried = tries.GetValueOrDefault(date);
                if (unit is { Status: UnitStatus.Processing } && unit.LeaseExpiresAt > now && unit.Owner != owner)
                {
                    othersHold = true;
                }
                else if (tried < MaxTriesPerDate && IsClaimable(unit, tried))
                {
                    candidates.Add(date);
                }
            }

            if (candidates.Count == 0)
            {
                if (!othersHold)
                {
                    break;
                }

                try
                {
                    await Task.Delay(PollInterval, _time, stop);
                }
                catch (OperationCanceledException) when (!abort.IsCancellationRequested)
                {
                    break;
                }

                continue;
            }

            var next = candidates[spread % candidates.Count];
            tries[next] = tries.GetValueOrDefault(next) + 1;
            var progress = new UnitProgress(next);
            observer?.UnitStarted(progress);
            var outcome = await processor.ProcessAsync(next, progress, stop, abort);
            observer?.UnitFinished(progress, outcome);
            if (outcome.Kind != UnitOutcomeKind.Skipped || !outcomes.ContainsKey(next))
            {
                outcomes[next] = outcome;
            }
        }

        return outcomes.Values.ToList();
    }

    /// <summary>Never started, re-queued, interrupted, or failed and not yet tried by this worker in this run.</summary>
    private static bool IsClaimable(UnitRecord? unit, int triedByMe) => unit is null || unit.Status switch
    {
        UnitStatus.Queued or UnitStatus.Interrupted => true,
        UnitStatus.Failed => triedByMe == 0,
        _ => false,
    };
}
