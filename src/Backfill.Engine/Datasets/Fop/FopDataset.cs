using System.Globalization;
using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Engine.Health;
using Backfill.Engine.Processing;
using Backfill.Engine.Verification;
using Backfill.Ledger.Model;
using Backfill.Simulators.Databento;
using Backfill.Sources.Databento.Dbn;
using Backfill.Sources.Databento.Http;
using Backfill.Storage.Layout;

namespace Backfill.Engine.Datasets.Fop;

/// <summary>
/// <c>fop</c>: NY Harbor ULSD calls (OH on HO) picked by target delta from Databento's GLBX.MDP3, one CSV in the
/// reference layout and one Parquet file per CME trade date.
/// </summary>
public sealed class FopDataset : IDataset, IDryRunPlanner, IRangeExporter
{
    public const string DatasetName = "fop";

    /// <summary><c>fop/YYYY/MM/DD/fop-YYYY-MM-DD.parquet</c>, with the CSV beside it.</summary>
    public static readonly OutputLayout OutputLayout = new(DatasetName, DatasetName, OutputLayout.Parquet);

    public static readonly DateOnly DemoFrom = new(2025, 1, 2);
    public static readonly DateOnly DemoTo = new(2025, 1, 31);

    public string Name => DatasetName;

    public string Description => "NY Harbor ULSD (HO/OH) calls picked by target delta, one CSV and Parquet file per trading date";

    public string Source => "Databento historical API (GLBX.MDP3)";

    public ITradingCalendar Calendar => CmeEnergyCalendar.Instance;

    public SubUnitNoun SubUnits { get; } = new("option", "options");

    public OutputLayout Layout => OutputLayout;

    public IReadOnlyList<SettingDefinition> Settings => FopSettings.All;

    /// <summary>A day without history: one selection's worth of requests, a few rows, a few kB.</summary>
    public DryRunDefaults DryRun { get; } = new(3, 4, 5_000, 0.5);

    public IReadOnlyList<string> CheckSettings(EffectiveSettings settings) => [];

    public Task<IUnitProducer> CreateProducerAsync(DatasetHost host, EffectiveSettings settings, ProcessingOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        var client = FopSourceFactory.CreateClient(settings, host.Variable, options.Retry, host.Loggers);
        return Task.FromResult<IUnitProducer>(new FopDayProducer(new FopMarketData(client), FopStrategy.From(settings), options, ownsClient: true));
    }

    /// <summary>A cost estimate of one day of definitions: free, authenticated, so it checks the key too.</summary>
    public async Task<(HealthLevel Level, string Detail)> CheckSourceAsync(DatasetHost host, EffectiveSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(settings);
        try
        {
            using var client = FopSourceFactory.CreateClient(settings, host.Variable, HealthChecker.NoRetries());
            var day = DateOnly.FromDateTime(host.Time.GetUtcNow().UtcDateTime).AddDays(-7);
            var cost = await client.GetCostAsync(
                GetRangeRequest.ForDates(FopStrategy.Dataset, ["OH.OPT"], DbnSchema.Definition, DbnSType.Parent, day, day.AddDays(1)), cancellationToken);
            return (HealthLevel.Ok, string.Create(CultureInfo.InvariantCulture,
                $"Databento at {settings.Get(FopSettings.DatabentoBaseUrl).Value} accepted the API key (one day of OH definitions would cost ${cost:0.####})."));
        }
        catch (Exception e) when (e is BackfillException or InvalidInputException or HttpRequestException)
        {
            return (HealthLevel.Fail, $"Databento at {settings.Get(FopSettings.DatabentoBaseUrl).Value}: {e.Message}");
        }
    }

    /// <summary>Parquet checks; deep: the CSV beside it must match the checksums and rows in the Parquet file.</summary>
    public IOutputChecker CreateChecker(DatasetHost? host, EffectiveSettings? settings) =>
        new ParquetOutputChecker(deepCheck: (path, unit, ct) => FopFileVerifier.VerifyAsync(path, unit.TradeDate, ct));

    /// <summary>Per-date requests, rows, disk and time, and the cost in USD from Databento's <c>metadata.get_cost</c>.</summary>
    public async Task<DryRunPlan> PlanAsync(DatasetHost host, EffectiveSettings settings, IReadOnlyList<DateOnly> dates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(settings);
        var planner = new FopPlanner(FopStrategy.From(settings), FopSelector.CacheDirectoryFor(settings.TempDirectory, Name));
        var history = await host.Ledger.ListUnitsAsync(Name, null, null, UnitStatus.Success, cancellationToken);
        FopPlan plan;
        string? costProblem = null;
        if (dates.Count == 0)
        {
            plan = await planner.PlanAsync(dates, history, null, cancellationToken);
        }
        else
        {
            try
            {
                using var client = FopSourceFactory.CreateClient(settings, host.Variable, RetryPolicyTable.Default);
                plan = await planner.PlanAsync(dates, history, client, cancellationToken);
            }
            catch (InvalidInputException e)
            {
                costProblem = $"no cost estimate: {e.Message}";
                plan = await planner.PlanAsync(dates, history, null, cancellationToken);
            }
            catch (BackfillException e)
            {
                costProblem = $"no cost estimate: Databento metadata.get_cost failed ({e.Kind}): {e.Message}";
                plan = await planner.PlanAsync(dates, history, null, cancellationToken);
            }
        }

        var notes = new List<string>
        {
            $"{plan.Dates.Count} date(s): about {plan.TotalRequests:N0} requests, {plan.TotalRows:N0} rows, {plan.TotalBytes / 1e6:F2} MB of CSV + Parquet, " +
            $"{TimeSpan.FromSeconds(plan.TotalSeconds):g} at one date at a time.",
            plan.TotalCostUsd is { } total
                ? string.Create(CultureInfo.InvariantCulture, $"Estimated cost: ${total:0.00##} (Databento metadata.get_cost, {plan.CostQueries.Count} queries).")
                : "Estimated cost: unknown (see the warning).",
            $"Selections: {plan.SelectionsToCompute} to compute, {plan.SelectionsCached} cached. Estimates from {plan.Basis}.",
        };
        if (plan.TotalCostUsd is not null)
        {
            notes.Add("The chain settlements of a new selection are priced for the whole OH.OPT parent (an upper bound); the daily-bar fallback is not priced.");
        }

        return new DryRunPlan(
            [.. plan.Dates.Select(d => new DryRunDate(d.Date, d.Requests, d.Rows, d.Bytes, d.Seconds, d.CostUsd is { } c ? decimal.Round(c, 6) : null))],
            notes, costProblem);
    }

    public string ExportSummary => "one CSV in the reference layout (timestamp, Futures_Price, one column per option selected in the range)";

    public async Task<RangeExport> ExportAsync(DatasetHost host, EffectiveSettings settings, DateOnly from, DateOnly to, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(settings);
        var store = EnginePaths.OutputStore(settings, Name);
        var result = await new FopExport(host.Ledger).BuildAsync(Name, store, from, to, cancellationToken);
        return new RangeExport(result.Csv, result.Dates, ["timestamp", "Futures_Price", .. result.Options], result.MissingSessions);
    }

    public IDatasetDemo Demo { get; } = new FopDemo();

    /// <summary>A month of CME trade dates against the embedded Databento simulator, then <c>export</c> of the month.</summary>
    private sealed class FopDemo : IDatasetDemo
    {
        public string Summary => "a month of CME trade dates against the embedded Databento simulator, then export of the month as one CSV";

        public async Task<DemoSession> StartAsync(DemoRequest request, CancellationToken cancellationToken)
        {
            var key = "db-demo-" + Guid.NewGuid().ToString("N");
            var simulator = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions { RequiredApiKey = key }, 0, cancellationToken);
            var baseUrl = simulator.BaseAddress.ToString().TrimEnd('/');
            var output = Path.Combine(request.Folder, "data");
            var from = DemoFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var to = DemoTo.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var combined = Path.Combine(request.Folder, $"fop-{from}_{to}.csv");
            return new DemoSession(
                simulator,
                [$"Simulated Databento historical API (GLBX.MDP3 heating oil) listening on {baseUrl}, with a throwaway API key"],
                [
                    $"{Configuration.Settings.StartDate}=2024-01-02",
                    $"{Configuration.Settings.OutputDirectory}={output}",
                    $"{Configuration.Settings.TempDirectory}={Path.Combine(request.Folder, "temp")}",
                    $"{FopSettings.DatabentoBaseUrl}={baseUrl}",
                ],
                [["process-range", from, to], ["export", "--from", from, "--to", to, "--output", combined]],
                db =>
                {
                    var root = Path.Combine(output, DatasetName);
                    var csvs = Directory.GetFiles(root, "*.csv", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
                    var parquets = Directory.GetFiles(root, "*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
                    return
                    [
                        string.Empty,
                        $"Published {csvs.Count} CSV and {parquets.Count} Parquet files under {root}/YYYY/MM/DD/, e.g.",
                        $"  {csvs[0]}",
                        $"  {parquets[0]}",
                        $"The whole month in the reference layout: {combined}",
                        "Query them with any CSV/Parquet reader, e.g. DuckDB:",
                        $"  SELECT trade_date, option_symbol, option_price, selection_delta FROM '{root}/*/*/*/*.parquet' ORDER BY ALL;",
                        $"  SELECT * FROM read_csv('{combined}');",
                        $"See the ledger with: backfill --dataset {DatasetName} --db {db} list   (and: status, gaps --from {from}, verify --deep, export --from {from} --to {to})",
                        $"{simulator.Stats.Requests} requests served by the simulator.",
                    ];
                },
                new Dictionary<string, string>(StringComparer.Ordinal) { [FopSourceFactory.ApiKeyVariable] = key });
        }
    }
}
