using Backfill.Ledger.Model;
using Backfill.Storage.Outputs;
using Backfill.Storage.Verification;

namespace Backfill.Engine.Verification;

/// <summary>A dataset's reader of its own published outputs: checks one against the ledger's record and against itself.</summary>
public interface IOutputChecker
{
    /// <param name="deep">Also re-read every row and recompute the content checksum (and the dataset's own cross-checks).</param>
    Task<VerificationResult> CheckAsync(IOutputStore store, string key, UnitRecord unit, bool deep, CancellationToken cancellationToken);

    /// <summary>The checksum the check compares, as reports show it (the file's SHA-256, or the content's for encrypted outputs).</summary>
    string? ExpectedSha256(UnitRecord unit) => unit?.FileSha256;
}
