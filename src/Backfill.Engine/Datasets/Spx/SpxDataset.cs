using System.Globalization;
using Backfill.Core.Calendars;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets.Spx.Parquet;
using Backfill.Engine.Health;
using Backfill.Engine.Processing;
using Backfill.Engine.Verification;
using Backfill.Simulators.ThetaData;
using Backfill.Sources.ThetaData;
using Backfill.Storage.Layout;

namespace Backfill.Engine.Datasets.Spx;

/// <summary>
/// ThetaData option greeks at one-minute intervals from the terminal (API v2 or v3), one sorted Parquet file per NYSE
/// trading date; each expiration is a resumable sub-unit. <c>spx</c> is its SPX+SPXW preset (<see cref="SpxDataset()"/>);
/// the <c>options</c> family (<see cref="Options.OptionsFamily"/>) builds one per root with its own name and layout.
/// </summary>
public sealed class SpxDataset : IDataset, IListedMetrics
{
    /// <summary>What the contract listing planned for a date: expirations quoted that day, requested by this run, holding rows.</summary>
    public IReadOnlyList<(string Column, string Metric)> ListColumns { get; } =
        [("listed", "expirations_listed"), ("requested", "expirations_requested"), ("nonempty", "expirations_nonempty")];

    public const string DatasetName = "spx";

    /// <summary><c>spx/YYYY/MM/DD/spx-options-YYYY-MM-DD.parquet</c>.</summary>
    public static readonly OutputLayout OutputLayout = new(DatasetName, "spx-options", OutputLayout.Parquet);

    private readonly IReadOnlyList<string> _roots;

    /// <summary>The <c>spx</c> dataset: SPX and SPXW in one file per date.</summary>
    public SpxDataset()
        : this(DatasetName, "SPX and SPXW option greeks, 1-minute, one file per trading date", OutputLayout, ["SPX", "SPXW"], SpxSettings.All,
            new SpxDemo("one real-size SPX/SPXW day (2024-06-12, about 10 M rows) against the embedded ThetaData simulator (--scale 0.05: a quick one)", []))
    {
    }

    /// <summary>The greeks of <paramref name="roots"/> under another name, layout and settings (a member of the options family).</summary>
    internal SpxDataset(string name, string description, OutputLayout layout, IReadOnlyList<string> roots, IReadOnlyList<SettingDefinition> settings, IDatasetDemo? demo)
    {
        Name = name;
        Description = description;
        Layout = layout;
        _roots = roots;
        Settings = settings;
        Demo = demo;
    }

    public string Name { get; }

    public string Description { get; }

    public string Source => "ThetaData terminal (API v2/v3)";

    public ITradingCalendar Calendar => NyseCalendar.Instance;

    public SubUnitNoun SubUnits { get; } = new("expiration", "expirations");

    public OutputLayout Layout { get; }

    public IReadOnlyList<SettingDefinition> Settings { get; }

    /// <summary>A real SPX day: about 10 M rows over about 700 listed expirations, 35 bytes a row in Parquet, 400 k rows/s.</summary>
    public DryRunDefaults DryRun { get; } = new(10_000_000, 700, 350_000_000, 25, SpxDayProducer.EstimatedBytesPerRow);

    public IReadOnlyList<string> CheckSettings(EffectiveSettings settings) => [];

    public Task<IUnitProducer> CreateProducerAsync(DatasetHost host, EffectiveSettings settings, ProcessingOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        var source = SpxSourceFactory.Create(settings, options.Retry, host.Loggers);
        return Task.FromResult<IUnitProducer>(new SpxDayProducer(source, SpxOptions.From(settings) with { Roots = _roots }, options, host.Time, layout: Layout, ownsSource: true));
    }

    /// <summary>Asks the terminal for its status once, with a short timeout and no retries.</summary>
    public async Task<(HealthLevel Level, string Detail)> CheckSourceAsync(DatasetHost host, EffectiveSettings settings, CancellationToken cancellationToken)
    {
        var source = ThetaDataClientFactory.Create(
            SpxOptions.Client(settings, HealthChecker.NoRetries(), TimeSpan.FromSeconds(2)) with { MaxConcurrentRequests = 1 });
        try
        {
            var health = await source.CheckTerminalAsync(cancellationToken);
            var detail = health.Version is null ? health.Detail : $"{health.Detail} (version {health.Version})";
            return (health.Reachable ? HealthLevel.Ok : HealthLevel.Fail, detail);
        }
        finally
        {
            (source as IDisposable)?.Dispose();
        }
    }

    public IOutputChecker CreateChecker(DatasetHost? host, EffectiveSettings? settings) => new ParquetOutputChecker(
        SpxContentChecksum.OfFile,
        rowDatesCheck: static (path, date) => ParquetRowDates.CheckDateColumn(path, Parquet.SpxParquetSchema.TradeDate, "trade_date", date));

    public IDatasetDemo? Demo { get; }

    /// <summary>One real-size day against the embedded ThetaData simulator, with <paramref name="extraSettings"/> (the options family's roots).</summary>
    internal sealed class SpxDemo(string summary, IReadOnlyList<string> extraSettings, string command = "backfill") : IDatasetDemo
    {
        public string Summary => summary;

        public async Task<DemoSession> StartAsync(DemoRequest request, CancellationToken cancellationToken)
        {
            var date = request.Date ?? "2024-06-12";
            var simulator = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = request.Scale }, 0, cancellationToken);
            var parquet = Path.Combine(request.Folder, "parquet");
            return new DemoSession(
                simulator,
                [$"Simulated ThetaData terminal (API v2) listening on {simulator.BaseAddress}"],
                [
                    $"{SpxSettings.ThetaBaseUrl}={simulator.BaseAddress}",
                    $"{Configuration.Settings.StartDate}=2016-01-04",
                    $"{Configuration.Settings.OutputDirectory}={parquet}",
                    $"{Configuration.Settings.TempDirectory}={Path.Combine(request.Folder, "temp")}",
                    $"{SpxSettings.MaxDte}={request.MaxDte.ToString(CultureInfo.InvariantCulture)}",
                    .. extraSettings,
                ],
                [["process", date]],
                db =>
                {
                    var files = Directory.EnumerateFiles(parquet, "*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
                    var file = files[0];
                    return
                    [
                        string.Empty,
                        .. files.Select(f => $"Published {f}"),
                        "Query it with any Parquet reader, e.g. DuckDB:",
                        $"  SELECT root, expiration, count(*) AS rows, avg(implied_vol) FROM '{file}' GROUP BY ALL ORDER BY ALL;",
                        $"See the ledger with: {command} --db {db} list   (and: status, gaps --from {date}, verify)",
                    ];
                });
        }
    }
}
