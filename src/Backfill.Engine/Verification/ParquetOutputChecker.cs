using System.Globalization;
using Backfill.Ledger.Model;
using Backfill.Storage.Outputs;
using Backfill.Storage.Parquet;
using Backfill.Storage.Verification;
using ParquetSharp;

namespace Backfill.Engine.Verification;

/// <summary>
/// Checks a published Parquet output: file SHA-256 against the ledger, magic bytes, footer, row counts, and the date in
/// its metadata (<c>backfill.date</c>) against the unit's; deep: the dataset's content checksum recomputed from the rows,
/// every row's date, then the dataset's own cross-checks.
/// </summary>
/// <param name="recomputeContentSha256">Re-reads every row of a file and returns its content checksum (null: no deep content check).</param>
/// <param name="deepCheck">The dataset's further deep check of a file and its ledger record (a problem, or null when fine).</param>
/// <param name="rowDatesCheck">Reads every row's date and says what does not belong to the given date (null when all do;
/// null function: the dataset's <paramref name="deepCheck"/> covers the rows' dates).</param>
public sealed class ParquetOutputChecker(
    Func<string, string>? recomputeContentSha256 = null,
    Func<string, UnitRecord, CancellationToken, Task<string?>>? deepCheck = null,
    Func<string, DateOnly, string?>? rowDatesCheck = null) : IOutputChecker
{
    private readonly ParquetFileVerifier _verifier = new();

    public async Task<VerificationResult> CheckAsync(IOutputStore store, string key, UnitRecord unit, bool deep, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(unit);
        using var local = await store.OpenLocalAsync(key, cancellationToken);
        var result = await _verifier.VerifyAsync(local.Path, unit.FileSha256, unit.RowCount, deep ? recomputeContentSha256 : null, cancellationToken);
        return result.Status == VerificationStatus.Ok
            ? await CheckSelfAsync(local.Path, unit, deep, result, cancellationToken)
            : result;
    }

    public async Task<OutputIdentity> IdentifyAsync(IOutputStore store, string key, DateOnly date, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        using var local = await store.OpenLocalAsync(key, cancellationToken);
        var result = await _verifier.VerifyAsync(local.Path, null, null, recomputeContentSha256, cancellationToken);
        var asUnit = new UnitRecord { Dataset = string.Empty, TradeDate = date, Status = UnitStatus.Success };
        if (result.Status == VerificationStatus.Ok)
        {
            result = await CheckSelfAsync(local.Path, asUnit, deep: true, result, cancellationToken);
        }

        if (result.Status != VerificationStatus.Ok)
        {
            return new OutputIdentity(result, null);
        }

        var metadata = await Task.Run(() => ReadMetadata(local.Path), cancellationToken);
        return new OutputIdentity(result, new UnitSuccess
        {
            FilePath = store.LocationOf(key),
            FileSize = new FileInfo(local.Path).Length,
            FileSha256 = result.Sha256!,
            ContentSha256 = metadata.GetValueOrDefault(ParquetMetadataKeys.ContentSha256) is { Length: > 0 } content ? content : null,
            RowCount = result.RowCount ?? 0,
            DuplicatesDropped = long.TryParse(metadata.GetValueOrDefault(ParquetMetadataKeys.DuplicatesDropped), NumberStyles.None, CultureInfo.InvariantCulture, out var dropped) ? dropped : 0,
        });
    }

    /// <summary>What the file says of itself after its bytes passed: its date, and in deep mode its rows' dates and the dataset's checks.</summary>
    private async Task<VerificationResult> CheckSelfAsync(string path, UnitRecord unit, bool deep, VerificationResult passed, CancellationToken cancellationToken)
    {
        var metadata = await Task.Run(() => ReadMetadata(path), cancellationToken);
        var expected = unit.TradeDate.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (!metadata.TryGetValue(ParquetMetadataKeys.Date, out var stated) || stated != expected)
        {
            return passed with
            {
                Status = VerificationStatus.MetadataMismatch,
                Message = stated is null
                    ? $"'{path}' has no {ParquetMetadataKeys.Date} metadata, so it cannot be shown to hold {expected}."
                    : $"'{path}' holds the data of {Shown(stated)} (its {ParquetMetadataKeys.Date} metadata), not {expected}.",
            };
        }

        if (!deep)
        {
            return passed;
        }

        if (rowDatesCheck is not null && await Task.Run(() => rowDatesCheck(path, unit.TradeDate), cancellationToken) is { } wrongRows)
        {
            return passed with { Status = VerificationStatus.MetadataMismatch, Message = $"'{path}': {wrongRows}" };
        }

        if (deepCheck is not null && await deepCheck(path, unit, cancellationToken) is { } problem)
        {
            return passed with { Status = VerificationStatus.ChecksumMismatch, Message = problem };
        }

        return passed;
    }

    private static IReadOnlyDictionary<string, string> ReadMetadata(string path)
    {
        using var file = new ParquetFileReader(path);
        using var meta = file.FileMetaData;
        return meta.KeyValueMetadata;
    }

    private static string Shown(string stated) => Core.Text.VendorText.Sanitize(stated, 40);
}
