using System.Diagnostics;
using System.Globalization;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;
using Backfill.Simulators.ThetaData;
using Backfill.Sources.ThetaData;

namespace Backfill.Bench;

/// <summary>
/// Streams every SPX and SPXW expiration of one full-size simulated 2024 day through the v2 client over loopback.
/// The simulator runs in this process, so the figures include generating and serialising the JSON too.
/// </summary>
internal sealed class ThetaParseBenchmark : IBenchmark
{
    public string Name => "theta-parse";

    public string Description => "ThetaData v2 client: one full-size simulated 2024 day (args: [yyyy-MM-dd] [concurrency])";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var day = args.Length > 0 ? DateOnly.ParseExact(args[0], "yyyy-MM-dd", CultureInfo.InvariantCulture) : new DateOnly(2024, 6, 12);
        var concurrency = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2;
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions(), cancellationToken: cancellationToken).ConfigureAwait(false);
        var source = ThetaDataClientFactory.Create(new ThetaDataClientOptions
        {
            BaseAddress = sim.BaseAddress,
            MaxConcurrentRequests = concurrency,
            Retry = RetryPolicyTable.Default.WithDelayScale(0.001),
        });

        var work = new List<OptionGreeksRequest>();
        foreach (var root in new[] { "SPX", "SPXW" })
        {
            foreach (var exp in await source.ListExpirationsAsync(root, cancellationToken).ConfigureAwait(false))
            {
                if (exp >= day && exp <= day.AddYears(4))
                {
                    work.Add(new OptionGreeksRequest(root, exp, day));
                }
            }
        }

        long rows = 0;
        long contracts = 0;
        var expirations = 0;
        var started = Stopwatch.GetTimestamp();
        await Parallel.ForEachAsync(work, new ParallelOptions { MaxDegreeOfParallelism = concurrency, CancellationToken = cancellationToken }, async (request, ct) =>
        {
            long n = 0;
            long c = 0;
            var last = (Strike: -1, Right: ' ');
            try
            {
                await foreach (var row in source.StreamGreeksAsync(request, null, ct).ConfigureAwait(false))
                {
                    n++;
                    if (row.StrikeMilli != last.Strike || row.Right != last.Right)
                    {
                        c++;
                        last = (row.StrikeMilli, row.Right);
                    }
                }
            }
            catch (NoDataException)
            {
                return;
            }

            Interlocked.Add(ref rows, n);
            Interlocked.Add(ref contracts, c);
            Interlocked.Increment(ref expirations);
        }).ConfigureAwait(false);
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var mb = source.Stats.Bytes / (1024.0 * 1024.0);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"day {day:yyyy-MM-dd}: {expirations} expirations traded of {work.Count} listed, {contracts:N0} contracts, {rows:N0} rows"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{seconds:F1} s, {rows / seconds:N0} rows/s, {mb:N0} MB at {mb / seconds:F1} MB/s, {source.Stats.Requests} requests, concurrency {concurrency}"));
        Console.WriteLine($"peak RSS {Measure.Mb(Measure.PeakRssBytes())} (simulator and client in one process)");
        return rows > 0 ? 0 : 1;
    }
}
