using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Backfill.Sources.AlphaVantage;

namespace Backfill.Engine.Datasets.Ohlcv;

/// <summary>One symbol's bar on one date (a row of the day's CSV).</summary>
public sealed record OhlcvRow(TickerSymbol Symbol, DailyBar Bar);

/// <summary>
/// The plaintext of one <c>ohlcv</c> date: CSV <c>symbol,date,open,high,low,close,volume</c> (plus
/// <c>adjusted_close,dividend,split</c> for adjusted series), LF line ends, rows in the configured symbol order,
/// prices as the vendor sent them. It only ever exists in memory: the file on disk is its encryption.
/// </summary>
public static class OhlcvOutput
{
    public const string Header = "symbol,date,open,high,low,close,volume";
    public const string AdjustedHeader = Header + ",adjusted_close,dividend,split";

    public static byte[] Csv(IReadOnlyList<OhlcvRow> rows, bool adjusted)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var inv = CultureInfo.InvariantCulture;
        var text = new StringBuilder(adjusted ? AdjustedHeader : Header).Append('\n');
        foreach (var (symbol, bar) in rows)
        {
            text.Append(symbol.Value).Append(',').Append(bar.Date.ToString("yyyy-MM-dd", inv)).Append(',')
                .Append(bar.Open.ToString(inv)).Append(',').Append(bar.High.ToString(inv)).Append(',')
                .Append(bar.Low.ToString(inv)).Append(',').Append(bar.Close.ToString(inv)).Append(',')
                .Append(bar.Volume.ToString(inv));
            if (adjusted)
            {
                text.Append(',').Append(bar.AdjustedClose?.ToString(inv)).Append(',')
                    .Append(bar.DividendAmount?.ToString(inv)).Append(',').Append(bar.SplitCoefficient?.ToString(inv));
            }

            text.Append('\n');
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>Data rows of a decrypted CSV (the header is not counted).</summary>
    public static int CountRows(ReadOnlySpan<byte> csv)
    {
        var lines = csv.Count((byte)'\n');
        return Math.Max(0, lines - 1);
    }

    /// <summary>
    /// Null when every data row of a decrypted CSV is dated <paramref name="date"/> (the <c>date</c> column, second);
    /// otherwise what the rows hold instead, so a file copied to another date's path is never taken for that date.
    /// </summary>
    public static string? RowDatesProblem(ReadOnlySpan<byte> csv, DateOnly date)
    {
        Span<byte> expected = stackalloc byte[10];
        date.TryFormat(expected, out _, "yyyy-MM-dd", CultureInfo.InvariantCulture);
        var line = 0;
        var wrong = 0;
        string? first = null;
        foreach (var range in csv.Split((byte)'\n'))
        {
            var row = csv[range];
            if (line++ == 0 || row.IsEmpty)
            {
                continue;
            }

            var comma = row.IndexOf((byte)',');
            var rest = comma < 0 ? [] : row[(comma + 1)..];
            var end = rest.IndexOf((byte)',');
            var value = end < 0 ? rest : rest[..end];
            if (!value.SequenceEqual(expected))
            {
                wrong++;
                first ??= Encoding.UTF8.GetString(value[..Math.Min(value.Length, 32)]);
            }
        }

        return wrong == 0
            ? null
            : $"{wrong} of its {CountRows(csv)} row(s) are dated '{first}', not {date:yyyy-MM-dd}: it holds another date's data";
    }

    public static string Sha256(ReadOnlySpan<byte> content) => Convert.ToHexStringLower(SHA256.HashData(content));
}
