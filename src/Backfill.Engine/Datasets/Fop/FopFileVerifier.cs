using Backfill.Storage.Parquet;
using System.Globalization;
using Backfill.Engine.Datasets.Spx.Parquet;
using Backfill.Storage.Publish;
using ParquetSharp;

namespace Backfill.Engine.Datasets.Fop;

/// <summary>
/// The deep check of one <c>fop</c> date, after the Parquet file itself passed (SHA-256, footer, row count): the CSV beside
/// it must hash to the checksums recorded in the Parquet metadata, every Parquet row must belong to the date and agree
/// on the futures price, and the CSV must be the reference layout of exactly those rows (same option columns in the same
/// order, same date, same prices to the tick, as many cells as header columns).
/// </summary>
public static class FopFileVerifier
{
    /// <returns>Null when the date's files agree, else what is wrong.</returns>
    public static async Task<string?> VerifyAsync(string parquetPath, DateOnly date, CancellationToken cancellationToken)
    {
        try
        {
            return await VerifyCoreAsync(parquetPath, date, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"'{parquetPath}' or its CSV cannot be read: {e.Message}";
        }
    }

    private static async Task<string?> VerifyCoreAsync(string parquetPath, DateOnly date, CancellationToken cancellationToken)
    {
        var csvPath = Path.ChangeExtension(parquetPath, ".csv");
        if (!File.Exists(csvPath))
        {
            return $"'{csvPath}' (the date's CSV) is missing.";
        }

        IReadOnlyDictionary<string, string> metadata;
        IReadOnlyList<(DateOnly Date, double? FuturesPrice, string? OptionSymbol, double? OptionPrice)> rows;
        try
        {
            using (var file = new ParquetFileReader(parquetPath))
            using (var meta = file.FileMetaData)
            {
                metadata = meta.KeyValueMetadata;
            }

            rows = FopOutput.ReadPrices(parquetPath);
        }
        catch (Exception e) when (e is ParquetException or InvalidDataException or InvalidCastException or ArgumentException)
        {
            return $"'{parquetPath}' rows cannot be decoded: {e.Message}";
        }

        var csvSha = await AtomicFilePublisher.HashFileAsync(csvPath, cancellationToken);
        foreach (var key in new[] { FopOutput.CsvSha256Key, ParquetMetadataKeys.ContentSha256 })
        {
            if (!metadata.TryGetValue(key, out var expected))
            {
                return $"'{parquetPath}' has no {key} metadata.";
            }

            if (!string.Equals(expected, csvSha, StringComparison.OrdinalIgnoreCase))
            {
                return $"'{csvPath}' has SHA-256 {csvSha}, the Parquet metadata ({key}) says {expected}.";
            }
        }

        return CompareRows(csvPath, await File.ReadAllTextAsync(csvPath, cancellationToken), date, rows);
    }

    /// <summary>Checks the CSV text against the Parquet rows; null when they agree.</summary>
    public static string? CompareRows(
        string csvPath, string csv, DateOnly date, IReadOnlyList<(DateOnly Date, double? FuturesPrice, string? OptionSymbol, double? OptionPrice)> rows)
    {
        ArgumentNullException.ThrowIfNull(csv);
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            return "the Parquet file has no rows.";
        }

        if (rows.Where(r => r.Date != date).Select(r => (DateOnly?)r.Date).FirstOrDefault() is { } other)
        {
            return $"the Parquet file holds a row of {other:yyyy-MM-dd}, not {date:yyyy-MM-dd}.";
        }

        if (rows.Select(r => r.FuturesPrice).Distinct().Count() != 1)
        {
            return "the Parquet rows disagree on the futures price.";
        }

        var options = rows.Where(r => r.OptionSymbol is not null).ToList();
        if (options.Select(r => r.OptionSymbol).Distinct(StringComparer.Ordinal).Count() != options.Count)
        {
            return "the Parquet file lists an option twice.";
        }

        var lines = csv.Split('\n');
        if (lines.Length != 3 || lines[2].Length != 0)
        {
            return $"'{csvPath}' should hold a header and one row, it has {lines.Length - (lines[^1].Length == 0 ? 1 : 0)} line(s).";
        }

        var header = lines[0].Split(',');
        var cells = lines[1].Split(',');
        if (header.Length != cells.Length)
        {
            return $"'{csvPath}' has {header.Length} header columns but {cells.Length} cells.";
        }

        string[] expectedHeader = ["timestamp", "Futures_Price", .. options.Select(o => o.OptionSymbol!)];
        if (!header.SequenceEqual(expectedHeader, StringComparer.Ordinal))
        {
            return $"'{csvPath}' columns ({string.Join(",", header.Skip(2))}) differ from the Parquet options ({string.Join(",", expectedHeader.Skip(2))}).";
        }

        if (cells[0] != FopOutput.ReferenceDate(date))
        {
            return $"'{csvPath}' is dated '{cells[0]}', expected '{FopOutput.ReferenceDate(date)}'.";
        }

        static string Cell(double? value) => FopOutput.Price(value is { } v ? (decimal)v : null);
        string[] expectedCells = [Cell(rows[0].FuturesPrice), .. options.Select(o => Cell(o.OptionPrice))];
        for (var i = 0; i < expectedCells.Length; i++)
        {
            if (cells[i + 1] != expectedCells[i])
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"'{csvPath}' column {header[i + 1]} holds '{cells[i + 1]}', the Parquet file says '{expectedCells[i]}'.");
            }
        }

        return null;
    }
}
