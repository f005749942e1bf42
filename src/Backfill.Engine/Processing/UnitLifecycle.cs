using Backfill.Ledger;
using Backfill.Ledger.Model;

namespace Backfill.Engine.Processing;

/// <summary>
/// The start every dataset's unit processor shares: release a date a dead local worker left in processing, refuse a
/// date past its retry limit, then claim the date with a lease — or say why it is skipped.
/// </summary>
internal static class UnitClaimer
{
    /// <returns>The claim, or the outcome of a skipped date (exactly one of the two is set).</returns>
    public static async Task<(UnitClaim? Claim, UnitOutcome? Skipped)> ClaimAsync(
        ILedger ledger, ProcessingOptions options, string owner, DateOnly date, CancellationToken abort)
    {
        var dataset = options.Dataset;
        var existing = await ledger.GetUnitAsync(dataset, date, abort);
        if (existing is { Status: UnitStatus.Processing } && WorkerIdentity.IsDeadLocalOwner(existing.Owner))
        {
            await ledger.InterruptUnitAsync(dataset, date, existing.Owner!, "the worker process died; resumed by a new run", abort);
            existing = await ledger.GetUnitAsync(dataset, date, abort);
        }

        var retry = dataset == "spx" ? "backfill retry" : $"backfill --dataset {dataset} retry";
        if (existing is { Status: UnitStatus.Failed } && existing.AttemptCount >= options.RetryLimit && !options.IgnoreRetryLimit)
        {
            return (null, new UnitOutcome(date, UnitOutcomeKind.Skipped,
                $"retry limit reached ({existing.AttemptCount} attempts, last {existing.LastErrorType}); run '{retry} {date:yyyy-MM-dd} --force' to try again"));
        }

        var claim = await ledger.TryClaimUnitAsync(dataset, date, owner, options.Lease, options.AllowSuccessful, abort);
        if (claim is not null)
        {
            return (claim, null);
        }

        return (null, existing is { Status: UnitStatus.Success }
            ? new UnitOutcome(date, UnitOutcomeKind.Skipped, $"already done (use '{retry} DATE --force' to redo it)") { FilePath = existing.FilePath }
            : new UnitOutcome(date, UnitOutcomeKind.Skipped, $"another worker is processing it ({existing?.Owner}, lease until {existing?.LeaseExpiresAt:u})"));
    }
}
