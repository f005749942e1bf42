using Backfill.Tests.Shared;
using Backfill.Storage.Parquet;
using Backfill.Engine.Datasets.Spx.Parquet;
using Backfill.Storage.Publish;
using Backfill.Engine.Datasets.Spx.Staging;
using Backfill.Storage.Verification;

namespace Backfill.Engine.Tests.Spx;

public sealed class ParquetFileVerifierTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Good_file_verifies_ok_in_shallow_and_deep_mode()
    {
        using var dir = new TempDirectory();
        var (path, sha, rows) = await WriteFileAsync(dir);

        var shallow = await new ParquetFileVerifier().VerifyAsync(path, sha, rows, cancellationToken: Ct);
        var deep = await new ParquetFileVerifier().VerifyAsync(path, null, null, SpxContentChecksum.OfFile, Ct);

        Assert.Equal(VerificationStatus.Ok, shallow.Status);
        Assert.Equal(VerificationStatus.Ok, deep.Status);
        Assert.Equal(rows, deep.RowCount);
    }

    [Fact]
    public async Task Flipped_byte_is_a_checksum_mismatch()
    {
        using var dir = new TempDirectory();
        var (path, sha, rows) = await WriteFileAsync(dir);
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        bytes[bytes.Length / 2] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes, Ct);

        var result = await new ParquetFileVerifier().VerifyAsync(path, sha, rows, cancellationToken: Ct);

        Assert.Equal(VerificationStatus.ChecksumMismatch, result.Status);
    }

    [Fact]
    public async Task Flipped_byte_without_ledger_hash_is_caught_by_deep_mode()
    {
        using var dir = new TempDirectory();
        var (path, _, _) = await WriteFileAsync(dir, compressionLevel: 1);
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        bytes[100] ^= 0x40;
        await File.WriteAllBytesAsync(path, bytes, Ct);

        var result = await new ParquetFileVerifier().VerifyAsync(path, null, null, SpxContentChecksum.OfFile, Ct);

        Assert.NotEqual(VerificationStatus.Ok, result.Status);
    }

    [Fact]
    public async Task Truncated_file_is_unreadable()
    {
        using var dir = new TempDirectory();
        var (path, _, rows) = await WriteFileAsync(dir);
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        await File.WriteAllBytesAsync(path, bytes[..(bytes.Length - 100)], Ct);

        var result = await new ParquetFileVerifier().VerifyAsync(path, null, rows, cancellationToken: Ct);

        Assert.Equal(VerificationStatus.Unreadable, result.Status);
    }

    [Fact]
    public async Task Missing_file_is_missing()
    {
        using var dir = new TempDirectory();
        var result = await new ParquetFileVerifier().VerifyAsync(dir.Combine("nope.parquet"), null, null, cancellationToken: Ct);
        Assert.Equal(VerificationStatus.Missing, result.Status);
    }

    [Fact]
    public async Task Row_count_differing_from_the_ledger_is_a_metadata_mismatch()
    {
        using var dir = new TempDirectory();
        var (path, sha, rows) = await WriteFileAsync(dir);

        var result = await new ParquetFileVerifier().VerifyAsync(path, sha, rows + 1, cancellationToken: Ct);

        Assert.Equal(VerificationStatus.MetadataMismatch, result.Status);
        Assert.Contains("ledger", result.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Row_count_metadata_differing_from_the_footer_is_a_metadata_mismatch()
    {
        using var dir = new TempDirectory();
        var (path, _, rows) = await WriteFileAsync(dir);
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        // Same-length edit of the stored row count text inside the footer ("backfill.row_count" value).
        var text = System.Text.Encoding.Latin1.GetString(bytes);
        var key = text.LastIndexOf(ParquetMetadataKeys.RowCount, StringComparison.Ordinal);
        var valueStart = text.IndexOf(rows.ToString(System.Globalization.CultureInfo.InvariantCulture), key, StringComparison.Ordinal);
        Assert.True(valueStart > key);
        bytes[valueStart] = (byte)'9';
        await File.WriteAllBytesAsync(path, bytes, Ct);

        var result = await new ParquetFileVerifier().VerifyAsync(path, null, null, cancellationToken: Ct);

        Assert.Equal(VerificationStatus.MetadataMismatch, result.Status);
    }

    private static async Task<(string Path, string Sha256, long Rows)> WriteFileAsync(TempDirectory dir, int compressionLevel = 3)
    {
        var staging = dir.Combine("staging");
        await TestRows.StageDayAsync(staging, Ct);
        var publisher = new AtomicFilePublisher(dir.Combine("work"), dir.Combine("out"));
        SpxParquetWriteResult? written = null;
        var published = await publisher.PublishAsync(
            dir.Combine("out", "spx", "f.parquet"),
            async (temp, ct) => written = await new SpxParquetWriter(new SpxParquetWriterOptions { CompressionLevel = compressionLevel })
                .WriteAsync(GreeksStaging.ListComplete(staging), temp, new SpxFileIdentity(TestRows.Day, "test", "v2"), ct),
            Ct);
        return (published.Path, published.Sha256, written!.RowCount);
    }
}
