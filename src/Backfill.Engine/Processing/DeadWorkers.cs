using Backfill.Ledger;
using Backfill.Ledger.Model;

namespace Backfill.Engine.Processing;

/// <summary>Dates left in processing by a worker process of this host that has died (killed, crashed).</summary>
public static class DeadWorkers
{
    /// <summary>
    /// Marks every date a dead local worker held as interrupted (resumable), whatever dates the current run is for,
    /// so that no date stays in processing once a new run starts. A live or remote owner is left alone (its lease
    /// decides); a date another worker took over meanwhile is untouched (the update is conditional on the owner).
    /// </summary>
    public static async Task<IReadOnlyList<DateOnly>> RecoverAsync(ILedger ledger, string dataset, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        var recovered = new List<DateOnly>();
        foreach (var unit in await ledger.ListUnitsAsync(dataset, null, null, UnitStatus.Processing, cancellationToken))
        {
            if (WorkerIdentity.IsDeadLocalOwner(unit.Owner))
            {
                await ledger.InterruptUnitAsync(dataset, unit.TradeDate, unit.Owner!, "the worker process died (crash or kill); resumed by the next run", cancellationToken);
                recovered.Add(unit.TradeDate);
            }
        }

        return recovered;
    }
}
