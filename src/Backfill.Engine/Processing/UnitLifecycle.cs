using Backfill.Core.Errors;
using Backfill.Ledger;
using Backfill.Ledger.Model;

namespace Backfill.Engine.Processing;

/// <summary>
/// The ledger steps the datasets' unit processors share: claiming a date, and recording the failure of a claimed date.
/// </summary>
internal static class UnitLifecycle
{
    /// <summary>
    /// Releases a date a dead local worker left in processing, refuses a date past its retry limit, then claims the
    /// date with a lease — or says why it is skipped.
    /// </summary>
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

    /// <summary>
    /// Records a claimed date's failure: one <c>error_log</c> row for the attempt (not retried by this run) and the
    /// date marked failed. Ledger writes are not cancellable: the failure must be recorded even when stopping.
    /// </summary>
    public static async Task<UnitOutcome> FailAsync(ILedger ledger, UnitClaim claim, Exception error, TimeSpan elapsed)
    {
        var kind = error is BackfillException b ? b.Kind.ToString() : nameof(ErrorKind.Unknown);
        var message = error is BackfillException ? error.Message : $"{error.GetType().Name}: {error.Message}";
        await ledger.RecordErrorAsync(new ErrorRecord
        {
            Dataset = claim.Dataset, TradeDate = claim.TradeDate, ErrorType = kind, Message = message, Attempt = claim.Attempt - 1,
            StatusCode = (error as BackfillException)?.StatusCode, WillRetry = false,
        }, CancellationToken.None);
        await ledger.FailUnitAsync(claim.Dataset, claim.TradeDate, claim.Owner, kind, message, CancellationToken.None);
        return new UnitOutcome(claim.TradeDate, UnitOutcomeKind.Failed, message) { ErrorType = kind, Duration = elapsed };
    }
}
