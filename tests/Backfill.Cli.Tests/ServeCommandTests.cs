using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Backfill.Cli.Tests;

public sealed class ServeCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Serve_on_a_port_in_use_says_so_in_one_clean_line_naming_the_port_and_the_fix_and_exits_3()
    {
        using var held = new TcpListener(IPAddress.Loopback, 0);
        held.Start();
        var port = ((IPEndPoint)held.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        using var cli = new CliRunner();
        var result = await cli.RunAsync("serve", "--port", port);
        Assert.Equal(3, result.ExitCode);
        Assert.Equal($"error: Cannot listen on 127.0.0.1:{port}: the port is already in use. Choose another --port (0 picks a free one).",
            result.Error.Trim());
    }

    [Fact]
    public async Task Serve_reads_an_ipv4_mapped_loopback_bind_as_127_0_0_1_and_answers_there()
    {
        using var cli = new CliRunner();
        await using var run = RunningCommand.Start(cli, "serve", "--bind", "::ffff:127.0.0.1", "--port", "0");
        var url = await run.WaitForUrlAsync();
        Assert.Equal("127.0.0.1", url.Host);
        using var http = new HttpClient();
        using var health = await http.GetAsync(new Uri(url, "health"), Ct);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(0, await run.StopAsync());
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_refuses_an_ipv4_mapped_address_of_another_machine_without_allow_remote()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("serve", "--bind", "::ffff:10.1.2.3", "--port", "0");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--bind: 10.1.2.3 is not a loopback address", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_refuses_a_browser_request_that_names_another_host_over_the_real_command()
    {
        using var cli = new CliRunner();
        await using var run = RunningCommand.Start(cli, "serve", "--port", "0");
        var url = await run.WaitForUrlAsync();
        using var http = new HttpClient();
        using var forged = new HttpRequestMessage(HttpMethod.Get, new Uri(url, "api/status"));
        forged.Headers.Host = $"rebound.example:{url.Port}";
        using var refused = await http.SendAsync(forged, Ct);
        Assert.Equal(HttpStatusCode.MisdirectedRequest, refused.StatusCode);
        using var own = await http.GetAsync(new Uri(url, "api/status"), Ct);
        Assert.Equal(HttpStatusCode.OK, own.StatusCode);
        Assert.Equal(0, await run.StopAsync());
    }
}
