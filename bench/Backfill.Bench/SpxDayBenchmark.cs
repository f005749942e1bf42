using Backfill.Engine.Datasets.Spx;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Engine.Processing;
using Backfill.Ledger.Sqlite;
using Backfill.Simulators.ThetaData;
using Backfill.Sources.ThetaData;
using Backfill.Sources.ThetaData.Greeks;

namespace Backfill.Bench;

/// <summary>
/// One full simulated SPX day through the real engine: discovery, streaming to staging, sorted Parquet, atomic
/// publish, ledger. The simulator runs in this process (it shares the 2 cores) unless <c>--terminal</c> names one
/// running in another process. Wall time, this process's CPU time, requests and memory are reported per phase;
/// with <c>--terminal</c>, two replays of the same requests split the download phase into receive, parse and stage.
/// </summary>
internal sealed class SpxDayBenchmark : IBenchmark
{
    private static readonly string[] Phases = ["starting", "listing contracts", "downloading", "writing parquet", "publishing"];

    public string Name => "spx-day";

    public string Description => "end to end: one simulated trading day -> verified Parquet (args: [scale=1] [date=2024-06-12] [--terminal URL: a simulator in another process] [--no-replay])";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        Uri? terminal = null;
        var terminalAt = Array.IndexOf(args, "--terminal");
        if (terminalAt >= 0)
        {
            terminal = new Uri(args[terminalAt + 1]);
            args = [.. args[..terminalAt], .. args[(terminalAt + 2)..]];
        }

        var replay = terminal is not null && !args.Contains("--no-replay");
        args = [.. args.Where(a => a != "--no-replay")];
        var scale = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
        var date = args.Length > 1 ? DateOnly.Parse(args[1], CultureInfo.InvariantCulture) : new DateOnly(2024, 6, 12);
        var folder = Directory.CreateTempSubdirectory("backfill-bench-day-").FullName;
        try
        {
            // In process by default (it then shares the process and its memory); --terminal measures Backfill alone.
            await using var simulator = terminal is null ? await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = scale }, 0, cancellationToken) : null;
            var baseAddress = terminal ?? simulator!.BaseAddress;
            var spx = new SpxOptions();
            var ledger = new SqliteLedger(Path.Combine(folder, "bench.db"));
            await using (ledger)
            {
                await ledger.MigrateAsync(cancellationToken);
                var clientOptions = new ThetaDataClientOptions { BaseAddress = baseAddress };
                using var source = (ThetaDataClientBase)ThetaDataClientFactory.Create(clientOptions);
                var options = new ProcessingOptions
                {
                    Dataset = "spx",
                    OutputDirectory = Path.Combine(folder, "out"),
                    TempDirectory = Path.Combine(folder, "temp"),
                    Retry = RetryPolicyTable.Default,
                };
                var processor = UnitLifecycle.For(ledger, new SpxDayProducer(source, spx, options), options);
                var progress = new UnitProgress(date);
                var phases = new PhaseClock(source.Stats);
                var run = processor.ProcessAsync(date, progress, CancellationToken.None, cancellationToken);
                while (!run.IsCompleted)
                {
                    phases.Observe(progress.Phase);
                    await Task.WhenAny(run, Task.Delay(20, cancellationToken));
                }

                var outcome = await run;
                phases.Finish();
                if (outcome.Kind != UnitOutcomeKind.Success)
                {
                    Console.WriteLine($"failed: {outcome.Message}");
                    return 1;
                }

                var total = phases.Total;
                Console.WriteLine($"date            {date:yyyy-MM-dd} (scale {scale.ToString(CultureInfo.InvariantCulture)}; simulator {(terminal is null ? "in this process: its CPU is counted too" : "at " + terminal)})");
                Console.WriteLine($"rows            {outcome.Rows:N0} in {outcome.SubUnits} expirations, {outcome.ApiRequests} requests, {source.Stats.Bytes / 1e6:F0} MB JSON");
                Console.WriteLine($"end to end      {total.Wall:F1} s wall, {total.Cpu:F1} CPU s ({total.Cpu / total.Wall:F2} cores), {outcome.Rows / total.Wall:N0} rows/s");
                Console.WriteLine($"output          {outcome.FileBytes / 1e6:F1} MB, sha256 {outcome.FileSha256}");
                Console.WriteLine($"peak RSS        {Measure.Mb(Measure.PeakRssBytes())} (whole process{(terminal is null ? ", simulator included" : "")})");
                Console.WriteLine();
                Console.WriteLine($"{"phase",-18} {"wall s",7} {"CPU s",7} {"requests",9} {"max RSS",10} {"max GC heap",12}");
                foreach (var name in Phases)
                {
                    if (phases.Get(name) is { } p)
                    {
                        Console.WriteLine($"{Label(name),-18} {p.Wall,7:F1} {p.Cpu,7:F1} {p.Requests,9} {Measure.Mb(p.MaxRss),10} {Measure.Mb(p.MaxHeap),12}");
                    }
                }

                if (replay)
                {
                    var download = phases.Get("downloading");
                    await ReplayAsync(baseAddress, clientOptions, spx, date, download, cancellationToken);
                }

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

    private static string Label(string phase) => phase switch
    {
        "starting" => "start (ledger)",
        "listing contracts" => "list",
        "downloading" => "download (all)",
        "writing parquet" => "convert",
        "publishing" => "publish + ledger",
        _ => phase,
    };

    /// <summary>
    /// Splits the download phase by running its requests twice more against the same terminal, with the same
    /// concurrency: once reading the bodies and throwing them away (receive), once through the real client and parser
    /// with the rows thrown away (receive + parse). Stage = download − (receive + parse); parse = (receive + parse) −
    /// receive. The terminal answers the same bytes every time (deterministic simulator).
    /// </summary>
    private static async Task ReplayAsync(Uri baseAddress, ThetaDataClientOptions clientOptions, SpxOptions spx, DateOnly date, Phase? download, CancellationToken cancellationToken)
    {
        using var source = (ThetaDataClientBase)ThetaDataClientFactory.Create(clientOptions);
        var quoted = await source.ListQuotedExpirationsAsync(spx.Roots, date, null, cancellationToken)
            ?? throw new InvalidOperationException("the terminal has no contract listing: replay needs it");
        var requests = quoted.SelectMany(p => p.Value.Where(e => e >= date).Select(e => new OptionGreeksRequest(p.Key, e, date, spx.IntervalMs))).ToList();
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = Math.Min(spx.MaxConcurrentSubUnits, clientOptions.MaxConcurrentRequests), CancellationToken = cancellationToken };

        using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.All, MaxConnectionsPerServer = parallel.MaxDegreeOfParallelism + 2 })
        {
            BaseAddress = baseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        long receivedBytes = 0;
        var receive = await Timed(() => Parallel.ForEachAsync(requests, parallel, async (r, ct) =>
        {
            // The v2 request the client sends (the benchmark's client is v2, the default).
            var url = $"v2/bulk_hist/option/greeks?root={r.Root}&exp={r.Expiration:yyyyMMdd}&start_date={date:yyyyMMdd}&end_date={date:yyyyMMdd}&ivl={r.IntervalMs}&rth=true";
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await body.ReadAsync(buffer, ct)) > 0)
            {
                Interlocked.Add(ref receivedBytes, read);
            }
        }));

        long rows = 0;
        var bytesBefore = source.Stats.Bytes;
        var parse = await Timed(() => Parallel.ForEachAsync(requests, parallel, async (r, ct) =>
        {
            long n = 0;
            try
            {
                await foreach (var row in source.StreamGreeksAsync(r, null, ct))
                {
                    n++;
                }
            }
            catch (NoDataException)
            {
                // An expiration without rows on this date.
            }

            Interlocked.Add(ref rows, n);
        }));
        var parsedBytes = source.Stats.Bytes - bytesBefore;

        Console.WriteLine();
        Console.WriteLine($"download phase split by replaying its {requests.Count} requests ({receivedBytes / 1e6:F0} MB received raw, {parsedBytes / 1e6:F0} MB through the client, {rows:N0} rows):");
        Console.WriteLine($"{"",-18} {"wall s",7} {"CPU s",7}");
        Console.WriteLine($"{"  receive",-18} {receive.Wall,7:F1} {receive.Cpu,7:F1}   (HTTP bodies read and discarded)");
        Console.WriteLine($"{"  parse",-18} {"",7} {parse.Cpu - receive.Cpu,7:F1}   (receive + parse {parse.Wall:F1} s wall, {parse.Cpu:F1} CPU s, minus receive)");
        if (download is not null)
        {
            Console.WriteLine($"{"  stage",-18} {"",7} {download.Cpu - parse.Cpu,7:F1}   (download phase {download.Cpu:F1} CPU s minus receive + parse)");
        }
    }

    private static async Task<(double Wall, double Cpu)> Timed(Func<Task> action)
    {
        var watch = Stopwatch.StartNew();
        var cpu = Measure.ProcessCpuSeconds();
        await action();
        return (watch.Elapsed.TotalSeconds, Measure.ProcessCpuSeconds() - cpu);
    }

    /// <summary>One phase's totals.</summary>
    private sealed class Phase
    {
        public double Wall { get; set; }

        public double Cpu { get; set; }

        public long Requests { get; set; }

        public long MaxRss { get; set; }

        public long MaxHeap { get; set; }
    }

    /// <summary>
    /// Attributes wall time, process CPU time (user + system, all threads), requests sent and the largest sampled RSS
    /// and GC heap to the phase the producer reports, sampled every 20 ms: a phase boundary is placed within 20 ms.
    /// </summary>
    private sealed class PhaseClock(OptionSourceStats stats)
    {
        private readonly Dictionary<string, Phase> _phases = new(StringComparer.Ordinal);
        private readonly Stopwatch _watch = Stopwatch.StartNew();
        private readonly double _cpuStart = Measure.ProcessCpuSeconds();
        private string? _current;
        private double _wallAt;
        private double _cpuAt = Measure.ProcessCpuSeconds();
        private long _requestsAt = stats.Requests;

        public (double Wall, double Cpu) Total { get; private set; }

        public Phase? Get(string name) => _phases.GetValueOrDefault(name);

        public void Observe(string phase)
        {
            if (_current is null)
            {
                _current = phase;
            }
            else if (phase != _current)
            {
                Close();
                _current = phase;
            }

            var p = Current();
            p.MaxRss = Math.Max(p.MaxRss, Measure.RssBytes());
            p.MaxHeap = Math.Max(p.MaxHeap, GC.GetGCMemoryInfo(GCKind.Any).HeapSizeBytes);
        }

        public void Finish()
        {
            if (_current is not null)
            {
                Close();
            }

            Total = (_watch.Elapsed.TotalSeconds, Measure.ProcessCpuSeconds() - _cpuStart);
        }

        private Phase Current()
        {
            if (!_phases.TryGetValue(_current!, out var p))
            {
                p = new Phase();
                _phases[_current!] = p;
            }

            return p;
        }

        private void Close()
        {
            var p = Current();
            var (wall, cpu, requests) = (_watch.Elapsed.TotalSeconds, Measure.ProcessCpuSeconds(), stats.Requests);
            p.Wall += wall - _wallAt;
            p.Cpu += cpu - _cpuAt;
            p.Requests += requests - _requestsAt;
            (_wallAt, _cpuAt, _requestsAt) = (wall, cpu, requests);
        }
    }
}
