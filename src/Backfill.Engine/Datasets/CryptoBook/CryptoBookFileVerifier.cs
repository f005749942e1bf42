using System.Globalization;
using System.Security.Cryptography;
using ParquetSharp;

namespace Backfill.Engine.Datasets.CryptoBook;

/// <summary>
/// <c>verify --deep</c> for <c>crypto-book</c>: re-reads every row of the event stream, recomputes the content SHA-256
/// as the writer did, and compares it (and the row count) with the file's metadata and the ledger.
/// </summary>
public static class CryptoBookFileVerifier
{
    /// <returns>Null when the rows match; otherwise what disagrees.</returns>
    public static Task<string?> VerifyAsync(string path, string? ledgerContentSha256, CancellationToken cancellationToken) =>
        Task.Run(() => Verify(path, ledgerContentSha256, cancellationToken), cancellationToken);

    private static string? Verify(string path, string? ledgerContentSha256, CancellationToken cancellationToken)
    {
        using var file = new ParquetFileReader(path);
        var metadata = file.FileMetaData.KeyValueMetadata;
        if (!metadata.TryGetValue(CryptoBookEventWriter.ContentSha256Key, out var stored) || stored.Length == 0)
        {
            return $"'{path}' has no {CryptoBookEventWriter.ContentSha256Key} metadata.";
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var scratch = new byte[64];
        long rows = 0;
        for (var g = 0; g < file.FileMetaData.NumRowGroups; g++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var group = file.RowGroup(g);
            var n = checked((int)group.MetaData.NumRows);
            T[] Read<T>(int column)
            {
                using var reader = group.Column(column).LogicalReader<T>();
                return reader.ReadAll(n);
            }

            var received = Read<long>(0);
            var origin = Read<long>(1);
            var type = Read<string>(2);
            var sequence = Read<long?>(3);
            var side = Read<string?>(4);
            var price = Read<long?>(5);
            var size = Read<long?>(6);
            var tradeId = Read<string?>(7);
            var reason = Read<string?>(8);
            var bidPrices = Read<long[]?>(9);
            var bidSizes = Read<long[]?>(10);
            var askPrices = Read<long[]?>(11);
            var askSizes = Read<long[]?>(12);
            for (var i = 0; i < n; i++)
            {
                CryptoBookEventWriter.HashRow(hash, scratch, received[i], origin[i], type[i], sequence[i], side[i], price[i], size[i], tradeId[i], reason[i],
                    bidPrices[i], bidSizes[i], askPrices[i], askSizes[i]);
            }

            rows += n;
        }

        var computed = Convert.ToHexStringLower(hash.GetHashAndReset());
        if (metadata.TryGetValue(CryptoBookEventWriter.RowCountKey, out var count) && count != rows.ToString(CultureInfo.InvariantCulture))
        {
            return $"'{path}' holds {rows} rows but its {CryptoBookEventWriter.RowCountKey} says {count}.";
        }

        if (!string.Equals(computed, stored, StringComparison.Ordinal))
        {
            return $"'{path}': the rows hash to {computed} but {CryptoBookEventWriter.ContentSha256Key} says {stored}; the rows were changed after writing. Reprocess the day with: backfill --dataset crypto-book retry DATE --force --yes";
        }

        if (ledgerContentSha256 is { Length: > 0 } && !string.Equals(computed, ledgerContentSha256, StringComparison.Ordinal))
        {
            return $"'{path}': the rows hash to {computed} but the ledger recorded {ledgerContentSha256}.";
        }

        return null;
    }
}
