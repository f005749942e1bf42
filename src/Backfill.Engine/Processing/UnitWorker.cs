using Backfill.Ledger;
using Backfill.Ledger.Model;

namespace Backfill.Engine.Processing;

/// <summary>
/// One worker of a team sharing a ledger: it takes dates of a range that nobody holds, up to
/// <see cref="MaxConcurrentDates"/> at a time, until no work is left. The ledger's claim (a row lock taken with <c>SKIP LOCKED</c> on PostgreSQL, a write transaction
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

    /// <summary>Dates this worker processes at once (<c>processing.maxConcurrentDates</c>); each runs on its own lane.</summary>
    public int MaxConcurrentDates { get; init; } = 1;

    /// <returns>The last outcome of every date this worker attempted, in date order.</returns>
    public async Task<IReadOnlyList<UnitOutcome>> RunAsync(
        IReadOnlyList<DateOnly> dates, IProcessingObserver? observer, CancellationToken stop, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(dates);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentDates, 1);
        if (dates.Count == 0)
        {
            return [];
        }

        var shared = new SharedState();
        // Workers start at different points of the list, so they rarely race for the same date.
        var spread = (int)((uint)StringComparer.Ordinal.GetHashCode(owner) % 9973);
        var lanes = Enumerable.Range(0, MaxConcurrentDates)
            .Select(lane => Task.Run(() => LaneAsync(dates, shared, spread + lane, observer, stop, abort), CancellationToken.None));
        await Task.WhenAll(lanes);
        return shared.Outcomes.Values.ToList();
    }

    private async Task LaneAsync(
        IReadOnlyList<DateOnly> dates, SharedState shared, int spread, IProcessingObserver? observer, CancellationToken stop, CancellationToken abort)
    {
        var from = dates.Min();
        var to = dates.Max();
        while (!stop.IsCancellationRequested)
        {
            await ledger.RecoverExpiredAsync(dataset, abort);
            var units = (await ledger.ListUnitsAsync(dataset, from, to, null, abort)).ToDictionary(u => u.TradeDate);
            var now = _time.GetUtcNow();
            DateOnly? next = null;
            var othersHold = false;
            lock (shared)
            {
                var candidates = new List<DateOnly>();
                foreach (var date in dates)
                {
                    units.TryGetValue(date, out var unit);
                    var tried = shared.Tries.GetValueOrDefault(date);
                    if (unit is { Status: UnitStatus.Processing } && unit.LeaseExpiresAt > now && unit.Owner != owner)
                    {
                        othersHold = true;
                    }
                    else if (!shared.InFlight.Contains(date) && tried < MaxTriesPerDate && IsClaimable(unit, tried))
                    {
                        candidates.Add(date);
                    }
                }

                if (candidates.Count > 0)
                {
                    next = candidates[spread % candidates.Count];
                    shared.Tries[next.Value] = shared.Tries.GetValueOrDefault(next.Value) + 1;
                    shared.InFlight.Add(next.Value);
                }
            }

            if (next is not { } claimed)
            {
                if (!othersHold)
                {
                    return;
                }

                try
                {
                    await Task.Delay(PollInterval, _time, stop);
                }
                catch (OperationCanceledException) when (!abort.IsCancellationRequested)
                {
                    return;
                }

                continue;
            }

            try
            {
                var progress = new UnitProgress(claimed);
                observer?.UnitStarted(progress);
                var outcome = await processor.ProcessAsync(claimed, progress, stop, abort);
                observer?.UnitFinished(progress, outcome);
                lock (shared)
                {
                    if (outcome.Kind != UnitOutcomeKind.Skipped || !shared.Outcomes.ContainsKey(claimed))
                    {
                        shared.Outcomes[claimed] = outcome;
                    }
                }
            }
            finally
            {
                lock (shared)
                {
                    shared.InFlight.Remove(claimed);
                }
            }
        }
    }

    /// <summary>Never started, re-queued, interrupted, or failed and not yet tried by this worker in this run.</summary>
    private static bool IsClaimable(UnitRecord? unit, int triedByMe) => unit is null || unit.Status switch
    {
        UnitStatus.Queued or UnitStatus.Interrupted => true,
        UnitStatus.Failed => triedByMe == 0,
        _ => false,
    };

    /// <summary>What the lanes of one worker share; guarded by locking the instance.</summary>
    private sealed class SharedState
    {
        public Dictionary<DateOnly, int> Tries { get; } = [];

        public HashSet<DateOnly> InFlight { get; } = [];

        public SortedDictionary<DateOnly, UnitOutcome> Outcomes { get; } = [];
    }
}
