using Backfill.Storage.Parquet;
using System.Globalization;
using Backfill.Storage.Publish;
using ParquetSharp;

namespace Backfill.Storage.Verification;

/// <summary>
/// Checks an output file against the ledger and against itself: file SHA-256, Parquet magic bytes, the footer,
/// <c>backfill.row_count</c> versus the footer's row count (and the ledger's), and in deep mode every row re-read to
/// recompute <c>backfill.content_sha256</c>.
/// </summary>
public sealed class ParquetFileVerifier
{
    private static readonly byte[] Magic = "PAR1"u8.ToArray();

    /// <param name="expectedSha256">File hash recorded in the ledger, or null when unknown.</param>
    /// <param name="expectedRowCount">Row count recorded in the ledger, or null when unknown.</param>
    /// <param name="recomputeContentSha256">Deep mode: re-reads every row of the file and returns the content checksum
    /// it hashes to, compared with <c>backfill.content_sha256</c> (the dataset's own reader; null = not deep).</param>
    public async Task<VerificationResult> VerifyAsync(
        string path, string? expectedSha256, long? expectedRowCount, Func<string, string>? recomputeContentSha256 = null, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(path))
        {
            return new VerificationResult(VerificationStatus.Missing, $"'{path}' does not exist.");
        }

        var sha256 = await AtomicFilePublisher.HashFileAsync(path, cancellationToken);
        if (expectedSha256 is not null && !string.Equals(sha256, expectedSha256, StringComparison.OrdinalIgnoreCase))
        {
            return new VerificationResult(VerificationStatus.ChecksumMismatch, $"'{path}' has SHA-256 {sha256}, the ledger expects {expectedSha256}.", sha256);
        }

        if (!await HasMagicAsync(path, cancellationToken))
        {
            return new VerificationResult(VerificationStatus.Unreadable, $"'{path}' is not a complete Parquet file (PAR1 magic missing at start or end).", sha256);
        }

        return await Task.Run(() => VerifyContent(path, sha256, expectedRowCount, recomputeContentSha256), cancellationToken);
    }

    private static VerificationResult VerifyContent(string path, string sha256, long? expectedRowCount, Func<string, string>? recomputeContentSha256)
    {
        IReadOnlyDictionary<string, string> metadata;
        long footerRows;
        try
        {
            using var file = new ParquetFileReader(path);
            using var fileMetaData = file.FileMetaData;
            metadata = fileMetaData.KeyValueMetadata;
            footerRows = fileMetaData.NumRows;
        }
        catch (ParquetException ex)
        {
            return new VerificationResult(VerificationStatus.Unreadable, $"'{path}' footer cannot be read: {ex.Message}", sha256);
        }

        if (!metadata.TryGetValue(ParquetMetadataKeys.RowCount, out var rowCountText)
            || !long.TryParse(rowCountText, NumberStyles.None, CultureInfo.InvariantCulture, out var metadataRows))
        {
            return new VerificationResult(VerificationStatus.MetadataMismatch, $"'{path}' has no valid {ParquetMetadataKeys.RowCount} metadata.", sha256, footerRows);
        }

        if (metadataRows != footerRows)
        {
            return new VerificationResult(VerificationStatus.MetadataMismatch, $"'{path}' holds {footerRows} rows but its metadata says {metadataRows}.", sha256, footerRows);
        }

        if (expectedRowCount is { } expected && expected != footerRows)
        {
            return new VerificationResult(VerificationStatus.MetadataMismatch, $"'{path}' holds {footerRows} rows, the ledger expects {expected}.", sha256, footerRows);
        }

        if (recomputeContentSha256 is not null)
        {
            if (!metadata.TryGetValue(ParquetMetadataKeys.ContentSha256, out var contentSha))
            {
                return new VerificationResult(VerificationStatus.MetadataMismatch, $"'{path}' has no {ParquetMetadataKeys.ContentSha256} metadata.", sha256, footerRows);
            }

            string recomputed;
            try
            {
                recomputed = recomputeContentSha256(path);
            }
            catch (Exception ex) when (ex is ParquetException or InvalidDataException or OverflowException)
            {
                return new VerificationResult(VerificationStatus.Unreadable, $"'{path}' rows cannot be decoded: {ex.Message}", sha256, footerRows);
            }

            if (recomputed != contentSha)
            {
                return new VerificationResult(VerificationStatus.ChecksumMismatch, $"'{path}' rows hash to {recomputed}, its metadata says {contentSha}.", sha256, footerRows);
            }
        }

        return new VerificationResult(VerificationStatus.Ok, $"'{path}' ok: {footerRows} rows.", sha256, footerRows);
    }

    private static async Task<bool> HasMagicAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous);
        if (stream.Length < 12)
        {
            return false;
        }

        var head = new byte[4];
        var tail = new byte[4];
        await stream.ReadExactlyAsync(head, cancellationToken);
        stream.Seek(-4, SeekOrigin.End);
        await stream.ReadExactlyAsync(tail, cancellationToken);
        return head.AsSpan().SequenceEqual(Magic) && tail.AsSpan().SequenceEqual(Magic);
    }
}
