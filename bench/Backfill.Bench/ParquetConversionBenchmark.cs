using System.Diagnostics;
using System.Globalization;
using Backfill.Core.Datasets;
using Backfill.Storage.Parquet;
using Backfill.Storage.Staging;

namespace Backfill.Bench;

/// <summary>Stages N plausible greeks rows as NDJSON (one file per expiration), then times NDJSON → sorted Parquet.</summary>
internal sealed class ParquetConversionBenchmark : IBenchmark
{
    public string Name => "ndjson-parquet";

    public string Description => "staging NDJSON -> sorted zstd Parquet (args: [rows=5000000] [copy-output-to-dir])";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var target = args.Length > 0 ? long.Parse(args[0], CultureInfo.InvariantCulture) : 5_000_000;
        var root = Path.Combine(Path.GetTempPath(), "backfill-bench-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
        var staging = Path.Combine(root, "staging");
        Directory.CreateDirectory(staging);
        try
        {
            var genWatch = Stopwatch.StartNew();
            var staged = await GenerateAsync(staging, target, cancellationToken);
            var stagedBytes = Directory.GetFiles(staging).Sum(f => new FileInfo(f).Length);
            Console.WriteLine($"staged   {staged:N0} rows in {GreeksStaging.ListComplete(staging).Count} files, {Measure.Mb(stagedBytes)}, {genWatch.Elapsed.TotalSeconds:F1} s (not timed)");

            var output = Path.Combine(root, "spx.parquet");
            var files = GreeksStaging.ListComplete(staging);
            var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var result = await new SpxParquetWriter().WriteAsync(files, output, new SpxFileIdentity(new DateOnly(2024, 1, 2), "bench", "v2"), cancellationToken);
            var seconds = watch.Elapsed.TotalSeconds;
            Console.WriteLine($"rows     {result.RowCount:N0} ({result.RowGroups} row groups, {result.DuplicatesDropped} duplicates)");
            var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            Console.WriteLine($"seconds  {seconds:F2} wall, {cpu:F2} CPU ({cpu / seconds:F2} cores busy; machine load {File.ReadAllText("/proc/loadavg").Split(' ')[0]})");
            Console.WriteLine($"rows/s   {result.RowCount / seconds:N0}");
            Console.WriteLine($"input    {Measure.Mb(stagedBytes)} NDJSON ({stagedBytes / seconds / 1e6:F0} MB/s)");
            Console.WriteLine($"output   {Measure.Mb(new FileInfo(output).Length)}");
            Console.WriteLine($"peak RSS {Measure.Mb(Measure.PeakRssBytes())} (whole process, generation included)");
            if (args.Length > 1)
            {
                File.Copy(output, Path.Combine(args[1], "spx-options-2024-01-02.parquet"), overwrite: true);
            }

            return 0;
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    /// <summary>40 expirations x 150 strikes x C/P x 390 minutes ≈ 4.7 M rows; more minutes per strike to reach N.</summary>
    private static async Task<long> GenerateAsync(string directory, long target, CancellationToken cancellationToken)
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
                        var spot = 4700 + Math.Round(Math.Sin(m / 50.0) * 20, 2);
                        var moneyness = (spot - (strike / 1000.0)) / (spot * 0.15 * Math.Sqrt(years));
                        var delta = right == 'C' ? 0.5 + (0.5 * Math.Tanh(moneyness)) : -0.5 + (0.5 * Math.Tanh(moneyness));
                        var mid = Math.Max(0.05, Math.Abs(delta) * 40 + rng.NextDouble());
                        var bid = Math.Round(mid - 0.05, 2);
                        await writer.WriteAsync(
                            new OptionGreeksRow(
                                day, root, expiration, strike, right, 34_200_000 + (m * 60_000),
                                bid, bid + 0.1, delta, -mid / 30 * rng.NextDouble(), mid * 0.2 * rng.NextDouble(), delta * years,
                                -delta * years * 0.01, delta * spot / mid, 0.12 + (0.1 * rng.NextDouble()), rng.NextDouble() * 1e-4,
                                34_200_000 + (m * 60_000), spot),
                            cancellationToken);
                        written++;
                    }
                }
            }

            await writer.CompleteAsync(cancellationToken);
        }

        return written;
    }
}
