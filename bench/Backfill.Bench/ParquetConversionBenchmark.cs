using System.Diagnostics;
using System.Globalization;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Engine.Datasets.Spx.Parquet;
using Backfill.Engine.Datasets.Spx.Staging;

namespace Backfill.Bench;

/// <summary>
/// Stages greeks rows as NDJSON (one file per expiration), then times NDJSON → sorted Parquet.
/// Shapes: <c>synthetic</c> (40 expirations x 150 strikes, N rows) and <c>real</c> (a real-size trading day:
/// 62 non-empty expirations from 3,128 to 269,008 rows, 391 minutes per contract, 643 empty files, 10,072,160 rows).
/// Peak RSS is reported for the conversion alone: VmHWM is reset (/proc/self/clear_refs) after generation and a
/// sampler thread also records VmRSS. With <c>--staging DIR</c> the staged files are kept and reused, so a second
/// run converts in a fresh process that never generated anything.
/// </summary>
internal sealed class ParquetConversionBenchmark : IBenchmark
{
    private const int RealMinutes = 391;

    public string Name => "ndjson-parquet";

    public string Description =>
        "staging NDJSON -> sorted zstd Parquet (args: [rows=5000000] [--shape synthetic|real] [--precision terminal|full] [--rows-factor F] [--staging DIR (kept, reused)] [--copy-to DIR] [--row-group N] [--parse-ahead N])";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        long target = 5_000_000;
        var shape = "synthetic";
        var precision = "terminal";
        var rowsFactor = 1.0;
        string? stagingArg = null;
        string? copyTo = null;
        var options = new SpxParquetWriterOptions();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--shape": shape = args[++i]; break;
                case "--precision": precision = args[++i]; break;
                case "--rows-factor": rowsFactor = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--staging": stagingArg = args[++i]; break;
                case "--copy-to": copyTo = args[++i]; break;
                case "--row-group": options = options with { MaxRowGroupRows = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
                case "--parse-ahead": options = options with { ParseAhead = int.Parse(args[++i], CultureInfo.InvariantCulture) }; break;
                default:
                    if (!long.TryParse(args[i], CultureInfo.InvariantCulture, out target))
                    {
                        copyTo = args[i]; // legacy second positional argument
                    }

                    break;
            }
        }

        if (shape is not ("synthetic" or "real") || precision is not ("terminal" or "full") || rowsFactor <= 0)
        {
            Console.Error.WriteLine("--shape must be synthetic or real, --precision terminal or full, --rows-factor positive");
            return 2;
        }

        var round = precision == "terminal";

        var root = Path.Combine(Path.GetTempPath(), "backfill-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var staging = stagingArg ?? Path.Combine(root, "staging");
        Directory.CreateDirectory(root);
        try
        {
            var stagedFiles = GreeksStaging.ListComplete(staging);
            if (stagingArg is not null && stagedFiles.Count > 0)
            {
                Console.WriteLine($"reusing  {staging} (not regenerated; --shape/rows ignored)");
            }
            else
            {
                Directory.CreateDirectory(staging);
                var genWatch = Stopwatch.StartNew();
                var staged = shape == "real" ? await GenerateRealAsync(staging, rowsFactor, round, cancellationToken) : await GenerateAsync(staging, target, round, cancellationToken);
                Console.WriteLine($"staged   {staged:N0} rows ({shape}, {precision} precision, rows factor {rowsFactor.ToString(CultureInfo.InvariantCulture)}), {genWatch.Elapsed.TotalSeconds:F1} s (not timed); peak RSS of generation {Measure.Mb(Measure.PeakRssBytes())}");
            }

            var files = GreeksStaging.ListComplete(staging);
            var stagedBytes = files.Sum(f => new FileInfo(f.Path).Length);
            Console.WriteLine($"files    {files.Count} staging files ({files.Count(f => new FileInfo(f.Path).Length > 0)} non-empty), {Measure.Mb(stagedBytes)}");

            var output = Path.Combine(root, "spx.parquet");
            GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
            var rssBefore = Measure.RssBytes();
            var hwmReset = Measure.TryResetPeakRss();
            using var sampler = new Measure.RssSampler();
            var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
            var gen2Before = GC.CollectionCount(2);
            var threadsBefore = Measure.ThreadCpu();
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var result = await new SpxParquetWriter(options).WriteAsync(files, output, new SpxFileIdentity(new DateOnly(2024, 1, 2), "bench", "v2"), cancellationToken);
            var seconds = watch.Elapsed.TotalSeconds;
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            sampler.Stop();
            var busiest = sampler.Threads
                .Select(t => (t.Value.Name, Seconds: t.Value.Seconds - (threadsBefore.TryGetValue(t.Key, out var b) ? b.Seconds : 0)))
                .Where(t => t.Seconds >= 0.05)
                .OrderByDescending(t => t.Seconds)
                .ToList();
            var gcInfo = GC.GetGCMemoryInfo(GCKind.Any);
            Console.WriteLine($"options  row group {options.MaxRowGroupRows:N0} rows, parse-ahead {options.ParseAhead}, zstd {options.CompressionLevel}; GC server={System.Runtime.GCSettings.IsServerGC} latency={System.Runtime.GCSettings.LatencyMode}");
            Console.WriteLine($"rows     {result.RowCount:N0} ({result.RowGroups} row groups, {result.DuplicatesDropped} duplicates, {result.Passes} pass{(result.Passes > 1 ? "es: some file was not in key order" : ", every file streamed")})");
            Console.WriteLine($"seconds  {seconds:F2} wall, {cpu:F2} CPU ({cpu / seconds:F2} cores busy; machine load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
            Console.WriteLine($"rows/s   {result.RowCount / seconds:N0}");
            Console.WriteLine($"threads  {string.Join(", ", busiest.Take(6).Select(t => $"{t.Name.Trim()} {t.Seconds:F2}"))} CPU s (busiest threads)");
            var critical = busiest.Count > 0 ? Math.Max(busiest[0].Seconds, cpu / Environment.ProcessorCount) : cpu;
            Console.WriteLine($"bound    {result.RowCount / critical:N0} rows/s if uncontended: max(busiest thread, CPU / {Environment.ProcessorCount} cores) = {critical:F2} s");
            Console.WriteLine($"input    {Measure.Mb(stagedBytes)} NDJSON ({stagedBytes / seconds / 1e6:F0} MB/s)");
            Console.WriteLine($"output   {Measure.Mb(new FileInfo(output).Length)}");
            Console.WriteLine($"managed  committed {Measure.Mb(gcInfo.TotalCommittedBytes)}, {Measure.Mb(GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore)} allocated, {GC.CollectionCount(2) - gen2Before} gen2 GCs, max sampled GC heap {Measure.Mb(sampler.MaxGcHeapBytes)}, last GC heap {Measure.Mb(gcInfo.HeapSizeBytes)} (fragmented {Measure.Mb(gcInfo.FragmentedBytes)})");
            var peak = hwmReset ? Measure.PeakRssBytes() : sampler.MaxRssBytes;
            var pool = ParquetSharp.MemoryPool.GetDefaultMemoryPool();
            Console.WriteLine($"native   Arrow pool {pool.BackendName}: peak {Measure.Mb(pool.MaxMemory)} allocated since start, {Measure.Mb(pool.BytesAllocated)} now; RssAnon {Measure.Mb(Measure.StatusBytes("RssAnon:"))}, RssFile {Measure.Mb(Measure.StatusBytes("RssFile:"))} at end");
            if (Measure.GlibcHeap() is { } heap)
            {
                Console.WriteLine($"malloc   glibc {Measure.Mb(heap.InUse)} in use ({Measure.Mb(heap.Mapped)} mmapped), {Measure.Mb(heap.Free)} free but kept, at end");
            }

            Console.WriteLine($"peak RSS {Measure.Mb(peak)} during conversion ({(hwmReset ? "VmHWM after reset" : "sampled VmRSS")}; sampled max {Measure.Mb(sampler.MaxRssBytes)}; RSS before conversion {Measure.Mb(rssBefore)})");
            if (copyTo is not null)
            {
                File.Copy(output, Path.Combine(copyTo, "spx-options-2024-01-02.parquet"), overwrite: true);
            }

            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>40 expirations x 150 strikes x C/P x 390 minutes ≈ 4.7 M rows; more minutes per strike to reach N.</summary>
    private static async Task<long> GenerateAsync(string directory, long target, bool round, CancellationToken cancellationToken)
    {
        const int expirations = 40;
        const int strikes = 150;
        var minutes = (int)Math.Max(1, Math.Ceiling(target / (double)(expirations * strikes * 2)));
        var day = new DateOnly(2024, 1, 2);
        var rng = new Random(7);
        long written = 0;
        for (var e = 0; e < expirations && written < target; e++)
        {
            var root = e % 4 == 3 ? "SPX" : "SPXW";
            var expiration = day.AddDays(e * 3);
            await using var writer = GreeksStagingWriter.Create(directory, GreeksStaging.SubUnitName(root, expiration));
            var years = (e * 3 + 0.5) / 365.0;
            for (var s = 0; s < strikes && written < target; s++)
            {
                var strike = 4_400_000 + (s * 5_000);
                foreach (var right in "CP")
                {
                    for (var m = 0; m < minutes && written < target; m++)
                    {
                        await writer.WriteAsync(Row(day, root, expiration, strike, right, m, years, rng, round), cancellationToken);
                        written++;
                    }
                }
            }

            await writer.CompleteAsync(cancellationToken);
        }

        return written;
    }

    /// <summary>
    /// A real-size day: 62 non-empty expirations (strike counts 344 down to 4, concave, summing to 12,880 contracts
    /// pairs, i.e. 10,072,160 rows at 391 minutes) plus 643 empty expiration files.
    /// </summary>
    private static async Task<long> GenerateRealAsync(string directory, double rowsFactor, bool round, CancellationToken cancellationToken)
    {
        const int expirations = 62;
        const int totalStrikes = 12_880;
        var strikes = new int[expirations];
        for (var e = 0; e < expirations; e++)
        {
            strikes[e] = (int)Math.Round(4 + (340 * (1 - Math.Pow(e / (double)(expirations - 1), 1.494))));
        }

        var diff = totalStrikes - strikes.Sum();
        for (var e = 1; diff != 0; e = (e % (expirations - 2)) + 1)
        {
            strikes[e] += Math.Sign(diff);
            diff -= Math.Sign(diff);
        }

        for (var e = 0; e < expirations; e++)
        {
            strikes[e] = (int)Math.Round(strikes[e] * rowsFactor);
        }

        var day = new DateOnly(2024, 1, 2);
        var rng = new Random(11);
        long written = 0;
        for (var e = 0; e < expirations; e++)
        {
            var root = e % 5 == 4 ? "SPX" : "SPXW";
            var expiration = day.AddDays(e < 30 ? e : 30 + ((e - 30) * 7));
            await using var writer = GreeksStagingWriter.Create(directory, GreeksStaging.SubUnitName(root, expiration));
            var years = ((expiration.DayNumber - day.DayNumber) + 0.5) / 365.0;
            var first = 4_700_000 - (strikes[e] / 2 * 5_000);
            for (var s = 0; s < strikes[e]; s++)
            {
                var strike = first + (s * 5_000);
                foreach (var right in "CP")
                {
                    for (var m = 0; m < RealMinutes; m++)
                    {
                        await writer.WriteAsync(Row(day, root, expiration, strike, right, m, years, rng, round), cancellationToken);
                        written++;
                    }
                }
            }

            await writer.CompleteAsync(cancellationToken);
        }

        for (var i = 0; i < 643; i++)
        {
            await using var writer = GreeksStagingWriter.Create(directory, GreeksStaging.SubUnitName(i % 2 == 0 ? "SPX" : "SPXW", day.AddDays(400 + (i / 2))));
            await writer.CompleteAsync(cancellationToken);
        }

        return written;
    }

    /// <summary>
    /// One plausible row. <paramref name="round"/> rounds like the terminal does (prices to cents, greeks to 4
    /// decimals); without it every double carries 15-17 significant digits (a harder case for parse and encoding).
    /// </summary>
    private static OptionGreeksRow Row(DateOnly day, string root, DateOnly expiration, int strike, char right, int m, double years, Random rng, bool round)
    {
        var spot = 4700 + Math.Round(Math.Sin(m / 50.0) * 20, 2);
        var moneyness = (spot - (strike / 1000.0)) / (spot * 0.15 * Math.Sqrt(years));
        var delta = right == 'C' ? 0.5 + (0.5 * Math.Tanh(moneyness)) : -0.5 + (0.5 * Math.Tanh(moneyness));
        var mid = Math.Max(0.05, Math.Abs(delta) * 40 + rng.NextDouble());
        var bid = Math.Round(mid - 0.05, 2);
        var row = new OptionGreeksRow(
            day, root, expiration, strike, right, 34_200_000 + (m * 60_000),
            bid, bid + 0.1, delta, -mid / 30 * rng.NextDouble(), mid * 0.2 * rng.NextDouble(), delta * years,
            -delta * years * 0.01, delta * spot / mid, 0.12 + (0.1 * rng.NextDouble()), rng.NextDouble() * 1e-4,
            34_200_000 + (m * 60_000), spot);
        return round
            ? row with
            {
                Ask = Math.Round(row.Ask, 2), Delta = Math.Round(row.Delta, 4), Theta = Math.Round(row.Theta, 4), Vega = Math.Round(row.Vega, 4),
                Rho = Math.Round(row.Rho, 4), Epsilon = Math.Round(row.Epsilon, 4), Lambda = Math.Round(row.Lambda, 4),
                ImpliedVol = Math.Round(row.ImpliedVol, 4), IvError = Math.Round(row.IvError, 4),
            }
            : row;
    }
}
