using Backfill.Ledger.Model;

namespace Backfill.Engine.Processing;

/// <summary>
/// A dataset's work for one date: fetch what the date needs and publish its output through
/// <see cref="UnitContext.Output"/>. It does no ledger bookkeeping of the unit itself: <see cref="UnitLifecycle"/>
/// claims the date, renews the lease, records failures, completion, checksums and metrics, and measures durations.
/// </summary>
public interface IUnitProducer : IAsyncDisposable
{
    /// <summary>Requests sent to the vendor since the producer was created (the lifecycle records each unit's share).</summary>
    long RequestsSent { get; }

    /// <summary>
    /// Called once before a run with the dates it will attempt (done dates already removed), so a producer can size
    /// its requests (ohlcv picks the smallest series covering them).
    /// </summary>
    Task PrepareAsync(IReadOnlyList<DateOnly> dates, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Why no further date should be claimed in this run (a spent daily quota), or null to go on.</summary>
    string? RefusesNewUnits => null;

    /// <param name="stop">Graceful stop: finish what is in flight, then return <see cref="UnitProduct.Interrupted"/> or throw <see cref="OperationCanceledException"/>.</param>
    /// <param name="abort">Hard stop: everything is cancelled at once (the unit stays resumable).</param>
    Task<UnitProduct> ProduceAsync(UnitContext unit, CancellationToken stop, CancellationToken abort);

    /// <summary>
    /// Text appended to the message of a failed date: whether it was retried enough or why it is never retried, and
    /// what to do (vendor-specific advice). Empty by default.
    /// </summary>
    string Advice(Exception error, UnitClaim claim) => string.Empty;
}
