using System.Text.RegularExpressions;
using Backfill.Core.Errors;
using Backfill.Core.Text;

namespace Backfill.Sources.AlphaVantage;

/// <summary>The symbol is unknown to Alpha Vantage ("Invalid API call" for a series function). Permanent for that symbol.</summary>
public sealed class InvalidSymbolException(string symbol, string message) : BackfillException(message)
{
    public override ErrorKind Kind => ErrorKind.InvalidRequest;

    public string Symbol { get; } = symbol;
}

/// <summary>
/// Alpha Vantage answers errors and limits with HTTP 200 and a one-key JSON body (<c>Error Message</c>, <c>Note</c> or
/// <c>Information</c>); the key name has moved between versions, so the text decides the kind. Every message is
/// redacted (the daily-limit body echoes the caller's API key), then sanitized.
/// </summary>
public static partial class AlphaVantageErrors
{
    public static readonly string[] ErrorKeys = ["Error Message", "Note", "Information"];

    /// <summary>The typed error for one error body's text.</summary>
    public static BackfillException Classify(string key, string text, string symbol, string apiKey, TimeSpan burstWait)
    {
        // Redacted before it is cut, so that no part of the key can survive at the cut.
        var clean = VendorText.Sanitize(Redact(text, apiKey));
        var lower = text.ToLowerInvariant();
        if (lower.Contains("apikey is invalid", StringComparison.Ordinal) || lower.Contains("api key is invalid", StringComparison.Ordinal)
            || lower.Contains("demo", StringComparison.Ordinal))
        {
            return new PermissionDeniedException($"Alpha Vantage refused the API key: {clean} Set ALPHA_VANTAGE_API_KEY to your own key.");
        }

        if (lower.Contains("premium", StringComparison.Ordinal) && !lower.Contains("requests per day", StringComparison.Ordinal)
            && !lower.Contains("calls per day", StringComparison.Ordinal) && !lower.Contains("per second", StringComparison.Ordinal))
        {
            return new PermissionDeniedException($"Alpha Vantage: this needs a premium plan: {clean} Use alphavantage.function=daily and alphavantage.outputSize=compact on a free key.");
        }

        if (lower.Contains("per second", StringComparison.Ordinal) || lower.Contains("per minute", StringComparison.Ordinal)
            || lower.Contains("sparingly", StringComparison.Ordinal))
        {
            var wait = lower.Contains("per minute", StringComparison.Ordinal) ? TimeSpan.FromSeconds(60) : burstWait;
            return new RateLimitedException($"Alpha Vantage rate limit ({key}): {clean}", wait);
        }

        if (lower.Contains("per day", StringComparison.Ordinal) || lower.Contains("daily rate limit", StringComparison.Ordinal))
        {
            return new QuotaExhaustedException($"Alpha Vantage daily request quota is spent: {clean} Run again after the quota resets.");
        }

        if (key == "Error Message" && lower.Contains("invalid api call", StringComparison.Ordinal))
        {
            return new InvalidSymbolException(symbol, $"Alpha Vantage does not know the symbol {symbol}: {clean}");
        }

        return key == "Error Message"
            ? new InvalidRequestException($"Alpha Vantage refused the request for {symbol}: {clean}")
            : new InvalidResponseException($"Alpha Vantage answered with a notice instead of data for {symbol} ({key}): {clean}");
    }

    /// <summary>Removes the API key wherever it appears, and whatever follows "API key as".</summary>
    public static string Redact(string text, string? apiKey)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = apiKey is null || apiKey.Length < 4 ? text : text.Replace(apiKey, "[redacted]", StringComparison.OrdinalIgnoreCase);
        result = KeyEcho().Replace(result, "API key as [redacted]");
        return ApiKeyParameter().Replace(result, "apikey=[redacted]");
    }

    [GeneratedRegex(@"API key as [^\s.,]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 2000)]
    private static partial Regex KeyEcho();

    [GeneratedRegex(@"apikey=[^&\s]+", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 2000)]
    private static partial Regex ApiKeyParameter();
}
