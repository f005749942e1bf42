using System.Diagnostics;
using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Engine.Datasets.CryptoBook;
using Backfill.Engine.Processing;
using Backfill.Ledger.Sqlite;
using Backfill.Simulators.CryptoLake;
using Backfill.Sources.CryptoLake.Lake;

namespace Backfill.Bench;

/// <summary>
/// One full simulated BINANCE BTC-USDT day of <c>crypto-book</c> through the real engine: the simulator writes the
/// day's three tables to a local mirror (not timed), then the unit processor reads them in place, rebuilds the book,
/// compares it with every vendor snapshot, writes the event stream to Parquet, publishes it and records the ledger.
/// </summary>
internal sealed class CryptoDayBenchmark : IBenchmark
{
    public string Name => "crypto-day";

    public string Description => "end to end: a simulated BTC-USDT day from a local Crypto Lake mirror -> rebuilt, validated Parquet (args: [messages/s=10] [date=2024-08-08])";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var rate = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        var date = args.Length > 1 ? DateOnly.Parse(args[1], CultureInfo.InvariantCulture) : new DateOnly(2024, 8, 8);
        var folder = Directory.CreateTempSubdirectory("backfill-bench-crypto-").FullName;
        try
        {
            var mirror = Path.Combine(folder, "lake");
            var generate = Stopwatch.StartNew();
            var day = CryptoLakeMarket.WriteDay(mirror, date, new CryptoLakeDayOptions { MessagesPerSecond = rate });
            var lakeBytes = Directory.EnumerateFiles(mirror, "*.parquet", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"mirror          {day.Messages:N0} messages ({rate} /s), {day.DeltaRows:N0} delta rows, {day.Snapshots:N0} snapshots, {day.Trades:N0} trades; {lakeBytes / 1e6:F1} MB Parquet, generated in {generate.Elapsed.TotalSeconds:F1} s (not timed)"));

            var ledger = new SqliteLedger(Path.Combine(folder, "bench.db"));
            await using (ledger)
            {
                await ledger.MigrateAsync(cancellationToken);
                using var store = LakeStore.Open(mirror);
                var options = new ProcessingOptions
                {
                    Dataset = "crypto-book",
                    OutputDirectory = Path.Combine(folder, "data", "out"),
                    TempDirectory = Path.Combine(folder, "temp"),
                    Retry = RetryPolicyTable.Default,
                };
                var book = new CryptoBookOptions(mirror, "BINANCE", "BTC-USDT", CryptoLakeMarket.Tick, CryptoLakeMarket.Lot, 60, 20);
                var processor = UnitLifecycle.For(ledger, new CryptoBookDayProducer(store, book, options), options);

                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                var reset = Measure.TryResetPeakRss();
                var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                using var sampler = new Measure.RssSampler();
                var watch = Stopwatch.StartNew();
                var outcome = await processor.ProcessAsync(date, new UnitProgress(date), CancellationToken.None, cancellationToken);
                var wall = watch.Elapsed;
                sampler.Stop();
                var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpuBefore;
                if (outcome.Kind != UnitOutcomeKind.Success)
                {
                    Console.WriteLine($"failed: {outcome.Message}");
                    return 1;
                }

                var load = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "n/a";
                Console.WriteLine($"date            {date:yyyy-MM-dd}: {outcome.Message}");
                Console.WriteLine($"events          {outcome.Rows:N0} rows written (trades + book deltas + snapshots)");
                Console.WriteLine($"end to end      {wall.TotalSeconds:F1} s, {outcome.Rows / wall.TotalSeconds:N0} events/s, {day.Messages / wall.TotalSeconds:N0} messages/s; CPU {cpu.TotalSeconds:F1} s (load average {load})");
                Console.WriteLine($"output          {outcome.FileBytes / 1e6:F1} MB, sha256 {outcome.FileSha256}");
                Console.WriteLine($"peak RSS        {Measure.Mb(Measure.PeakRssBytes())} (whole process, VmHWM{(reset ? " reset before the run" : ", not reset: includes generation")}); max sampled {Measure.Mb(sampler.MaxRssBytes)}");
                Console.WriteLine($"managed         max sampled GC heap {Measure.Mb(sampler.MaxGcHeapBytes)}, {Measure.Mb(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore)} allocated during the run");
            }

            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }
}
