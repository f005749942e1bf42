using Backfill.Ledger.Model;
using Backfill.Storage.Outputs;
using Backfill.Storage.Verification;

namespace Backfill.Engine.Verification;

/// <summary>
/// Checks a published Parquet output: file SHA-256 against the ledger, magic bytes, footer, row counts; deep: the
/// dataset's content checksum recomputed from the rows, then the dataset's own cross-checks.
/// </summary>
/// <param name="recomputeContentSha256">Re-reads every row of a file and returns its content checksum (null: no deep content check).</param>
/// <param name="deepCheck">The dataset's further deep check of a file and its ledger record (a problem, or null when fine).</param>
public sealed class ParquetOutputChecker(
    Func<string, string>? recomputeContentSha256 = null,
    Func<string, UnitRecord, CancellationToken, Task<string?>>? deepCheck = null) : IOutputChecker
{
    private readonly ParquetFileVerifier _verifier = new();

    public async Task<VerificationResult> CheckAsync(IOutputStore store, string key, UnitRecord unit, bool deep, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(unit);
        using var local = await store.OpenLocalAsync(key, cancellationToken);
        var result = await _verifier.VerifyAsync(local.Path, unit.FileSha256, unit.RowCount, deep ? recomputeContentSha256 : null, cancellationToken);
        if (result.Status == VerificationStatus.Ok && deep && deepCheck is not null
            && await deepCheck(local.Path, unit, cancellationToken) is { } problem)
        {
            return result with { Status = VerificationStatus.ChecksumMismatch, Message = problem };
        }

        return result;
    }
}
