using System.Net;

namespace Backfill.Cli.Tests;

public sealed class ServeCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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
