using Backfill.Engine.Datasets;
using Backfill.Tests.Shared;

namespace Backfill.Cli.Tests;

/// <summary><c>metrics.exporters=pushgateway</c>: a run's metrics reach a real Prometheus push gateway, grouped by dataset and instance.</summary>
public sealed class PushGatewayTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Starts <c>prometheus-pushgateway</c> on a free loopback port and waits until it answers.</summary>
    internal static async Task<(BackgroundProgram Gateway, Uri Url)> StartGatewayAsync()
    {
        var program = MonitoringTools.Require("prometheus-pushgateway", "prometheus-pushgateway");
        var port = LoopbackProcess.FreePort();
        var gateway = new BackgroundProgram(program, $"--web.listen-address=127.0.0.1:{port}");
        var url = new Uri($"http://127.0.0.1:{port}/");
        using var http = new HttpClient();
        await MonitoringTools.WaitUntilAsync(async () =>
        {
            Assert.False(gateway.HasExited, "prometheus-pushgateway exited:\n" + gateway.Output);
            try
            {
                using var ready = await http.GetAsync(new Uri(url, "-/ready"), Ct);
                return (ready.IsSuccessStatusCode, ready.StatusCode.ToString());
            }
            catch (HttpRequestException e)
            {
                return (false, e.Message);
            }
        }, TimeSpan.FromSeconds(30), "the push gateway answering");
        return (gateway, url);
    }

    [Fact]
    public async Task A_run_pushes_its_metrics_to_the_push_gateway_under_job_backfill_grouped_by_dataset_and_instance()
    {
        var (gateway, url) = await StartGatewayAsync();
        using var _ = gateway;
        using var cli = new CliRunner { Datasets = DatasetRegistry.Default.With(new TinyDataset.TinyDataset()) };

        // As docs/monitoring.md sets it up.
        Assert.Equal(0, (await cli.RunAsync("config", "set", "metrics.exporters", "jsonl,pushgateway")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("config", "set", "metrics.pushgatewayUrl", url.AbsoluteUri)).ExitCode);
        var run = await cli.RunAsync("--dataset", "tiny", "process-range", "2024-12-02", "2024-12-04",
            "--set", "processing.startDate=2024-12-01", "--set", $"processing.outputDirectory={Path.Combine(cli.Folder, "out")}",
            "--set", $"processing.tempDirectory={Path.Combine(cli.Folder, "temp")}");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.DoesNotContain("push gateway", run.Error, StringComparison.Ordinal);

        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(url, "metrics"), Ct);
        var instance = Environment.MachineName;
        var lines = metrics.Split('\n');
        Assert.Contains($"backfill_units_total{{dataset=\"tiny\",instance=\"{instance}\",job=\"backfill\",outcome=\"done\"}} 3", lines);
        Assert.Contains(lines, l => l.StartsWith($"backfill_unit_duration_seconds_count{{dataset=\"tiny\",instance=\"{instance}\",job=\"backfill\",outcome=\"done\"}} 3", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.StartsWith($"push_time_seconds{{dataset=\"tiny\",instance=\"{instance}\",job=\"backfill\"}} ", StringComparison.Ordinal));
        Assert.Contains("# TYPE backfill_units_total counter", lines);
    }

    [Fact]
    public async Task Metrics_are_pushed_every_interval_while_the_command_runs_and_once_more_at_its_end()
    {
        var (gateway, url) = await StartGatewayAsync();
        using var _ = gateway;
        var dataset = "periodic-" + Guid.NewGuid().ToString("N")[..8];
        var options = new Backfill.Operations.Metrics.MetricsOptions(false, false, false, Path.GetTempPath(), new Uri("http://127.0.0.1:4318"), TimeSpan.FromSeconds(1))
        {
            PushGateway = true, PushGatewayUrl = url, Dataset = dataset, Instance = "test-host",
        };
        var warnings = new List<string>();
        using var http = new HttpClient();
        async Task<string?> UnitsAsync()
        {
            var text = await http.GetStringAsync(new Uri(url, "metrics"), Ct);
            var prefix = $"backfill_units_total{{dataset=\"{dataset}\",instance=\"test-host\",job=\"backfill\",outcome=\"done\"}} ";
            return text.Split('\n').FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal))?[prefix.Length..];
        }

        using (var provider = Backfill.Operations.Metrics.MetricsPipeline.Start(options, warnings.Add))
        {
            Assert.NotNull(provider);
            Core.Telemetry.BackfillMetrics.UnitFinished(dataset, "done", TimeSpan.FromSeconds(1), 10, 100, null);
            await MonitoringTools.WaitUntilAsync(async () => (await UnitsAsync() == "1", await UnitsAsync() ?? "absent"), TimeSpan.FromSeconds(30),
                "the first periodic push");
            Core.Telemetry.BackfillMetrics.UnitFinished(dataset, "done", TimeSpan.FromSeconds(1), 10, 100, null);
        }

        // Disposing the provider (the command's end) pushed the last value without waiting for the next interval.
        Assert.Equal("2", await UnitsAsync());
        Assert.Empty(warnings);
    }

    [Fact]
    public async Task An_unreachable_push_gateway_is_said_once_and_the_run_goes_on()
    {
        using var cli = new CliRunner { Datasets = DatasetRegistry.Default.With(new TinyDataset.TinyDataset()) };
        var run = await cli.RunAsync("--dataset", "tiny", "process", "2024-12-02",
            "--set", "processing.startDate=2024-12-01", "--set", $"processing.outputDirectory={Path.Combine(cli.Folder, "out")}",
            "--set", $"processing.tempDirectory={Path.Combine(cli.Folder, "temp")}",
            "--set", "metrics.exporters=pushgateway", "--set", $"metrics.pushgatewayUrl=http://127.0.0.1:{LoopbackProcess.FreePort()}");
        Assert.True(run.ExitCode == 0, run.ToString());
        var warnings = run.Error.Split('\n').Where(l => l.Contains("push gateway", StringComparison.Ordinal)).ToList();
        Assert.Single(warnings);
        Assert.StartsWith("warning: metrics: the push gateway at http://127.0.0.1:", warnings[0], StringComparison.Ordinal);
        Assert.Contains("cannot be reached", warnings[0], StringComparison.Ordinal);
    }
}
