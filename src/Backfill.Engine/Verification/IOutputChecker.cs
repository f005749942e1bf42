using Backfill.Ledger.Model;
using Backfill.Storage.Outputs;
using Backfill.Storage.Verification;

namespace Backfill.Engine.Verification;

/// <summary>A dataset's reader of its own published outputs: checks one against the ledger's record and against itself.</summary>
public interface IOutputChecker
{
    /// <summary>
    /// Checks one output against the unit the ledger records for it: its bytes, its rows, and that it holds the unit's
    /// date (a file copied to another date's path is never "ok").
    /// </summary>
    /// <param name="deep">Also re-read every row and recompute the content checksum (and the dataset's own cross-checks).</param>
    Task<VerificationResult> CheckAsync(IOutputStore store, string key, UnitRecord unit, bool deep, CancellationToken cancellationToken);

    /// <summary>
    /// Reads what an output says of itself, with no ledger to compare with (<c>ledger rebuild</c>, recovery): every row
    /// re-read, its content checksum recomputed against the one it carries, its date and every row's date checked against
    /// <paramref name="date"/> (the date its place in the layout stands for). On success, what the ledger records of a
    /// done unit; otherwise the problem.
    /// </summary>
    Task<OutputIdentity> IdentifyAsync(IOutputStore store, string key, DateOnly date, CancellationToken cancellationToken);

    /// <summary>The checksum the check compares, as reports show it (the file's SHA-256, or the content's for encrypted outputs).</summary>
    string? ExpectedSha256(UnitRecord unit) => unit?.FileSha256;
}

/// <summary>What an output proved about itself: the verdict, and when it is ok, the done unit the ledger would record.</summary>
public sealed record OutputIdentity(VerificationResult Result, UnitSuccess? Success)
{
    public bool IsOk => Result.IsOk && Success is not null;
}
