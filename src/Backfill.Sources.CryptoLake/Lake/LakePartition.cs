using System.Globalization;
using System.Text.RegularExpressions;
using Backfill.Core.Errors;
using Backfill.Core.Time;

namespace Backfill.Sources.CryptoLake.Lake;

/// <summary>The Crypto Lake tables Backfill reads.</summary>
public enum LakeTable
{
    /// <summary><c>book</c>: 2 x 20 level snapshots.</summary>
    Book,

    /// <summary><c>book_delta_v2</c>: one row per level change, rows of one venue message share <c>sequence_number</c>.</summary>
    BookDeltaV2,

    /// <summary><c>trades</c>.</summary>
    Trades,
}

/// <summary>
/// One Hive-style partition of Crypto Lake: <c>{table}/exchange={EXCHANGE}/symbol={SYMBOL}/dt={YYYY-MM-DD}/</c>.
/// Exchange and symbol follow Crypto Lake's upper-case names (<c>BINANCE</c>, <c>BTC-USDT</c>); anything else, in
/// particular a path separator or <c>..</c>, is refused before it can reach a path or a URL.
/// </summary>
public sealed partial record LakePartition
{
    private LakePartition(LakeTable table, string exchange, string symbol, DateOnly date)
    {
        Table = table;
        Exchange = exchange;
        Symbol = symbol;
        Date = date;
    }

    public LakeTable Table { get; }

    public string Exchange { get; }

    public string Symbol { get; }

    public DateOnly Date { get; }

    /// <summary>The partition's folder relative to the lake root, with '/' separators and a trailing '/'.</summary>
    public string RelativePrefix =>
        $"{TableName(Table)}/exchange={Exchange}/symbol={Symbol}/dt={Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}/";

    public static string TableName(LakeTable table) => table switch
    {
        LakeTable.Book => "book",
        LakeTable.BookDeltaV2 => "book_delta_v2",
        LakeTable.Trades => "trades",
        _ => throw new ArgumentOutOfRangeException(nameof(table)),
    };

    /// <summary>A validated partition, or <see cref="InvalidInputException"/> naming the bad value and the expected form.</summary>
    public static LakePartition Create(LakeTable table, string exchange, string symbol, DateOnly date)
    {
        return new LakePartition(table, ValidateExchange(exchange), ValidateSymbol(symbol), date);
    }

    public static string ValidateExchange(string? exchange)
    {
        var value = exchange?.Trim() ?? string.Empty;
        return ExchangePattern().IsMatch(value)
            ? value
            : throw new InvalidInputException(
                $"exchange: '{DateInput.Printable(value)}' is not a Crypto Lake exchange name. Use upper-case letters, digits and '_' (1-32 characters), e.g. BINANCE or BINANCE_FUTURES.");
    }

    public static string ValidateSymbol(string? symbol)
    {
        var value = symbol?.Trim() ?? string.Empty;
        return SymbolPattern().IsMatch(value)
            ? value
            : throw new InvalidInputException(
                $"symbol: '{DateInput.Printable(value)}' is not a Crypto Lake symbol. Use upper-case parts joined by '-', e.g. BTC-USDT or BTC-USDT-PERP.");
    }

    [GeneratedRegex("^[A-Z][A-Z0-9_]{0,31}$", RegexOptions.CultureInvariant)]
    private static partial Regex ExchangePattern();

    [GeneratedRegex("^[A-Z0-9]{1,16}(-[A-Z0-9]{1,16}){0,3}$", RegexOptions.CultureInvariant)]
    private static partial Regex SymbolPattern();
}
