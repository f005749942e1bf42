using System.Text.RegularExpressions;
using Backfill.Core.Errors;
using Backfill.Core.Time;

namespace Backfill.Sources.AlphaVantage;

/// <summary>
/// A validated equity ticker: upper-case, 1 to 10 characters, starting with a letter or digit, with at most one
/// share-class or exchange suffix after a single '.' or '-' (AAPL, BRK.B, BRK-B, 7203.T). Anything else is refused
/// before it reaches a URL or a path: '/', '\', '..', whitespace, and tickers of punctuation only ('.', '-', '_').
/// </summary>
public sealed partial record TickerSymbol
{
    private TickerSymbol(string value) => Value = value;

    public string Value { get; }

    public override string ToString() => Value;

    /// <summary>Parses one ticker (trimmed, upper-cased) or throws a message naming the value and the rule.</summary>
    public static TickerSymbol Parse(string? text)
    {
        var trimmed = text?.Trim() ?? string.Empty;
        var upper = trimmed.ToUpperInvariant();
        if (!Pattern().IsMatch(upper))
        {
            throw new InvalidInputException(
                $"'{DateInput.Printable(trimmed)}' is not a ticker symbol. Use 1-10 letters or digits, optionally with one '.' or '-' class suffix (AAPL, BRK.B).");
        }

        return new TickerSymbol(upper);
    }

    public static bool TryParse(string? text, out TickerSymbol? symbol)
    {
        try
        {
            symbol = Parse(text);
            return true;
        }
        catch (InvalidInputException)
        {
            symbol = null;
            return false;
        }
    }

    /// <summary>A comma- or space-separated list; duplicates dropped, order kept; at least one symbol.</summary>
    public static IReadOnlyList<TickerSymbol> ParseList(string? text)
    {
        var parts = (text ?? string.Empty).Split([',', ' ', ';'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            throw new InvalidInputException("The symbol list is empty. Example: AAPL,MSFT,BRK.B");
        }

        if (parts.Length > 500)
        {
            throw new InvalidInputException($"The symbol list has {parts.Length} symbols; at most 500 are allowed.");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        var result = new List<TickerSymbol>();
        foreach (var part in parts)
        {
            var symbol = Parse(part);
            if (seen.Add(symbol.Value))
            {
                result.Add(symbol);
            }
        }

        return result;
    }

    [GeneratedRegex("^[A-Z0-9]{1,8}([.-][A-Z0-9]{1,4})?$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 2000)]
    private static partial Regex Pattern();
}
