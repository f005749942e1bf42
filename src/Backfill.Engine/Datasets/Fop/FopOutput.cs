using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using ParquetSharp;

namespace Backfill.Engine.Datasets.Fop;

/// <summary>One active option on one trading date (a row of the Parquet file).</summary>
public sealed record FopRow(
    DateOnly TradeDate,
    string FuturesSymbol,
    decimal? FuturesPrice,
    string? FuturesPriceSource,
    FopSelection? Selection,
    decimal? OptionPrice,
    string? OptionPriceSource);

/// <summary>
/// Writes a trading date of the <c>fop</c> dataset: a Parquet file (one row per active option, long format, with the
/// selection's numbers) and a CSV beside it in the reference layout (<c>timestamp,Futures_Price,&lt;option&gt;...</c>,
/// one row, dates as M/D/YY). Prices stay in the exchange's unit, $/gal, to the $0.0001 tick; the reference tool
/// rounded to cents, which erases most of a 15-delta option's premium.
/// </summary>
public static class FopOutput
{
    public const string SchemaVersion = "1";
    public const string CsvSha256Key = "backfill.csv_sha256";

    /// <summary>The reference layout's CSV for one date (LF line ends, trailing newline).</summary>
    public static string Csv(IReadOnlyList<FopRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0)
        {
            throw new ArgumentException("A date needs at least one row.", nameof(rows));
        }

        var options = rows.Where(r => r.Selection is not null).ToList();
        var header = new StringBuilder("timestamp,Futures_Price");
        var line = new StringBuilder(ReferenceDate(rows[0].TradeDate)).Append(',').Append(Price(rows[0].FuturesPrice));
        foreach (var row in options)
        {
            header.Append(',').Append(row.Selection!.Symbol);
            line.Append(',').Append(Price(row.OptionPrice));
        }

        return header.Append('\n').Append(line).Append('\n').ToString();
    }

    /// <summary>M/D/YY without padding, as the reference output (e.g. <c>1/2/25</c>).</summary>
    public static string ReferenceDate(DateOnly date) => date.ToString("M/d/yy", CultureInfo.InvariantCulture);

    /// <summary>A price to the tick with trailing zeros dropped (<c>0.0738</c>, <c>2.6</c>); empty when missing.</summary>
    public static string Price(decimal? price) => price is { } p
        ? decimal.Round(p, 4, MidpointRounding.AwayFromZero).ToString("0.####", CultureInfo.InvariantCulture)
        : string.Empty;

    public static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

    /// <summary>Writes the Parquet file; <paramref name="metadata"/> is stored as key-value metadata.</summary>
    public static void WriteParquet(string path, IReadOnlyList<FopRow> rows, IReadOnlyDictionary<string, string> metadata)
    {
        ArgumentNullException.ThrowIfNull(rows);
        Column[] columns =
        [
            new Column<DateOnly>("trade_date"),
            new Column<string>("futures_symbol"),
            new Column<double?>("futures_price"),
            new Column<string>("futures_price_source"),
            new Column<string>("option_symbol"),
            new Column<double?>("strike"),
            new Column<DateOnly?>("expiration"),
            new Column<DateOnly?>("selection_date"),
            new Column<double?>("option_price"),
            new Column<string>("option_price_source"),
            new Column<string>("underlying_symbol"),
            new Column<double?>("selection_underlying_price"),
            new Column<double?>("selection_option_price"),
            new Column<double?>("selection_implied_vol"),
            new Column<double?>("selection_delta"),
            new Column<bool?>("selection_within_tolerance"),
        ];
        using var properties = new WriterPropertiesBuilder().Compression(Compression.Zstd).Build();
        using var file = new ParquetFileWriter(path, columns, properties, metadata.ToDictionary(p => p.Key, p => p.Value));
        using (var group = file.AppendRowGroup())
        {
            static double? D(decimal? v) => v is { } x ? (double)x : null;
            Write(group, rows.Select(r => r.TradeDate));
            Write(group, rows.Select(r => r.FuturesSymbol));
            Write(group, rows.Select(r => D(r.FuturesPrice)));
            Write(group, rows.Select(r => r.FuturesPriceSource));
            Write(group, rows.Select(r => r.Selection?.Symbol));
            Write(group, rows.Select(r => D(r.Selection?.Strike)));
            Write(group, rows.Select(r => r.Selection?.Expiration));
            Write(group, rows.Select(r => r.Selection?.RollDate));
            Write(group, rows.Select(r => D(r.OptionPrice)));
            Write(group, rows.Select(r => r.OptionPriceSource));
            Write(group, rows.Select(r => r.Selection?.UnderlyingSymbol));
            Write(group, rows.Select(r => D(r.Selection?.UnderlyingPrice)));
            Write(group, rows.Select(r => D(r.Selection?.OptionPrice)));
            Write(group, rows.Select(r => r.Selection?.ImpliedVolatility));
            Write(group, rows.Select(r => r.Selection?.Delta));
            Write(group, rows.Select(r => r.Selection?.WithinTolerance));
        }

        file.Close();
    }

    /// <summary>Reads back the rows needed to rebuild the reference CSV over a range (date, futures, option symbol and price).</summary>
    public static IReadOnlyList<(DateOnly Date, double? FuturesPrice, string? OptionSymbol, double? OptionPrice)> ReadPrices(string path)
    {
        using var file = new ParquetFileReader(path);
        var result = new List<(DateOnly, double?, string?, double?)>();
        for (var g = 0; g < file.FileMetaData.NumRowGroups; g++)
        {
            using var group = file.RowGroup(g);
            var n = checked((int)group.MetaData.NumRows);
            var dates = group.Column(0).LogicalReader<Date>().ReadAll(n); // ParquetSharp reads DATE as its own Date type by default
            var futures = group.Column(2).LogicalReader<double?>().ReadAll(n);
            var symbols = group.Column(4).LogicalReader<string?>().ReadAll(n);
            var prices = group.Column(8).LogicalReader<double?>().ReadAll(n);
            for (var i = 0; i < n; i++)
            {
                result.Add((DateOnly.FromDateTime(dates[i].DateTime), futures[i], symbols[i], prices[i]));
            }
        }

        return result;
    }

    private static void Write<T>(RowGroupWriter group, IEnumerable<T> values)
    {
        using var writer = group.NextColumn().LogicalWriter<T>();
        writer.WriteBatch(values.ToArray());
    }
}
