using Backfill.Engine.Datasets.Spx;
using System.Diagnostics;
using System.Globalization;
using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Engine.Processing;
using Backfill.Ledger.Sqlite;
using Backfill.Simulators.ThetaData;
using Backfill.Sources.ThetaData;

namespace Backfill.Bench;

/// <summary>
/// One full simulated SPX day through the real engine: discovery, streaming to staging, sorted Parquet, atomic
/// publish, ledger. The simulator runs in this process (it shares the 2 cores), with no simulated latency.
/// </summary>
internal sealed class SpxDayBenchmark : IBenchmark
{
    public string Name => "spx-day";

    public string Description => "end to end: one simulated trading day -> verified Parquet (args: [scale=1] [date=2024-06-12] [--terminal URL: a simulator in another process])";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        Uri? terminal = null;
        var terminalAt = Array.IndexOf(args, "--terminal");
        if (terminalAt >= 0)
        {
            terminal = new Uri(args[terminalAt + 1]);
            args = [.. args[..terminalAt], .. args[(terminalAt + 2)..]];
        }

        var scale = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
        var date = args.Length > 1 ? DateOnly.Parse(args[1], CultureInfo.InvariantCulture) : new DateOnly(2024, 6, 12);
        var folder = Directory.CreateTempSubdirectory("backfill-bench-day-").FullName;
        try
        {
            // In process by default (it then shares the process and its memory); --terminal measures Backfill alone.
            await using var simulator = terminal is null ? await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = scale }, 0, cancellationToken) : null;
            var ledger = new SqliteLedger(Path.Combine(folder, "bench.db"));
            await using (ledger)
            {
                await ledger.MigrateAsync(cancellationToken);
                using var source = (ThetaDataClientBase)ThetaDataClientFactory.Create(new ThetaDataClientOptions { BaseAddress = terminal ?? simulator!.BaseAddress });
                var options = new ProcessingOptions
                {
                    Dataset = "spx",
                    OutputDirectory = Path.Combine(folder, "out"),
                    TempDirectory = Path.Combine(folder, "temp"),
                    Retry = RetryPolicyTable.Default,
                };
                var processor = UnitLifecycle.For(ledger, new SpxDayProducer(source, new SpxOptions(), options), options);
                var progress = new UnitProgress(date);
                var watch = Stopwatch.StartNew();
                var run = processor.ProcessAsync(date, progress, CancellationToken.None, cancellationToken);
                TimeSpan? writingStarted = null;
                long downloadRss = 0, convertRss = 0, downloadHeap = 0, convertHeap = 0;
                while (!run.IsCompleted)
                {
                    if (writingStarted is null && progress.Phase == "writing parquet")
                    {
                        writingStarted = watch.Elapsed;
                    }

                    var rss = Measure.RssBytes();
                    var heap = GC.GetGCMemoryInfo(GCKind.Any).HeapSizeBytes;
                    if (writingStarted is null)
                    {
                        (downloadRss, downloadHeap) = (Math.Max(downloadRss, rss), Math.Max(downloadHeap, heap));
                    }
                    else
                    {
                        (convertRss, convertHeap) = (Math.Max(convertRss, rss), Math.Max(convertHeap, heap));
                    }

                    await Task.WhenAny(run, Task.Delay(20, cancellationToken));
                }

                var outcome = await run;
                var total = watch.Elapsed;
                if (outcome.Kind != UnitOutcomeKind.Success)
                {
                    Console.WriteLine($"failed: {outcome.Message}");
                    return 1;
                }

                var download = writingStarted ?? total;
                var convert = total - download;
                Console.WriteLine($"date            {date:yyyy-MM-dd} (scale {scale.ToString(CultureInfo.InvariantCulture)}; simulator {(terminal is null ? "in this process" : "at " + terminal)})");
                Console.WriteLine($"rows            {outcome.Rows:N0} in {outcome.SubUnits} expirations, {outcome.ApiRequests} requests, {source.Stats.Bytes / 1e6:F0} MB JSON");
                Console.WriteLine($"end to end      {total.TotalSeconds:F1} s, {outcome.Rows / total.TotalSeconds:N0} rows/s");
                Console.WriteLine($"  download      {download.TotalSeconds:F1} s, {outcome.Rows / download.TotalSeconds:N0} rows/s (simulator generating JSON on the same cores)");
                Console.WriteLine($"  to parquet    {convert.TotalSeconds:F1} s, {outcome.Rows / Math.Max(convert.TotalSeconds, 0.001):N0} rows/s (NDJSON staging -> sorted zstd Parquet, publish, ledger)");
                Console.WriteLine($"output          {outcome.FileBytes / 1e6:F1} MB, sha256 {outcome.FileSha256}");
                Console.WriteLine($"peak RSS        {Measure.Mb(Measure.PeakRssBytes())} (whole process{(terminal is null ? ", simulator included" : "")})");
                Console.WriteLine($"  download      max sampled RSS {Measure.Mb(downloadRss)}, GC heap {Measure.Mb(downloadHeap)}");
                Console.WriteLine($"  to parquet    max sampled RSS {Measure.Mb(convertRss)}, GC heap {Measure.Mb(convertHeap)}");
                GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
                var info = GC.GetGCMemoryInfo(GCKind.Any);
                var names = new[] { "gen0", "gen1", "gen2", "LOH", "POH" };
                Console.WriteLine("live after   " + string.Join(", ", info.GenerationInfo.ToArray().Select((g, i) => $"{names[i]} {Measure.Mb(g.SizeAfterBytes)}")));
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
