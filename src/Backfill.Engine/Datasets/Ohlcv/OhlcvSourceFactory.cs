using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Encryption;
using Backfill.Engine.Configuration;
using Backfill.Sources.AlphaVantage;

namespace Backfill.Engine.Datasets.Ohlcv;

/// <summary>Builds the Alpha Vantage client and reads the <c>ohlcv</c> settings.</summary>
public static class OhlcvSourceFactory
{
    /// <summary>
    /// The API key: <c>ALPHA_VANTAGE_API_KEY</c> when set, else the setting <c>alphavantage.apiKey</c> (a flag, the environment,
    /// or the ledger, where it is stored encrypted and is decrypted here with <paramref name="keys"/>). A clear error (exit 2)
    /// when neither is set. Never stored in plain text, never logged.
    /// </summary>
    public static AlphaVantageApiKey ApiKey(Func<string, string?> environment, EffectiveSettings? settings = null, KeyStore? keys = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        var value = environment(AlphaVantageApiKey.Variable);
        if (string.IsNullOrWhiteSpace(value) && settings?.Get(OhlcvSettings.AlphaVantageApiKey).Value is { } configured)
        {
            value = SecretSetting.Reveal(OhlcvSettings.AlphaVantageApiKey, configured, keys);
        }

        return string.IsNullOrWhiteSpace(value)
            ? throw new InvalidInputException(
                $"The ohlcv dataset needs an Alpha Vantage API key. Set {AlphaVantageApiKey.Variable}, or store it encrypted with 'backfill config set {OhlcvSettings.AlphaVantageApiKey} -' " +
                "(reads it from stdin; free key: https://www.alphavantage.co/support/#api-key). It is never stored in plain text or logged.")
            : new AlphaVantageApiKey(value.Trim());
    }

    /// <summary>The configured symbols (<c>ohlcv.symbols</c>), or an error naming the setting.</summary>
    public static IReadOnlyList<TickerSymbol> Symbols(EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var value = settings.Get(OhlcvSettings.OhlcvSymbols).Value;
        return string.IsNullOrWhiteSpace(value)
            ? throw new InvalidInputException($"The ohlcv dataset needs a symbol list. Example: backfill config set {OhlcvSettings.OhlcvSymbols} AAPL,MSFT,BRK.B")
            : TickerSymbol.ParseList(value);
    }

    public static int DailyBudget(EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return int.Parse(settings.Get(OhlcvSettings.AlphaVantageDailyBudget).Value!, CultureInfo.InvariantCulture);
    }

    public static bool Adjusted(EffectiveSettings settings) =>
        string.Equals(settings.Get(OhlcvSettings.AlphaVantageAdjusted).Value, "true", StringComparison.OrdinalIgnoreCase);

    /// <param name="budget">The day's budget across runs (<see cref="LedgerRequestBudget"/>); null counts per client only.</param>
    public static AlphaVantageClient CreateClient(EffectiveSettings settings, AlphaVantageApiKey key, RetryPolicyTable retry, HttpMessageHandler? handler = null, IRequestBudget? budget = null, Microsoft.Extensions.Logging.ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var baseUrl = settings.Get(OhlcvSettings.AlphaVantageBaseUrl).Value!.TrimEnd('/') + "/";
        return new AlphaVantageClient(new AlphaVantageClientOptions
        {
            BaseAddress = new Uri(baseUrl),
            ApiKey = key,
            MinInterval = TimeSpan.FromMilliseconds(int.Parse(settings.Get(OhlcvSettings.AlphaVantageMinIntervalMs).Value!, CultureInfo.InvariantCulture)),
            RequestBudget = int.Parse(settings.Get(OhlcvSettings.AlphaVantageDailyBudget).Value!, CultureInfo.InvariantCulture),
            Retry = retry,
            SharedBudget = budget,
        }, handler, logger: loggers?.CreateLogger("Backfill.Sources.AlphaVantage"));
    }
}
