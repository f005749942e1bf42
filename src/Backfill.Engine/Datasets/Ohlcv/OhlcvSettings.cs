using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Sources.AlphaVantage;

namespace Backfill.Engine.Datasets.Ohlcv;

/// <summary>The settings of the <c>ohlcv</c> dataset.</summary>
public static class OhlcvSettings
{
    public const string OhlcvKeyFile = "ohlcv.keyFile";
    public const string OhlcvKeyStore = "ohlcv.keyStore";
    public const string OhlcvSymbols = "ohlcv.symbols";
    public const string AlphaVantageBaseUrl = "alphavantage.baseUrl";
    public const string AlphaVantageAdjusted = "alphavantage.adjusted";
    public const string AlphaVantageMinIntervalMs = "alphavantage.minIntervalMs";
    public const string AlphaVantageDailyBudget = "alphavantage.dailyBudget";
    public const string AlphaVantageApiKey = "alphavantage.apiKey";

    public static IReadOnlyList<SettingDefinition> All { get; } =
    [
        new(OhlcvKeyFile, SettingKind.FilePath, "./data/keys/ohlcv-keys.json",
            "ohlcv: the key file (0600, refused when group or others can read it); OHLCV_ENCRYPTION_KEY overrides its active key.", "./data/keys/ohlcv-keys.json"),
        new(OhlcvKeyStore, SettingKind.Choice, "file",
            "ohlcv: where the keys live: file (ohlcv.keyFile), keyring (the OS keyring: Secret Service via secret-tool, or the macOS keychain; refused when none is usable), auto (keyring when usable, else the file).",
            "auto", Choices: ["file", "keyring", "auto"]),
        new(OhlcvSymbols, SettingKind.Custom, null,
            "ohlcv: the ticker symbols, comma-separated (1-8 letters or digits, optional .X or -X class suffix; at most 500).", "AAPL,MSFT,BRK.B", Optional: true, Check: SymbolList),
        new(AlphaVantageBaseUrl, SettingKind.HttpUrl, "https://www.alphavantage.co",
            "Alpha Vantage API (the key comes from ALPHA_VANTAGE_API_KEY or alphavantage.apiKey).", "https://www.alphavantage.co"),
        new(AlphaVantageAdjusted, SettingKind.Choice, "false",
            "ohlcv: true = TIME_SERIES_DAILY_ADJUSTED (adds adjusted_close, dividend, split; premium), false = TIME_SERIES_DAILY.", "true", Choices: ["false", "true"]),
        new(AlphaVantageMinIntervalMs, SettingKind.NonNegativeInt, "1000",
            "ohlcv: least milliseconds between two Alpha Vantage requests (free tier: about one a second).", "1000", Min: 0, Max: 600_000),
        new(AlphaVantageDailyBudget, SettingKind.PositiveInt, "25",
            "ohlcv: Alpha Vantage requests per New York day, counted across runs in the ledger (free tier: 25 a day).", "25", Max: 1_000_000),
        new(AlphaVantageApiKey, SettingKind.Secret, null,
            "ohlcv: Alpha Vantage API key, stored encrypted with the ohlcv key store and shown masked; ALPHA_VANTAGE_API_KEY wins over it. Set it with: config set alphavantage.apiKey - (reads stdin).",
            "-", Optional: true),
    ];

    /// <summary>Each symbol checked with the strict ticker rule, joined in the order given.</summary>
    private static string SymbolList(string text)
    {
        try
        {
            return string.Join(',', TickerSymbol.ParseList(text).Select(t => t.Value));
        }
        catch (InvalidInputException e)
        {
            throw new InvalidInputException($"{OhlcvSymbols}: {e.Message}");
        }
    }
}
