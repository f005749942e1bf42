using System.Net;
using System.Net.Sockets;

namespace Backfill.Cli.Tests;

public sealed class SimulateCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("thetadata", "ThetaData simulator listening on ", "v2/list/roots/option")]
    [InlineData("databento", "Databento simulator listening on ", "v0/metadata.get_cost")]
    [InlineData("alphavantage", "Alpha Vantage simulator listening on ", "query?function=TIME_SERIES_DAILY&symbol=IBM&apikey=demo")]
    [InlineData("cryptolake", "Crypto Lake simulator listening; use --set cryptolake.baseUrl=", "")]
    public async Task Each_simulator_says_where_it_listens_answers_there_and_counts_what_it_served_when_stopped(string vendor, string listening, string path)
    {
        using var cli = new CliRunner();
        await using var run = RunningCommand.Start(cli, "simulate", vendor, "--port", "0");
        var url = await run.WaitForUrlAsync();
        using var http = new HttpClient();
        using var response = await http.GetAsync(new Uri(url, path), Ct);
        Assert.Equal(0, await run.StopAsync());
        Assert.Contains(listening + url, run.Out, StringComparison.Ordinal);
        Assert.Contains("Press Ctrl-C to stop.", run.Out, StringComparison.Ordinal);
        Assert.Contains("Served 1 requests", run.Out, StringComparison.Ordinal);
        Assert.Equal("", run.Error);
    }

    [Fact]
    public async Task Thetadata_with_latency_says_so_waits_before_answering_and_counts_the_wait()
    {
        using var cli = new CliRunner();
        await using var run = RunningCommand.Start(cli, "simulate", "thetadata", "--port", "0", "--latency", "400", "--bandwidth", "50");
        var url = await run.WaitForUrlAsync();
        using var http = new HttpClient();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var response = await http.GetAsync(new Uri(url, "v2/list/expirations?root=SPY"), Ct);
        var elapsed = watch.Elapsed;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(0, await run.StopAsync());

        // A lower bound only: the wait is at least a quarter of the median, whatever the machine's load.
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(100), $"answered after {elapsed.TotalMilliseconds} ms");
        Assert.Contains("Latency: 400 ms median to the first byte, 50 MB/s per response.", run.Out, StringComparison.Ordinal);
        Assert.Matches(@"Served 1 requests, 0 rows, \d+\.\d s of simulated latency\.", run.Out);
    }

    [Fact]
    public async Task Thetadata_realistic_latency_fills_what_is_not_given()
    {
        using var cli = new CliRunner();
        await using var run = RunningCommand.Start(cli, "simulate", "thetadata", "--port", "0", "--realistic-latency", "--bandwidth", "0");
        await run.WaitForUrlAsync();
        Assert.Equal(0, await run.StopAsync());
        Assert.Contains("Latency: 150 ms median to the first byte, unlimited bandwidth per response.", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--latency", "-5", "--latency: -5 must be milliseconds between 0 and 600000.")]
    [InlineData("--bandwidth", "-1", "--bandwidth: -1 must be MB/s, 0 or more (0 = unlimited).")]
    public async Task A_negative_latency_or_bandwidth_is_refused_with_exit_2(string option, string value, string message)
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("simulate", "thetadata", option, value, "--port", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("thetadata")]
    [InlineData("databento")]
    [InlineData("alphavantage")]
    [InlineData("cryptolake")]
    public async Task A_port_outside_0_to_65535_is_refused_with_exit_2(string vendor)
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("simulate", vendor, "--port", "70000");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--port: 70000 is not a TCP port (0..65535).", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("thetadata", "1.5")]
    [InlineData("databento", "-0.1")]
    [InlineData("alphavantage", "NaN")]
    [InlineData("cryptolake", "2")]
    public async Task A_fault_rate_outside_0_to_1_is_refused_with_exit_2(string vendor, string rate)
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("simulate", vendor, "--fault-rate", rate, "--port", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--fault-rate: {rate} must be between 0 and 1.", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("thetadata", "RateLimit429, ")]
    [InlineData("databento", "")]
    public async Task An_unknown_fault_kind_is_refused_naming_the_kinds(string vendor, string listed)
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("simulate", vendor, "--fault", "meteor", "--port", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--fault: 'meteor' is not a fault kind. Use one of: " + listed, result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("thetadata", "1.5", "1")]
    [InlineData("thetadata", "0", "1")]
    [InlineData("cryptolake", "11", "10")]
    public async Task A_scale_out_of_range_is_refused_naming_the_limit(string vendor, string scale, string most)
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("simulate", vendor, "--scale", scale, "--port", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--scale: {scale} must be above 0 and at most {most}.", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("thetadata")]
    [InlineData("databento")]
    [InlineData("alphavantage")]
    [InlineData("cryptolake")]
    public async Task A_port_already_in_use_is_an_environment_problem_that_names_the_port_and_the_fix(string vendor)
    {
        var held = new TcpListener(IPAddress.Loopback, 0);
        held.Start();
        try
        {
            var port = ((IPEndPoint)held.LocalEndpoint).Port;
            using var cli = new CliRunner();
            var result = await cli.RunAsync("simulate", vendor, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture));
            Assert.Equal(3, result.ExitCode);
            Assert.StartsWith($"error: Cannot listen on port {port}: ", result.Error, StringComparison.Ordinal);
            Assert.Contains("Choose another with --port (0 = any free port).", result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", result.Error, StringComparison.Ordinal);
        }
        finally
        {
            held.Stop();
            held.Dispose();
        }
    }

    [Fact]
    public async Task Cryptolake_mirror_writes_each_day_and_ignores_the_port()
    {
        using var cli = new CliRunner();
        var folder = Path.Combine(cli.Folder, "mirror");
        var result = await cli.RunAsync("simulate", "cryptolake", "--mirror", folder, "--from", "2024-03-04", "--to", "2024-03-05", "--scale", "0.01", "--port", "70000");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("2024-03-04: ", result.Out, StringComparison.Ordinal);
        Assert.Contains("2024-03-05: ", result.Out, StringComparison.Ordinal);
        Assert.Contains($"Mirror of BINANCE BTC-USDT written to {folder}.", result.Out, StringComparison.Ordinal);
        Assert.NotEmpty(Directory.EnumerateFiles(folder, "*.parquet", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Cryptolake_mirror_without_from_is_refused()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("simulate", "cryptolake", "--mirror", Path.Combine(cli.Folder, "mirror"));
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--mirror needs --from YYYY-MM-DD.", result.Error, StringComparison.Ordinal);
    }
}
