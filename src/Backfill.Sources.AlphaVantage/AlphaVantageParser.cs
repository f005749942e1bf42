using System.Globalization;
using System.Text;
using System.Text.Json;
using Backfill.Core.Errors;
using Backfill.Core.Text;

namespace Backfill.Sources.AlphaVantage;

/// <summary>
/// Turns a <c>query</c> response body into a <see cref="DailySeries"/>: error bodies first (they come as JSON even when
/// CSV was asked for), then the JSON shape (<c>Meta Data</c> + <c>Time Series (Daily)</c>, fields <c>1. open</c>...) or the
/// CSV shape (<c>timestamp,open,high,low,close[,adjusted_close],volume[,dividend_amount,split_coefficient]</c>, CRLF or LF).
/// Insane bars are rejected (listed, not returned); an adjusted series whose factors disagree with its events is refused.
/// Text from the body reaches a message only through <see cref="VendorText.Sanitize"/>.
/// </summary>
public static class AlphaVantageParser
{
    public static DailySeries Parse(ReadOnlySpan<byte> body, TickerSymbol symbol, DailyFunction function, string apiKey, TimeSpan burstWait)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        var trimmed = body.TrimStart(" \t\r\n\uFEFF"u8);
        if (trimmed.IsEmpty)
        {
            throw new InvalidResponseException($"Alpha Vantage sent an empty body for {symbol}.");
        }

        var adjusted = function == DailyFunction.DailyAdjusted;
        var bars = trimmed[0] == (byte)'{' ? ParseJson(trimmed, symbol, adjusted, apiKey, burstWait) : ParseCsv(Encoding.UTF8.GetString(trimmed), symbol, adjusted);
        bars.Sort((a, b) => a.Date.CompareTo(b.Date));
        var rejected = new List<string>();
        var kept = new List<DailyBar>(bars.Count);
        DateOnly? last = null;
        foreach (var bar in bars)
        {
            if (last == bar.Date)
            {
                rejected.Add($"{bar.Date:yyyy-MM-dd}: duplicate date");
                continue;
            }

            last = bar.Date;
            if (BarValidator.Check(bar) is { } problem)
            {
                rejected.Add(problem);
                continue;
            }

            kept.Add(bar);
        }

        if (adjusted && BarValidator.CheckAdjustments(kept) is { } inconsistency)
        {
            throw new InvalidResponseException($"Alpha Vantage's adjusted series for {symbol} is inconsistent: {inconsistency}");
        }

        return new DailySeries(symbol, adjusted, kept, rejected);
    }

    private static List<DailyBar> ParseJson(ReadOnlySpan<byte> body, TickerSymbol symbol, bool adjusted, string apiKey, TimeSpan burstWait)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 8 });
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException e)
        {
            throw new InvalidResponseException($"Alpha Vantage sent malformed JSON for {symbol}: {VendorText.Sanitize(e.Message)}", e);
        }

        using (document)
        {
            try
            {
                return ReadSeries(document.RootElement, symbol, adjusted, apiKey, burstWait);
            }
            catch (InvalidOperationException e)
            {
                // A value of another type where a string belongs, or a string that is not valid UTF-8 (checked only
                // when it is read): a bad answer, not a crash.
                throw new InvalidResponseException($"Alpha Vantage's JSON for {symbol} holds a value it cannot be: {VendorText.Sanitize(e.Message)}", e);
            }
        }
    }

    private static List<DailyBar> ReadSeries(JsonElement root, TickerSymbol symbol, bool adjusted, string apiKey, TimeSpan burstWait)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidResponseException($"Alpha Vantage sent a JSON {root.ValueKind} for {symbol}, not an object.");
        }

        foreach (var key in AlphaVantageErrors.ErrorKeys)
        {
            if (root.TryGetProperty(key, out var message))
            {
                throw AlphaVantageErrors.Classify(key, message.ValueKind == JsonValueKind.String ? message.GetString()! : message.GetRawText(), symbol.Value, apiKey, burstWait);
            }
        }

        if (!root.TryGetProperty("Meta Data", out var meta) || meta.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidResponseException($"Alpha Vantage's answer for {symbol} has no 'Meta Data'.");
        }

        if (meta.TryGetProperty("2. Symbol", out var named) && !string.Equals(named.GetString(), symbol.Value, StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidResponseException($"Alpha Vantage answered for '{VendorText.Sanitize(named.GetString(), 64)}' when {symbol} was asked.");
        }

        if (!root.TryGetProperty("Time Series (Daily)", out var series) || series.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidResponseException($"Alpha Vantage's answer for {symbol} has no 'Time Series (Daily)'.");
        }

        var bars = new List<DailyBar>();
        foreach (var day in series.EnumerateObject())
        {
            var date = ParseDate(day.Name, symbol);
            var v = day.Value;
            bars.Add(adjusted
                ? new DailyBar(date, Dec(v, "1. open", symbol, date), Dec(v, "2. high", symbol, date), Dec(v, "3. low", symbol, date),
                    Dec(v, "4. close", symbol, date), Long(v, "6. volume", symbol, date), Dec(v, "5. adjusted close", symbol, date),
                    Dec(v, "7. dividend amount", symbol, date), Dec(v, "8. split coefficient", symbol, date))
                : new DailyBar(date, Dec(v, "1. open", symbol, date), Dec(v, "2. high", symbol, date), Dec(v, "3. low", symbol, date),
                    Dec(v, "4. close", symbol, date), Long(v, "5. volume", symbol, date)));
        }

        return bars;
    }

    private static List<DailyBar> ParseCsv(string text, TickerSymbol symbol, bool adjusted)
    {
        var lines = text.Split('\n');
        var header = lines[0].TrimEnd('\r');
        var expected = adjusted
            ? "timestamp,open,high,low,close,adjusted_close,volume,dividend_amount,split_coefficient"
            : "timestamp,open,high,low,close,volume";
        if (!string.Equals(header, expected, StringComparison.Ordinal))
        {
            throw new InvalidResponseException($"Alpha Vantage's CSV for {symbol} has header '{VendorText.Sanitize(header, 120)}', expected '{expected}'.");
        }

        var bars = new List<DailyBar>(lines.Length);
        for (var i = 1; i < lines.Length; i++)
        {
            var line = lines[i].TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            var cells = line.Split(',');
            if (cells.Length != (adjusted ? 9 : 6))
            {
                throw new InvalidResponseException($"Alpha Vantage's CSV for {symbol}, line {i + 1}, has {cells.Length} cells.");
            }

            var date = ParseDate(cells[0], symbol);
            bars.Add(adjusted
                ? new DailyBar(date, Dec(cells[1], symbol, date), Dec(cells[2], symbol, date), Dec(cells[3], symbol, date), Dec(cells[4], symbol, date),
                    Long(cells[6], symbol, date), Dec(cells[5], symbol, date), Dec(cells[7], symbol, date), Dec(cells[8], symbol, date))
                : new DailyBar(date, Dec(cells[1], symbol, date), Dec(cells[2], symbol, date), Dec(cells[3], symbol, date), Dec(cells[4], symbol, date),
                    Long(cells[5], symbol, date)));
        }

        return bars;
    }

    private static DateOnly ParseDate(string text, TickerSymbol symbol) =>
        DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date
            : throw new InvalidResponseException($"Alpha Vantage sent '{VendorText.Sanitize(text, 64)}' as a date for {symbol}.");

    private static decimal Dec(JsonElement bar, string name, TickerSymbol symbol, DateOnly date) =>
        bar.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? Dec(value.GetString()!, symbol, date)
            : throw new InvalidResponseException($"Alpha Vantage's bar of {date:yyyy-MM-dd} for {symbol} has no '{name}'.");

    private static long Long(JsonElement bar, string name, TickerSymbol symbol, DateOnly date) =>
        bar.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String
            ? Long(value.GetString()!, symbol, date)
            : throw new InvalidResponseException($"Alpha Vantage's bar of {date:yyyy-MM-dd} for {symbol} has no '{name}'.");

    private static decimal Dec(string text, TickerSymbol symbol, DateOnly date) =>
        text.Length <= 24 && decimal.TryParse(text, NumberStyles.Number, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidResponseException($"Alpha Vantage sent '{VendorText.Sanitize(text, 64)}' as a price of {date:yyyy-MM-dd} for {symbol}.");

    private static long Long(string text, TickerSymbol symbol, DateOnly date) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new InvalidResponseException($"Alpha Vantage sent '{VendorText.Sanitize(text, 64)}' as a volume of {date:yyyy-MM-dd} for {symbol}.");
}
