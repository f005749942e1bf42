namespace Backfill.Engine.Configuration;

/// <summary>
/// The settings every dataset shares (processing folders and limits, the ledger, metrics, logs). Each dataset declares
/// its own keys beside its code (<see cref="Datasets.IDataset.Settings"/>); <see cref="SettingCatalog"/> joins them.
/// </summary>
public static class Settings
{
    public const string StartDate = "processing.startDate";
    public const string OutputDirectory = "processing.outputDirectory";
    public const string TempDirectory = "processing.tempDirectory";
    public const string MaxConcurrentDates = "processing.maxConcurrentDates";
    public const string RetryLimit = "processing.retryLimit";
    public const string SecondPassDelaySeconds = "processing.secondPassDelaySeconds";
    public const string DatabasePath = "database.path";
    public const string DatabaseUrl = "database.url";
    public const string MetricsExporters = "metrics.exporters";
    public const string MetricsDirectory = "metrics.directory";
    public const string MetricsOtlpEndpoint = "metrics.otlpEndpoint";
    public const string MetricsIntervalSeconds = "metrics.intervalSeconds";
    public const string LoggingDirectory = "logging.directory";
    public const string LoggingMaxFileBytes = "logging.maxFileBytes";
    public const string LoggingKeepFiles = "logging.keepFiles";
    public const string LoggingFormat = "logging.format";
    public const string LedgerBackupKeep = "ledger.backupKeep";
    public const string S3Endpoint = "s3.endpoint";
    public const string S3Region = "s3.region";
    public const string S3ForcePathStyle = "s3.forcePathStyle";
    public const string MetricsPushgatewayUrl = "metrics.pushgatewayUrl";
    public const string AlertsWebhookUrl = "alerts.webhookUrl";
    public const string AlertsRepeatInterval = "alerts.repeatInterval";
    public const string AlertsWebhookTimeoutSeconds = "alerts.webhookTimeoutSeconds";
    public const string AlertsFailureRatePercent = "alerts.failureRatePercent";
    public const string AlertsMaxConsecutiveMissing = "alerts.maxConsecutiveMissing";
    public const string AlertsNoSuccessSessions = "alerts.noSuccessSessions";
    public const string AlertsConnectivityFailurePercent = "alerts.connectivityFailurePercent";
    public const string AlertsDiskFreePercent = "alerts.diskFreePercent";
    public const string AlertsResourcePercent = "alerts.resourcePercent";
    public const string AlertsResourceForMinutes = "alerts.resourceForMinutes";

    public static IReadOnlyList<SettingDefinition> General { get; } =
    [
        new(StartDate, SettingKind.Date, null,
            "First trading date to backfill; required before processing.", "2020-01-02"),
        new(OutputDirectory, SettingKind.WritableDirectory, "./data/parquet",
            "Where verified outputs are published: a local folder, or s3://BUCKET/PREFIX (see s3.*).", "/data/backfill/parquet"),
        new(TempDirectory, SettingKind.WritableDirectory, "./data/temp",
            "Where staging NDJSON and in-progress files live; best on the same disk as the output.", "/data/backfill/temp"),
        new(MaxConcurrentDates, SettingKind.PositiveInt, "1",
            "Trading dates processed at once by process-range and process-gaps.", "2", Max: 16),
        new(RetryLimit, SettingKind.PositiveInt, "5",
            "Attempts a date may take before retry needs --force.", "5", Max: 1000),
        new(SecondPassDelaySeconds, SettingKind.NonNegativeInt, "30",
            "Seconds a date that failed on a transient error waits before its second pass over what is not done (0: at once).", "30", Min: 0, Max: 3600),
        new(DatabasePath, SettingKind.FilePath, "./data/backfill.db",
            "The ledger's SQLite file. Chooses the ledger, so set it with --db or BACKFILL_DATABASE_PATH.",
            "./data/backfill.db", Bootstrap: true),
        new(DatabaseUrl, SettingKind.DatabaseUrl, null,
            "A shared PostgreSQL ledger (postgres://user:password@host:5432/db); when set it replaces database.path. Set it with --db or BACKFILL_DATABASE_URL.",
            "postgres://backfill:PASSWORD@db.internal:5432/backfill", Bootstrap: true, Optional: true),
        new(MetricsExporters, SettingKind.ChoiceList, "jsonl",
            "Where metrics go, comma-separated: jsonl (files in metrics.directory), otlp (metrics.otlpEndpoint), prometheus (/metrics of backfill serve), pushgateway (metrics.pushgatewayUrl), or none.",
            "jsonl,otlp", Choices: ["jsonl", "otlp", "prometheus", "pushgateway"]),
        new(MetricsDirectory, SettingKind.WritableDirectory, "./data/metrics",
            "Folder of the JSON-lines metric files (one file per UTC day).", "/data/backfill/metrics"),
        new(MetricsOtlpEndpoint, SettingKind.HttpUrl, "http://127.0.0.1:4318",
            "OpenTelemetry collector receiving OTLP over HTTP/protobuf (the path /v1/metrics is added when none is given).", "http://collector.internal:4318"),
        new(MetricsIntervalSeconds, SettingKind.PositiveInt, "60",
            "Seconds between two metric exports (every run also exports at its end).", "15", Max: 3600),
        new(LoggingDirectory, SettingKind.WritableDirectory, "./data/logs",
            "Folder of the log files backfill-YYYYMMDD.log.", "/var/log/backfill"),
        new(LoggingMaxFileBytes, SettingKind.PositiveInt, "10485760",
            "At this size the day continues in a new file (backfill-YYYYMMDD_001.log, _002, ...).", "10485760", Min: 4096, Max: 1_073_741_824),
        new(LoggingKeepFiles, SettingKind.PositiveInt, "10",
            "Log files kept; older ones are deleted.", "10", Max: 1000),
        new(LoggingFormat, SettingKind.Choice, "json",
            "Lines of the log file: json (one object a line) or text.", "text", Choices: ["json", "text"]),
        new(LedgerBackupKeep, SettingKind.PositiveInt, "7",
            "Backups 'backfill ledger backup' keeps in its default folder (backups beside the SQLite ledger): the newest; files it did not name are never removed.", "14", Max: 1000),
        new(S3Endpoint, SettingKind.HttpUrl, null,
            "An S3-compatible endpoint (MinIO, Ceph, ...) for s3:// locations; unset: AWS S3 (or AWS_ENDPOINT_URL). Credentials come from the AWS chain, never from here.",
            "http://minio.internal:9000", Optional: true),
        new(S3Region, SettingKind.Custom, null,
            "The bucket's region for s3:// locations; unset: AWS_REGION, the AWS profile, else us-east-1.", "eu-west-1", Optional: true, Check: CheckRegion),
        new(S3ForcePathStyle, SettingKind.Choice, "false",
            "Address buckets as ENDPOINT/BUCKET/KEY (most S3-compatible stores need true); unset: BACKFILL_S3_FORCEPATHSTYLE.", "true", Choices: ["true", "false"]),
        new(MetricsPushgatewayUrl, SettingKind.HttpUrl, "http://127.0.0.1:9091",
            "Prometheus push gateway a run pushes its metrics to (every metrics.intervalSeconds and at its end) when metrics.exporters has pushgateway: job backfill, grouped by dataset and instance.",
            "http://pushgateway.internal:9091"),
        new(AlertsWebhookUrl, SettingKind.SecretUrl, null,
            "Incoming webhook (Slack-compatible: JSON with a text field) told of firing and resolved alerts by 'backfill alerts' and at the end of processing commands. " +
            "Its path is a credential: set it in the environment (BACKFILL_ALERTS_WEBHOOKURL), never stored; shown as scheme://host/***.",
            "https://hooks.slack.com/services/T000/B000/XXXX", Optional: true),
        new(AlertsRepeatInterval, SettingKind.Custom, "4h",
            "A firing alert is sent again to the webhook only after this long (30m, 4h, 1d).", "4h", Check: AlertDurations.CheckRepeatInterval),
        new(AlertsWebhookTimeoutSeconds, SettingKind.PositiveInt, "10",
            "Seconds one webhook request may take before it is abandoned (and retried).", "10", Max: 300),
        new(AlertsFailureRatePercent, SettingKind.NonNegativeInt, "5",
            "Alert when more than this percentage of the attempts that finished in the last 24 hours failed.", "5", Min: 0, Max: 100),
        new(AlertsMaxConsecutiveMissing, SettingKind.PositiveInt, "3",
            "Alert when gap analysis finds more than this many consecutive sessions without output.", "3", Max: 100_000),
        new(AlertsNoSuccessSessions, SettingKind.PositiveInt, "3",
            "Alert when this many sessions have ended since a dataset's last success.", "3", Max: 100_000),
        new(AlertsConnectivityFailurePercent, SettingKind.NonNegativeInt, "10",
            "Alert when more than this percentage of the last hour's source requests failed to connect (connection failed, terminal not running, server error).", "10", Min: 0, Max: 100),
        new(AlertsDiskFreePercent, SettingKind.NonNegativeInt, "20",
            "Alert when the output or temp folder's disk has less than this percentage free (0: never).", "20", Min: 0, Max: 100),
        new(AlertsResourcePercent, SettingKind.NonNegativeInt, "90",
            "Alert when the machine's memory or CPU in use is above this percentage for alerts.resourceForMinutes (100: never).", "90", Min: 0, Max: 100),
        new(AlertsResourceForMinutes, SettingKind.NonNegativeInt, "15",
            "Minutes memory or CPU must stay above alerts.resourcePercent before the alert fires.", "15", Min: 0, Max: 1440),
    ];

    private static string CheckRegion(string text) =>
        System.Text.RegularExpressions.Regex.IsMatch(text, "^[a-z]{2}(-[a-z0-9]+){1,3}-[0-9]{1,2}$|^[a-z0-9-]{2,40}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant)
            ? text
            : throw new Core.Errors.InvalidInputException($"{S3Region}: '{Backfill.Core.Time.DateInput.Printable(text)}' is not a region name. Example: eu-west-1.");
}
