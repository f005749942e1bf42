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
