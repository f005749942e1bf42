using System.Collections.Concurrent;
using System.Diagnostics;
using Backfill.Simulators.ThetaData;
using static Backfill.Sources.ThetaData.Tests.TestSupport;

namespace Backfill.Sources.ThetaData.Tests;

/// <summary>The simulator's latency: deterministic waits, recorded through the injectable delay instead of timed.</summary>
public sealed class SimulatorLatencyTests
{
    private const string Greeks = "v2/bulk_hist/option/greeks?root=SPY&exp=20240614&start_date=20240612&end_date=20240612&ivl=3600000";

    [Fact]
    public async Task The_first_byte_wait_is_a_pure_function_of_the_request_around_the_median()
    {
        var latency = new ThetaLatencyOptions { FirstByteMedian = TimeSpan.FromMilliseconds(150) };
        var waits = new ConcurrentQueue<TimeSpan>();
        await using var sim = await ThetaDataSimulator.StartAsync(Small() with { Latency = latency, Delay = Recorder(waits) }, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = sim.BaseAddress };
        var urls = Enumerable.Range(0, 40).Select(i => $"v2/list/expirations?root=R{i}").ToList();
        foreach (var url in urls.Concat(urls))
        {
            (await http.GetAsync(url, Ct)).Dispose();
        }

        var all = waits.ToList();
        Assert.Equal(80, all.Count);
        Assert.Equal(all.Take(40), all.Skip(40));
        Assert.Equal(all.Take(40), urls.Select(u => latency.FirstByteFor("/" + u[..u.IndexOf('?', StringComparison.Ordinal)], u[u.IndexOf('?', StringComparison.Ordinal)..])));
        Assert.All(all, w => Assert.InRange(w.TotalMilliseconds, 150 / 4.0, 150 * 4.0));
        Assert.True(all.Distinct().Count() > 30, "the waits of different requests should differ");
        var median = all.Take(40).Order().ElementAt(20).TotalMilliseconds;
        Assert.InRange(median, 100, 225);
        Assert.Equal(TimeSpan.FromTicks(all.Sum(w => w.Ticks)), sim.Stats.LatencyAdded);
    }

    [Fact]
    public async Task The_body_is_paced_at_the_bandwidth()
    {
        var latency = new ThetaLatencyOptions { BytesPerSecond = 1_000_000 };
        var waits = new ConcurrentQueue<TimeSpan>();
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Latency = latency, Delay = Recorder(waits) }, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = sim.BaseAddress };
        var body = await http.GetByteArrayAsync(Greeks, Ct);
        Assert.True(body.Length > 100_000, $"only {body.Length} bytes");

        // Every byte is waited for except at most the last wait too short to take.
        var expected = latency.TransferTime(body.Length);
        var waited = TimeSpan.FromTicks(waits.Sum(w => w.Ticks));
        Assert.InRange(waited, expected - PacedStreamMinimum, expected);
        Assert.All(waits, w => Assert.True(w >= PacedStreamMinimum, $"a wait of {w.TotalMilliseconds} ms"));
    }

    [Fact]
    public async Task Without_latency_nothing_waits_and_the_bytes_are_the_same()
    {
        var waits = new ConcurrentQueue<TimeSpan>();
        byte[] plain, paced;
        await using (var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Delay = Recorder(waits) }, cancellationToken: Ct))
        {
            using var http = new HttpClient { BaseAddress = sim.BaseAddress };
            plain = await http.GetByteArrayAsync(Greeks, Ct);
        }

        Assert.Empty(waits);
        await using (var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Latency = ThetaLatencyOptions.Realistic, Delay = Recorder(waits) }, cancellationToken: Ct))
        {
            using var http = new HttpClient { BaseAddress = sim.BaseAddress };
            paced = await http.GetByteArrayAsync(Greeks, Ct);
        }

        Assert.NotEmpty(waits);
        Assert.Equal(plain, paced);
    }

    [Fact]
    public async Task A_real_wait_takes_at_least_the_first_byte_time()
    {
        // Spread 0: every request waits exactly the median. Only a lower bound is checked; a loaded machine is slower.
        var latency = new ThetaLatencyOptions { FirstByteMedian = TimeSpan.FromMilliseconds(300), FirstByteSpread = 0 };
        await using var sim = await ThetaDataSimulator.StartAsync(Small() with { Latency = latency }, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = sim.BaseAddress };
        var watch = Stopwatch.StartNew();
        (await http.GetAsync("v2/list/expirations?root=SPY", Ct)).Dispose();
        Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(290), $"answered after {watch.Elapsed.TotalMilliseconds} ms");
    }

    private static readonly TimeSpan PacedStreamMinimum = TimeSpan.FromMilliseconds(2);

    private static Func<TimeSpan, CancellationToken, Task> Recorder(ConcurrentQueue<TimeSpan> waits) => (wait, _) =>
    {
        waits.Enqueue(wait);
        return Task.CompletedTask;
    };
}
