using System.Diagnostics;
using Backfill.Engine.Alerts;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
using Backfill.Ledger.Sqlite;

namespace Backfill.Bench;

/// <summary>
/// One uncached read of the ledger's gauges for <c>/metrics</c> (what <c>serve</c> does at most every 5 s, and what
/// <c>backfill alerts</c> reads): every registered dataset, on a 10-year spx ledger. The machine's CPU is sampled over
/// 250 ms in parallel, which is the floor of a read.
/// </summary>
internal sealed class MetricsScrapeBenchmark : IBenchmark
{
    public string Name => "metrics-scrape";

    public string Description => "time of one uncached read of the /metrics ledger gauges on a 10-year ledger, median of N (target: under 0.5 s; 0.25 s is the CPU sample); args: [--runs N]";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var runs = args.Length == 2 && args[0] == "--runs" && int.TryParse(args[1], System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0 ? n : 11;
        var folder = Directory.CreateTempSubdirectory("backfill-bench-scrape-").FullName;
        try
        {
            var db = Path.Combine(folder, "backfill.db");
            await StartupBenchmark.SeedAsync(db, cancellationToken);
            await using var ledger = new SqliteLedger(db);
            var settings = await new SettingsResolver(new Dictionary<string, string>
            {
                [Settings.StartDate] = "2015-01-02",
                [Settings.OutputDirectory] = Path.Combine(folder, "out"),
                [Settings.TempDirectory] = Path.Combine(folder, "temp"),
            }, new Dictionary<string, string>()).LoadAsync(ledger, cancellationToken);
            var gauges = new LedgerGauges(ledger, DatasetRegistry.Default, settings, TimeProvider.System);
            var times = new List<double>();
            var samples = 0;
            for (var i = 0; i <= runs; i++)
            {
                var watch = Stopwatch.StartNew();
                var families = await gauges.ReadGaugesAsync(cancellationToken);
                watch.Stop();
                samples = families.Sum(f => f.Samples.Count);
                if (i > 0)
                {
                    times.Add(watch.Elapsed.TotalMilliseconds);
                }
            }

            times.Sort();
            Console.WriteLine($"ledger: 10 years of spx units, {DatasetRegistry.Default.All.Count} datasets; {samples} samples a scrape; {runs} runs after one warm-up");
            Console.WriteLine($"metrics-scrape median {times[times.Count / 2] / 1000:F3} s, min {times[0] / 1000:F3} s, max {times[^1] / 1000:F3} s");
            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
