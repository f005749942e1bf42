using Backfill.Engine.Datasets.Spx;
using Backfill.Engine.Datasets;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Backfill.Engine.Configuration;
using Backfill.Engine.Health;
using Backfill.Simulators.ThetaData;
using Backfill.Storage.Disk;

namespace Backfill.Engine.Tests;

public sealed class HealthCheckerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(10L * 1024 * 1024 * 1024, HealthLevel.Ok)]
    [InlineData(4L * 1024 * 1024 * 1024, HealthLevel.Warn)]
    [InlineData(400L * 1024 * 1024, HealthLevel.Fail)]
    public async Task Disk_thresholds_are_5_GB_warn_and_500_MB_fail(long free, HealthLevel expected)
    {
        await using var f = await OutputFixture.CreateAsync(Ct);
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.01 }, cancellationToken: Ct);
        var settings = await SettingsAsync(f, sim.BaseAddress);

        var report = await new HealthChecker(f.Ledger, settings, Source(f, settings), new FixedProbe(free)).CheckAsync(Ct);

        Assert.Equal(expected, report.Checks.Single(c => c.Name == "disk-output").Level);
        Assert.Equal(expected, report.Checks.Single(c => c.Name == "disk-temp").Level);
        Assert.Equal(HealthLevel.Ok, report.Checks.Single(c => c.Name == "ledger").Level);
        Assert.Equal(HealthLevel.Ok, report.Checks.Single(c => c.Name == "source").Level);
        Assert.Equal(expected == HealthLevel.Fail, report.AnyFail);
    }

    [Fact]
    public async Task A_closed_port_fails_the_source_check_quickly_and_a_hung_check_times_out()
    {
        await using var f = await OutputFixture.CreateAsync(Ct);
        var settings = await SettingsAsync(f, new Uri($"http://127.0.0.1:{ClosedPort()}"));
        var watch = Stopwatch.StartNew();

        var report = await new HealthChecker(f.Ledger, settings, Source(f, settings), new HangingProbe(), TimeSpan.FromSeconds(1)).CheckAsync(Ct);

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), watch.Elapsed.ToString());
        Assert.Equal(HealthLevel.Fail, report.Checks.Single(c => c.Name == "source").Level);
        var disk = report.Checks.Single(c => c.Name == "disk-output");
        Assert.Equal(HealthLevel.Fail, disk.Level);
        Assert.Contains("no answer within 1 s", disk.Detail, StringComparison.Ordinal);
    }

    internal static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>The spx dataset's own check of its source (the ThetaData terminal).</summary>
    private static Func<CancellationToken, Task<(HealthLevel Level, string Detail)>> Source(OutputFixture f, EffectiveSettings settings) =>
        ct => new SpxDataset().CheckSourceAsync(DatasetHost.ForProcess(f.Ledger), settings, ct);

    private static Task<EffectiveSettings> SettingsAsync(OutputFixture f, Uri baseUrl) =>
        new SettingsResolver(new Dictionary<string, string>
        {
            [SpxSettings.ThetaBaseUrl] = baseUrl.ToString(),
            [Settings.OutputDirectory] = f.OutputRoot,
            [Settings.TempDirectory] = f.TempRoot,
        }, new Dictionary<string, string>()).LoadAsync(f.Ledger, Ct);

    private sealed class FixedProbe(long free) : IDiskSpaceProbe
    {
        public long GetAvailableBytes(string path) => free;
    }

    private sealed class HangingProbe : IDiskSpaceProbe
    {
        public long GetAvailableBytes(string path)
        {
            Thread.Sleep(TimeSpan.FromSeconds(5));
            return 0;
        }
    }
}
