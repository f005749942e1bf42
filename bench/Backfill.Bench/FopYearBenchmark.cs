using System.Diagnostics;
using System.Globalization;
using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Engine.Datasets.Fop;
using Backfill.Engine.Processing;
using Backfill.Ledger.Sqlite;
using Backfill.Simulators.Databento;
using Backfill.Sources.Databento.Http;

namespace Backfill.Bench;

/// <summary>
/// A year of the <c>fop</c> dataset through the real engine, one date at a time as <c>process-range</c> does: roll-date
/// selections (definitions, settlements, implied vols and deltas), daily prices, CSV + Parquet published atomically,
/// ledger. The Databento simulator runs in this process on loopback (it shares the 2 cores), without latency.
/// </summary>
internal sealed class FopYearBenchmark : IBenchmark
{
    public string Name => "fop-year";

    public string Description => "end to end: a simulated year of fop dates -> CSV + Parquet + ledger (args: [year=2024])";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var year = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 2024;
        var dates = CmeEnergyCalendar.Instance.SessionsBetween(new DateOnly(year, 1, 1), new DateOnly(year, 12, 31));
        var folder = Directory.CreateTempSubdirectory("backfill-bench-fop-").FullName;
        try
        {
            await using var simulator = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions(), 0, cancellationToken);
            var ledger = new SqliteLedger(Path.Combine(folder, "bench.db"));
            await using (ledger)
            {
                await ledger.MigrateAsync(cancellationToken);
                using var client = new DatabentoHistoricalClient(new DatabentoClientOptions
                {
                    BaseAddress = simulator.BaseAddress,
                    ApiKey = new DatabentoApiKey("db-bench-" + Guid.NewGuid().ToString("N")),
                    Retry = RetryPolicyTable.Default,
                });
                var options = new ProcessingOptions
                {
                    Dataset = "fop",
                    OutputDirectory = Path.Combine(folder, "out"),
                    TempDirectory = Path.Combine(folder, "temp"),
                    Retry = RetryPolicyTable.Default,
                };
                var processor = UnitLifecycle.For(ledger, new FopDayProducer(new FopMarketData(client), new FopStrategy(), options), options);
                var perDate = new List<double>(dates.Count);
                long bytes = 0;
                var failed = 0;
                var total = Stopwatch.StartNew();
                foreach (var date in dates)
                {
                    var one = Stopwatch.StartNew();
                    var outcome = await processor.ProcessAsync(date, new UnitProgress(date), CancellationToken.None, cancellationToken);
                    perDate.Add(one.Elapsed.TotalMilliseconds);
                    if (outcome.Kind != UnitOutcomeKind.Success)
                    {
                        failed++;
                        Console.WriteLine($"{date:yyyy-MM-dd} {outcome.Kind}: {outcome.Message}");
                        continue;
                    }

                    bytes += outcome.FileBytes + new FileInfo(Path.ChangeExtension(outcome.FilePath!, ".csv")).Length;
                }

                var wall = total.Elapsed;
                perDate.Sort();
                var selections = Directory.GetFiles(FopSelector.CacheDirectoryFor(options.TempDirectory), "*.json").Length;
                Console.WriteLine($"year            {year}: {dates.Count} CME trade dates, {dates.Count - failed} published, {failed} failed");
                Console.WriteLine($"wall time       {wall.TotalSeconds:F1} s ({dates.Count / wall.TotalSeconds:F1} dates/s)");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"per date        mean {perDate.Average():F1} ms, median {Percentile(perDate, 0.5):F1} ms, p95 {Percentile(perDate, 0.95):F1} ms, max {perDate[^1]:F1} ms (roll dates compute a selection)"));
                Console.WriteLine($"requests        {client.Stats.Requests} HTTP requests ({client.Stats.Requests / (double)dates.Count:F2} per date), {client.Stats.Retries} retries, {client.Stats.Bytes / 1e6:F1} MB DBN received; {selections} selections computed");
                Console.WriteLine($"output          {bytes / 1e6:F1} MB of CSV + Parquet");
                Console.WriteLine($"peak RSS        {Measure.Mb(Measure.PeakRssBytes())} (whole process, simulator included)");
                return failed == 0 ? 0 : 1;
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
