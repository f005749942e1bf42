using System.Globalization;
using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Engine.Health;
using Backfill.Engine.Processing;
using Backfill.Engine.Verification;
using Backfill.Simulators.CryptoLake;
using Backfill.Sources.CryptoLake.Lake;
using Backfill.Storage.Layout;
using ParquetSharp;

namespace Backfill.Engine.Datasets.CryptoBook;

/// <summary>
/// <c>crypto-book</c>: an L2 order book rebuilt from Crypto Lake's <c>book_delta_v2</c> in integer ticks, checked against
/// every vendor <c>book</c> snapshot, one Parquet event stream per UTC day; each Lake file is a resumable sub-unit.
/// </summary>
public sealed class CryptoBookDataset : IDataset
{
    public const string DatasetName = "crypto-book";

    /// <summary><c>crypto-book/YYYY/MM/DD/crypto-book-YYYY-MM-DD.parquet</c>.</summary>
    public static readonly OutputLayout OutputLayout = new(DatasetName, DatasetName, OutputLayout.Parquet);

    public string Name => DatasetName;

    public string Description => "Crypto L2 order book rebuilt from Crypto Lake deltas, validated against its snapshots: one Parquet event stream per UTC day";

    public string Source => "Crypto Lake (book_delta_v2, book, trades)";

    public ITradingCalendar Calendar => TradingCalendars.Get("24/7");

    public SubUnitNoun SubUnits { get; } = new("file", "files");

    public OutputLayout Layout => OutputLayout;

    public IReadOnlyList<SettingDefinition> Settings => CryptoBookSettings.All;

    /// <summary>A full-depth Binance day: about 1 M events over a dozen files, 15 bytes an event, 240 k events/s.</summary>
    public DryRunDefaults DryRun { get; } = new(1_000_000, 12, 15_000_000, 5, 40);

    public IReadOnlyList<string> CheckSettings(EffectiveSettings settings) => [];

    public Task<IUnitProducer> CreateProducerAsync(DatasetHost host, EffectiveSettings settings, ProcessingOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        var book = CryptoBookOptions.From(settings);
        var store = LakeStore.Open(book.LakeLocation, retry: options.Retry, logger: host.Loggers?.CreateLogger("Backfill.Sources.CryptoLake"), s3: settings.S3Connection);
        return Task.FromResult<IUnitProducer>(new CryptoBookDayProducer(store, book, options, host.Time, ownsStore: true));
    }

    /// <summary>Lists yesterday's (UTC) delta files of the configured market.</summary>
    public async Task<(HealthLevel Level, string Detail)> CheckSourceAsync(DatasetHost host, EffectiveSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        try
        {
            var options = CryptoBookOptions.From(settings);
            using var store = LakeStore.Open(options.LakeLocation, requestTimeout: TimeSpan.FromSeconds(5), retry: HealthChecker.NoRetries(), s3: settings.S3Connection);
            var day = DateOnly.FromDateTime(host.Time.GetUtcNow().UtcDateTime).AddDays(-1);
            var partition = LakePartition.Create(LakeTable.BookDeltaV2, options.Exchange, options.Symbol, day);
            var files = await store.ListAsync(partition, cancellationToken);
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"{store.Description}: {files.Count} book_delta_v2 file(s) for {options.Exchange} {options.Symbol} on {day:yyyy-MM-dd}");
            return files.Count > 0 ? (HealthLevel.Ok, detail + ".") : (HealthLevel.Warn, detail + "; the store answers but holds no data for that day yet.");
        }
        catch (Exception e) when (e is BackfillException or InvalidInputException or HttpRequestException or IOException)
        {
            return (HealthLevel.Fail, e.Message);
        }
    }

    /// <summary>Parquet checks; deep: the content SHA-256 recomputed from the events.</summary>
    public IOutputChecker CreateChecker(DatasetHost? host, EffectiveSettings? settings) =>
        new ParquetOutputChecker(
            deepCheck: static (path, unit, ct) => CryptoBookFileVerifier.VerifyAsync(path, unit.ContentSha256, ct),
            rowDatesCheck: static (path, date) => ParquetRowDates.CheckUtcDayNanos(path, 0, "received_time_ns", date, ReceivedSlack));

    /// <summary>How far past its UTC day a partition's message may have been received (a message sent just before midnight).</summary>
    private static readonly TimeSpan ReceivedSlack = TimeSpan.FromHours(1);

    public IDatasetDemo Demo { get; } = new CryptoBookDemo();

    /// <summary>One BINANCE BTC-USDT day against the embedded Crypto Lake simulator.</summary>
    private sealed class CryptoBookDemo : IDatasetDemo
    {
        public string Summary => "one BINANCE BTC-USDT day against the embedded Crypto Lake simulator, with the validation summary";

        public async Task<DemoSession> StartAsync(DemoRequest request, CancellationToken cancellationToken)
        {
            var date = request.Date ?? "2024-06-12";
            var scale = request.Scale;
            var simulator = await CryptoLakeSimulator.StartAsync(new CryptoLakeDayOptions { MessagesPerSecond = 10 * scale }, cancellationToken: cancellationToken);
            var folder = request.Folder;
            var output = Path.Combine(folder, "data", "parquet");
            return new DemoSession(
                simulator,
                [$"Simulated Crypto Lake bucket (BINANCE BTC-USDT, {(10 * scale).ToString("0.###", CultureInfo.InvariantCulture)} depth messages a second) listening on {simulator.BaseAddress}"],
                [
                    $"{CryptoBookSettings.CryptoLakeBaseUrl}={simulator.BaseAddress}",
                    $"{Configuration.Settings.StartDate}={date}",
                    $"{Configuration.Settings.OutputDirectory}={output}",
                    $"{Configuration.Settings.TempDirectory}={Path.Combine(folder, "temp")}",
                ],
                [["process", date]],
                db =>
                {
                    var file = Directory.EnumerateFiles(output, "*.parquet", SearchOption.AllDirectories).Single();
                    var metrics = Directory.EnumerateFiles(Path.Combine(folder, "data", "metrics"), DatasetName + "-*.jsonl").Single();
                    IReadOnlyDictionary<string, string> meta;
                    using (var reader = new ParquetFileReader(file))
                    {
                        meta = reader.FileMetaData.KeyValueMetadata;
                    }

                    string Meta(string key) => meta.TryGetValue("backfill." + key, out var v) ? v : "?";
                    return
                    [
                        string.Empty,
                        $"Published {file}",
                        $"Validation: {Meta("snapshots_compared")} vendor snapshots compared with the rebuilt book, {Meta("level_mismatches")} level mismatches, "
                            + $"max mid deviation {Meta("max_mid_deviation_ticks")} ticks, {Meta("gaps")} gap(s), {Meta("crossed_messages")} crossed book(s), {Meta("rejected_rows")} malformed row(s)",
                        $"Metrics (OpenTelemetry-shaped JSON lines): {metrics}",
                        "Query it with any Parquet reader, e.g. DuckDB (price = price_ticks x backfill.tick_size):",
                        $"  SELECT event_type, count(*) AS events, min(price_ticks) * 0.01 AS low, max(price_ticks) * 0.01 AS high FROM '{file}' GROUP BY ALL ORDER BY ALL;",
                        $"  SELECT received_time_ns, bid_price_ticks[1] * 0.01 AS bid, ask_price_ticks[1] * 0.01 AS ask FROM '{file}' WHERE event_type = 'BOOK_SNAPSHOT' LIMIT 10;",
                        $"See the ledger with: backfill --dataset {DatasetName} --db {db} list   (and: status, verify --deep)",
                        $"{simulator.Stats.Requests} requests served by the simulator.",
                    ];
                });
        }
    }
}
