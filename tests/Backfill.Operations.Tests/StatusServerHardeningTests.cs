using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Backfill.Core.Errors;
using Backfill.Ledger.Sqlite;
using Backfill.Operations.Metrics;
using Backfill.Operations.Server;

namespace Backfill.Operations.Tests;

/// <summary>What a hostile page in a browser on the same machine, or a hostile --bind, can get out of the status server.</summary>
public sealed class StatusServerHardeningTests : IAsyncLifetime
{
    private readonly string _folder = Directory.CreateTempSubdirectory("backfill-serve-hardening-").FullName;
    private readonly HttpClient _http = new();
    private readonly List<Microsoft.AspNetCore.Builder.WebApplication> _apps = [];
    private SqliteLedger _ledger = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _ledger = new SqliteLedger(Path.Combine(_folder, "backfill.db"), TimeProvider.System);
        await _ledger.MigrateAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }

        await _ledger.DisposeAsync();
        _http.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<Uri> StartAsync(bool allowRemote = false)
    {
        var metrics = new MetricsOptions(false, false, false, _folder, new Uri("http://127.0.0.1:4318"), TimeSpan.FromSeconds(60));
        var app = StatusServer.Create(new ServerOptions(IPAddress.Loopback, 0, allowRemote, 5, null, metrics), _ledger,
            new Backfill.Engine.Status.StatusApi(_ledger, Backfill.Engine.Datasets.DatasetRegistry.Default,
                await ServerSettings.LoadAsync(_ledger, _folder, null, Ct), TimeProvider.System));
        _apps.Add(app);
        return await StatusServer.StartAsync(app, Ct);
    }

    private async Task<HttpResponseMessage> GetAsync(Uri url, string path, string? host = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(url, path));
        if (host is not null)
        {
            request.Headers.Host = host.Replace("{port}", url.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
        }

        return await _http.SendAsync(request, Ct);
    }

    [Theory]
    [InlineData("rebound.example:{port}")]
    [InlineData("rebound.example")]
    [InlineData("127.0.0.1.rebound.example:{port}")]
    [InlineData("localhost.rebound.example:{port}")]
    [InlineData("localhost:1")]
    [InlineData("127.0.0.2:{port}")]
    [InlineData("0.0.0.0:{port}")]
    public async Task A_request_naming_another_host_or_port_is_refused_with_421_so_dns_rebinding_cannot_read_the_api(string host)
    {
        var url = await StartAsync();
        foreach (var path in new[] { "api/status", "api/history", "", "health", "metrics" })
        {
            using var response = await GetAsync(url, path, host);
            Assert.Equal(HttpStatusCode.MisdirectedRequest, response.StatusCode);
            Assert.DoesNotContain("ledger", await response.Content.ReadAsStringAsync(Ct), StringComparison.OrdinalIgnoreCase);
        }
    }

    [Theory]
    [InlineData("127.0.0.1:{port}")]
    [InlineData("localhost:{port}")]
    [InlineData("LocalHost:{port}")]
    [InlineData("[::1]:{port}")]
    [InlineData("localhost")]
    public async Task A_request_naming_this_machine_is_answered(string host)
    {
        var url = await StartAsync();
        using var response = await GetAsync(url, "api/status", host);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Allow_remote_answers_whatever_host_a_proxy_or_another_machine_names()
    {
        var url = await StartAsync(allowRemote: true);
        using var response = await GetAsync(url, "api/status", "backfill.internal.example:443");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("index.html", null)]
    [InlineData("api/status", null)]
    [InlineData("api/status?dataset=nope", null)]
    [InlineData("health", null)]
    [InlineData("ready", null)]
    [InlineData("metrics", null)]
    [InlineData("no-such-page", null)]
    [InlineData("api/status", "rebound.example:{port}")]
    public async Task Every_response_forbids_framing_sniffing_and_foreign_content(string path, string? host)
    {
        var url = await StartAsync();
        using var response = await GetAsync(url, path, host);
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.StartsWith("default-src 'self';", policy, StringComparison.Ordinal);
        Assert.Contains("frame-ancestors 'none'", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe-eval", policy, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_content_security_policy_lets_only_the_pages_own_inline_script_run()
    {
        var url = await StartAsync();
        using var response = await GetAsync(url, "");
        var html = await response.Content.ReadAsStringAsync(Ct);
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        var script = Regex.Match(html, "<script>(.*?)</script>", RegexOptions.Singleline);
        Assert.True(script.Success, "the page has no inline script");

        // A browser hashes the script's text as parsed, which has every CR LF turned into LF.
        var text = script.Groups[1].Value.Replace("\r\n", "\n", StringComparison.Ordinal);
        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        var scriptSources = Regex.Match(policy, "script-src ([^;]*)").Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([$"'sha256-{hash}'"], scriptSources);
    }

    [Theory]
    [InlineData("::ffff:127.0.0.1", false, "127.0.0.1")]
    [InlineData("::FFFF:7F00:1", false, "127.0.0.1")]
    [InlineData("::1", false, "::1")]
    [InlineData("localhost", false, "127.0.0.1")]
    [InlineData("::ffff:10.1.2.3", true, "10.1.2.3")]
    public void An_ipv4_mapped_bind_address_is_read_as_the_ipv4_address_it_maps(string bind, bool allowRemote, string expected)
    {
        Assert.Equal(IPAddress.Parse(expected), ServerOptions.ParseBind(bind, allowRemote));
    }

    [Fact]
    public void An_ipv4_mapped_address_of_another_machine_still_needs_allow_remote()
    {
        var refused = Assert.Throws<InvalidInputException>(() => ServerOptions.ParseBind("::ffff:10.1.2.3", allowRemote: false));
        Assert.Contains("10.1.2.3 is not a loopback address", refused.Message, StringComparison.Ordinal);
    }
}
