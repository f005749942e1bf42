namespace Backfill.Engine.Configuration;

/// <summary>The keys Backfill knows. Unknown keys are refused with the closest known name.</summary>
public static class Settings
{
    public const string ThetaBaseUrl = "thetadata.baseUrl";
    public const string ThetaApiVersion = "thetadata.apiVersion";
    public const string ThetaMaxConcurrentRequests = "thetadata.maxConcurrentRequests";
    public const string ThetaRequestTimeoutSeconds = "thetadata.requestTimeoutSeconds";
    public const string StartDate = "processing.startDate";
    public const string OutputDirectory = "processing.outputDirectory";
    public const string TempDirectory = "processing.tempDirectory";
    public const string MaxConcurrentDates = "processing.maxConcurrentDates";
    public const string IntervalMs = "processing.intervalMs";
    public const string MaxDte = "processing.maxDte";
    public const string RetryLimit = "processing.retryLimit";
    public const string DatabasePath = "database.path";
    public const string DatabaseUrl = "database.url";
    public const string DatabentoBaseUrl = "databento.baseUrl";
    public const string DatabentoRequestTimeoutSeconds = "databento.requestTimeoutSeconds";
    public const string FopTargetDelta = "fop.targetDelta";
    public const string FopMonthsAhead = "fop.monthsAhead";
    public const string FopDeltaTolerance = "fop.deltaTolerance";
    public const string FopRiskFreeRate = "fop.riskFreeRate";
    public const string FopStrategyFile = "fop.strategyFile";
    public const string OhlcvKeyFile = "ohlcv.keyFile";
    public const string OhlcvKeyStore = "ohlcv.keyStore";
    public const string OhlcvSymbols = "ohlcv.symbols";
    public const string AlphaVantageBaseUrl = "alphavantage.baseUrl";
    public const string AlphaVantageAdjusted = "alphavantage.adjusted";
    public const string AlphaVantageMinIntervalMs = "alphavantage.minIntervalMs";
    public const string AlphaVantageDailyBudget = "alphavantage.dailyBudget";
    public const string AlphaVantageApiKey = "alphavantage.apiKey";
    public const string CryptoLakeBaseUrl = "cryptolake.baseUrl";
    public const string CryptoBookExchange = "cryptobook.exchange";
    public const string CryptoBookSymbol = "cryptobook.symbol";
    public const string CryptoBookTickSize = "cryptobook.tickSize";
    public const string CryptoBookLotSize = "cryptobook.lotSize";
    public const string CryptoBookSnapshotIntervalSeconds = "cryptobook.snapshotIntervalSeconds";
    public const string CryptoBookDepth = "cryptobook.depth";
    public const string MetricsExporters = "metrics.exporters";
    public const string MetricsDirectory = "metrics.directory";
    public const string MetricsOtlpEndpoint = "metrics.otlpEndpoint";
    public const string MetricsIntervalSeconds = "metrics.intervalSeconds";
    public const string LoggingDirectory = "logging.directory";
    public const string LoggingMaxFileBytes = "logging.maxFileBytes";
    public const string LoggingKeepFiles = "logging.keepFiles";
    public const string LoggingFormat = "logging.format";

    public static IReadOnlyList<SettingDefinition> All { get; } =
    [
        new(ThetaBaseUrl, SettingKind.HttpUrl, "http://127.0.0.1:25510",
            "Base URL of the local Theta Terminal (v2 listens on 25510, v3 on 25503).", "http://127.0.0.1:25510"),
        new(ThetaApiVersion, SettingKind.Choice, "v2",
            "Theta Terminal API version.", "v3", Choices: ["v2", "v3"]),
        new(ThetaMaxConcurrentRequests, SettingKind.PositiveInt, "4",
            "Requests in flight at once across all dates; match the terminal's HTTP_CONCURRENCY and your tier.", "4", Max: 64),
        new(ThetaRequestTimeoutSeconds, SettingKind.PositiveInt, "300",
            "Seconds one request may take before it is abandoned and retried.", "300", Max: 3600),
        new(StartDate, SettingKind.Date, null,
            "First trading date to backfill; required before processing.", "2020-01-02"),
        new(OutputDirectory, SettingKind.WritableDirectory, "./data/parquet",
            "Where verified Parquet files are published.", "/data/backfill/parquet"),
        new(TempDirectory, SettingKind.WritableDirectory, "./data/temp",
            "Where staging NDJSON and in-progress files live; best on the same disk as the output.", "/data/backfill/temp"),
        new(MaxConcurrentDates, SettingKind.PositiveInt, "1",
            "Trading dates processed at once by process-range and process-gaps.", "2", Max: 16),
        new(IntervalMs, SettingKind.PositiveInt, "60000",
            "Bar interval of the greeks in milliseconds (60000 = 1 minute).", "60000", Min: 1000, Max: 3_600_000),
        new(MaxDte, SettingKind.NonNegativeInt, "0",
            "Only expirations at most this many calendar days after the trade date (0 = all).", "45", Min: 0, Max: 36_500),
        new(RetryLimit, SettingKind.PositiveInt, "5",
            "Attempts a date may take before retry needs --force.", "5", Max: 1000),
        new(DatabasePath, SettingKind.FilePath, "./data/backfill.db",
            "The ledger's SQLite file. Chooses the ledger, so set it with --db or BACKFILL_DATABASE_PATH.",
            "./data/backfill.db", Bootstrap: true),
        new(DatabaseUrl, SettingKind.DatabaseUrl, null,
            "A shared PostgreSQL ledger (postgres://user:password@host:5432/db); when set it replaces database.path. Set it with --db or BACKFILL_DATABASE_URL.",
            "postgres://backfill:PASSWORD@db.internal:5432/backfill", Bootstrap: true, Optional: true),
        new(DatabentoBaseUrl, SettingKind.HttpUrl, "https://hist.databento.com",
            "Databento historical API (the key comes from DATABENTO_API_KEY, never from settings).", "https://hist.databento.com"),
        new(DatabentoRequestTimeoutSeconds, SettingKind.PositiveInt, "100",
            "Seconds one Databento request may take.", "100", Max: 3600),
        new(FopTargetDelta, SettingKind.Fraction, "0.15",
            "fop: call delta the monthly selection aims for.", "0.15"),
        new(FopMonthsAhead, SettingKind.PositiveInt, "2",
            "fop: the option's futures contract month, counted from the selection month (2 = M+2).", "2", Max: 12),
        new(FopDeltaTolerance, SettingKind.Fraction, "0.02",
            "fop: a selection further than this from the target delta is flagged (the closest is still taken).", "0.02"),
        new(FopRiskFreeRate, SettingKind.Fraction, "0.05",
            "fop: continuously compounded rate for Black-76 discounting.", "0.05"),
        new(FopStrategyFile, SettingKind.FilePath, null,
            "fop: YAML file with strategy.target_delta, months_ahead, delta_tolerance (between environment and stored values).", "./fop.yaml", Optional: true),
        new(OhlcvKeyFile, SettingKind.FilePath, "./data/keys/ohlcv-keys.json",
            "ohlcv: the key file (0600, refused when group or others can read it); OHLCV_ENCRYPTION_KEY overrides its active key.", "./data/keys/ohlcv-keys.json"),
        new(OhlcvKeyStore, SettingKind.Choice, "file",
            "ohlcv: where the keys live: file (ohlcv.keyFile), keyring (the OS keyring: Secret Service via secret-tool, or the macOS keychain; refused when none is usable), auto (keyring when usable, else the file).",
            "auto", Choices: ["file", "keyring", "auto"]),
        new(OhlcvSymbols, SettingKind.SymbolList, null,
            "ohlcv: the ticker symbols, comma-separated (1-8 letters or digits, optional .X or -X class suffix; at most 500).", "AAPL,MSFT,BRK.B", Optional: true),
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
        new(CryptoLakeBaseUrl, SettingKind.LakeLocation, "./data/cryptolake",
            "crypto-book: Crypto Lake's files: a local mirror folder ({table}/exchange=X/symbol=Y/dt=YYYY-MM-DD/*.parquet) or an http(s) base answering S3 listing.", "https://s3.eu-west-1.amazonaws.com/BUCKET/market-data/cryptofeed"),
        new(CryptoBookExchange, SettingKind.LakeExchange, "BINANCE",
            "crypto-book: Crypto Lake exchange name.", "BINANCE"),
        new(CryptoBookSymbol, SettingKind.LakeSymbol, "BTC-USDT",
            "crypto-book: Crypto Lake symbol.", "BTC-USDT"),
        new(CryptoBookTickSize, SettingKind.GridStep, "0.01",
            "crypto-book: the instrument's price tick; prices become exact integer ticks and off-grid values are counted.", "0.01"),
        new(CryptoBookLotSize, SettingKind.GridStep, "0.00000001",
            "crypto-book: the size step sizes are kept in (Binance sends 8 decimals).", "0.00000001"),
        new(CryptoBookSnapshotIntervalSeconds, SettingKind.PositiveInt, "60",
            "crypto-book: seconds between the top-N snapshots written from the rebuilt book.", "60", Max: 86_400),
        new(CryptoBookDepth, SettingKind.PositiveInt, "20",
            "crypto-book: levels a side in the written snapshots (N of top-N).", "20", Max: 1000),
        new(MetricsExporters, SettingKind.ChoiceList, "jsonl",
            "Where metrics go, comma-separated: jsonl (files in metrics.directory), otlp (metrics.otlpEndpoint), prometheus (/metrics of backfill serve), or none.",
            "jsonl,otlp", Choices: ["jsonl", "otlp", "prometheus"]),
        new(MetricsDirectory, SettingKind.WritableDirectory, "./data/metrics",
            "Folder of the JSON-lines metric files (one file per UTC day).", "/data/backfill/metrics"),
        new(MetricsOtlpEndpoint, SettingKind.HttpUrl, "http://127.0.0.1:4318",
            "OpenTelemetry collector receiving OTLP over HTTP/protobuf (the path /v1/metrics is added when none is given).", "http://collector.internal:4318"),
        new(MetricsIntervalSeconds, SettingKind.PositiveInt, "60",
            "Seconds between two metric exports (every run also exports at its end).", "15", Max: 3600),
        new(LoggingDirectory, SettingKind.WritableDirectory, "./data/logs",
            "Folder of the log files backfill-YYYYMMDD.log.", "/var/log/backfill"),
        new(LoggingMaxFileBytes, SettingKind.PositiveInt, "10485760",
            "A log file is rotated (backfill-YYYYMMDD.1.log, .2, ...) when it reaches this size.", "10485760", Min: 4096, Max: 1_073_741_824),
        new(LoggingKeepFiles, SettingKind.PositiveInt, "10",
            "Log files kept; older ones are deleted.", "10", Max: 1000),
        new(LoggingFormat, SettingKind.Choice, "json",
            "Lines of the log file: json (one object a line) or text.", "text", Choices: ["json", "text"]),
    ];

    private static readonly Dictionary<string, SettingDefinition> ByKey =
        All.ToDictionary(d => d.Key, StringComparer.OrdinalIgnoreCase);

    /// <summary>Finds a key (case-insensitive), or throws a message naming the closest known key.</summary>
    public static SettingDefinition Get(string key)
    {
        if (ByKey.TryGetValue(key?.Trim() ?? string.Empty, out var definition))
        {
            return definition;
        }

        var printable = Backfill.Core.Time.DateInput.Printable(key ?? string.Empty);
        var closest = All.MinBy(d => Distance(d.Key.ToUpperInvariant(), (key ?? string.Empty).ToUpperInvariant()))!;
        throw new Backfill.Core.Errors.InvalidInputException(
            $"Unknown configuration key '{printable}'. Did you mean '{closest.Key}'? Run 'backfill config get' to list every key.");
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
