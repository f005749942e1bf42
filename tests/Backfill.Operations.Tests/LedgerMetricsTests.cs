using System.Diagnostics;
using System.Globalization;
using System.Net;
using Backfill.Engine.Alerts;
using Backfill.Engine.Datasets;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;
using Backfill.Operations.Metrics;
using Backfill.Operations.Server;

namespace Backfill.Operations.Tests;

/// <summary>The ledger's gauges on <c>/metrics</c> of the status server, per registered dataset.</summary>
public sealed class LedgerMetricsTests : IAsyncLifetime
{
    private static readonly DateOnly Start = new(2024, 6, 3);
    private readonly string _folder = Directory.CreateTempSubdirectory("backfill-metrics-").FullName;
    private readonly Clock _clock = new(new DateTimeOffset(2024, 6, 3, 21, 0, 0, TimeSpan.Zero));
    private readonly HttpClient _http = new();
    private SqliteLedger _ledger = null!;
    private Microsoft.AspNetCore.Builder.WebApplication _app = null!;
    private Uri _url = null!;
    private long _bytes;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _ledger = new SqliteLedger(Path.Combine(_folder, "backfill.db"), _clock);
        await _ledger.MigrateAsync(Ct);

        // spx from June 3: the 3rd to the 6th done long ago; the 7th failed just now; the 10th to the 13th and the 18th never
        // attempted; the 14th and 17th done an hour ago. Now is June 18, 23:00 UTC, so the 18th is complete and missing.
        foreach (var day in new[] { 3, 4, 5, 6 })
        {
            await CompleteAsync(new DateOnly(2024, 6, day), new DateTimeOffset(2024, 6, day, 21, 0, 0, TimeSpan.Zero));
        }

        await CompleteAsync(new DateOnly(2024, 6, 14), new DateTimeOffset(2024, 6, 18, 22, 0, 0, TimeSpan.Zero));
        await CompleteAsync(new DateOnly(2024, 6, 17), new DateTimeOffset(2024, 6, 18, 22, 1, 0, TimeSpan.Zero));
        _clock.Now = new DateTimeOffset(2024, 6, 18, 22, 30, 0, TimeSpan.Zero);
        Assert.NotNull(await _ledger.TryClaimUnitAsync("spx", new DateOnly(2024, 6, 7), "w", TimeSpan.FromHours(1), false, Ct));
        await _ledger.FailUnitAsync("spx", new DateOnly(2024, 6, 7), "w", "ConnectionFailed", "connection refused", Ct);
        await _ledger.RecordErrorAsync(new ErrorRecord { Dataset = "spx", TradeDate = new DateOnly(2024, 6, 7), ErrorType = "ConnectionFailed", Message = "refused" }, Ct);
        await _ledger.RecordErrorAsync(new ErrorRecord { Dataset = "spx", TradeDate = new DateOnly(2024, 6, 7), ErrorType = "ConnectionFailed", Message = "refused" }, Ct);
        _clock.Now = new DateTimeOffset(2024, 6, 18, 23, 0, 0, TimeSpan.Zero);

        var settings = await ServerSettings.LoadAsync(_ledger, _folder, Start, Ct);
        var metrics = new MetricsOptions(false, false, false, _folder, new Uri("http://127.0.0.1:4318"), TimeSpan.FromSeconds(60));
        _app = StatusServer.Create(new ServerOptions(IPAddress.Loopback, 0, false, 5, Start, metrics), _ledger,
            new Engine.Status.StatusApi(_ledger, DatasetRegistry.Default, settings, _clock), null, _clock,
            new LedgerGauges(_ledger, DatasetRegistry.Default, settings, _clock));
        _url = await StatusServer.StartAsync(_app, Ct);
    }

    private async Task CompleteAsync(DateOnly date, DateTimeOffset at)
    {
        _clock.Now = at;
        Assert.NotNull(await _ledger.TryClaimUnitAsync("spx", date, "w", TimeSpan.FromHours(1), false, Ct));
        _clock.Now = at.AddMinutes(3);
        var size = 1000 + date.Day;
        _bytes += size;
        await _ledger.CompleteUnitAsync("spx", date, "w", new UnitSuccess
        {
            FilePath = ServerSettings.PlaceOutput(_folder, "spx", date), FileSize = size, FileSha256 = new string('a', 64), RowCount = 10, ApiRequests = 4,
        }, Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
        await _ledger.DisposeAsync();
        _http.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<string> ScrapeAsync(string accept = "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5")
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_url, "metrics"));
        request.Headers.TryAddWithoutValidation("Accept", accept);

        // As Prometheus asks: the body must still be plain text, since the gauges are appended to the exporter's.
        request.Headers.TryAddWithoutValidation("Accept-Encoding", "gzip");
        using var response = await _http.SendAsync(request, Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        Assert.Empty(response.Content.Headers.ContentEncoding);
        return body;
    }

    private static Dictionary<string, double> Samples(string exposition) => exposition.Split('\n')
        .Where(l => l.Length > 0 && !l.StartsWith('#'))
        .Select(l => (Series: l[..l.LastIndexOf(' ')], Value: double.Parse(l[(l.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture)))
        .ToDictionary(s => s.Series, s => s.Value, StringComparer.Ordinal);

    [Fact]
    public async Task Metrics_has_the_ledgers_gauges_for_every_registered_dataset_with_help_and_type_and_keeps_target_info()
    {
        var text = await ScrapeAsync();
        var samples = Samples(text);
        Assert.Contains(samples.Keys, k => k.StartsWith("target_info{", StringComparison.Ordinal));
        Assert.Equal(1, samples["backfill_ledger_up"]);
        Assert.Equal(6, samples["backfill_units{dataset=\"spx\",status=\"success\"}"]);
        Assert.Equal(1, samples["backfill_units{dataset=\"spx\",status=\"failed\"}"]);
        Assert.Equal(1, samples["backfill_gaps{dataset=\"spx\",category=\"failed\"}"]);
        Assert.Equal(5, samples["backfill_gaps{dataset=\"spx\",category=\"never-attempted\"}"]);
        Assert.Equal(5, samples["backfill_gap_longest_run_sessions{dataset=\"spx\"}"]);
        Assert.Equal(0.5, samples["backfill_coverage_ratio{dataset=\"spx\"}"]);
        Assert.Equal(new DateTimeOffset(2024, 6, 18, 22, 4, 0, TimeSpan.Zero).ToUnixTimeSeconds(), samples["backfill_last_success_timestamp_seconds{dataset=\"spx\"}"]);
        Assert.Equal(0, samples["backfill_sessions_since_last_success{dataset=\"spx\"}"]);

        // The oldest gap is June 7, whose session ended at 16:00 New York time (20:00 UTC).
        Assert.Equal((new DateTimeOffset(2024, 6, 18, 23, 0, 0, TimeSpan.Zero) - new DateTimeOffset(2024, 6, 7, 20, 0, 0, TimeSpan.Zero)).TotalSeconds,
            samples["backfill_oldest_gap_age_seconds{dataset=\"spx\"}"]);
        Assert.Equal(2, samples["backfill_recent_attempts{dataset=\"spx\",outcome=\"success\",window=\"24h\"}"]);
        Assert.Equal(1, samples["backfill_recent_attempts{dataset=\"spx\",outcome=\"failed\",window=\"24h\"}"]);
        Assert.Equal(1, samples["backfill_recent_attempts{dataset=\"spx\",outcome=\"failed\",window=\"1h\"}"]);
        Assert.Equal(2, samples["backfill_recent_attempts{dataset=\"spx\",outcome=\"success\",window=\"1h\"}"]);
        Assert.Equal(0, samples["backfill_recent_attempts{dataset=\"spx\",outcome=\"interrupted\",window=\"24h\"}"]);
        Assert.Equal(2, samples["backfill_recent_errors{dataset=\"spx\",kind=\"ConnectionFailed\",window=\"1h\"}"]);
        Assert.Equal(0, samples["backfill_recent_errors{dataset=\"spx\",kind=\"RateLimited\",window=\"24h\"}"]);
        Assert.Equal(8, samples["backfill_recent_source_requests{dataset=\"spx\",window=\"24h\"}"]);
        Assert.Equal(_bytes, samples["backfill_output_bytes{dataset=\"spx\"}"]);
        Assert.True(samples["backfill_disk_free_ratio{folder=\"output\"}"] is > 0 and <= 1);
        Assert.True(samples["backfill_disk_free_bytes{folder=\"temp\"}"] > 0);

        // A dataset the ledger holds nothing of has its counts (zero) and no gaps to alert on.
        Assert.Equal(0, samples["backfill_units{dataset=\"fop\",status=\"success\"}"]);
        Assert.Equal(0, samples["backfill_gap_longest_run_sessions{dataset=\"fop\"}"]);
        Assert.DoesNotContain("backfill_coverage_ratio{dataset=\"fop\"}", samples.Keys);

        // The request budget is a capability: only a dataset with one (ohlcv) has the gauge.
        Assert.Equal(25, samples["backfill_request_budget_limit{dataset=\"ohlcv\",source=\"alphavantage\"}"]);
        Assert.DoesNotContain(samples.Keys, k => k.StartsWith("backfill_request_budget_limit{dataset=\"spx\"", StringComparison.Ordinal));

        foreach (var family in new[] { "backfill_units", "backfill_gaps", "backfill_coverage_ratio", "backfill_last_success_timestamp_seconds", "backfill_output_bytes", "backfill_disk_free_ratio" })
        {
            Assert.Contains($"\n# HELP {family} ", text, StringComparison.Ordinal);
            Assert.Contains($"\n# TYPE {family} gauge\n", text, StringComparison.Ordinal);
        }

        // Each family once: the engine's own gauge of the last gap analysis is not exported beside the ledger's.
        var types = text.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' ')[2]).ToList();
        Assert.Equal(types.Count, types.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public async Task The_gauges_are_read_at_most_once_per_five_seconds_of_the_servers_clock()
    {
        var before = Samples(await ScrapeAsync());
        Assert.NotNull(await _ledger.TryClaimUnitAsync("spx", new DateOnly(2024, 6, 10), "w", TimeSpan.FromHours(1), false, Ct));
        await _ledger.FailUnitAsync("spx", new DateOnly(2024, 6, 10), "w", "ServerError", "500", Ct);
        var cached = Samples(await ScrapeAsync("text/plain"));
        Assert.Equal(before["backfill_units{dataset=\"spx\",status=\"failed\"}"], cached["backfill_units{dataset=\"spx\",status=\"failed\"}"]);
        _clock.Now = _clock.Now.AddSeconds(5);
        var fresh = Samples(await ScrapeAsync());
        Assert.Equal(2, fresh["backfill_units{dataset=\"spx\",status=\"failed\"}"]);
    }

    [Fact]
    public async Task Promtool_finds_the_exposition_valid()
    {
        var promtool = Tools.Find("promtool");
        Assert.SkipWhen(promtool is null, "promtool is not installed (Debian package prometheus; .ci/run installs it).");
        var text = await ScrapeAsync();
        var start = new ProcessStartInfo(promtool!, "check metrics") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        await process.StandardInput.WriteAsync(text);
        process.StandardInput.Close();
        var output = await process.StandardOutput.ReadToEndAsync(Ct) + await process.StandardError.ReadToEndAsync(Ct);
        await process.WaitForExitAsync(Ct);
        Assert.True(process.ExitCode == 0, output);
    }

    [Fact]
    public async Task An_unreadable_ledger_is_reported_as_down_instead_of_failing_the_scrape()
    {
        var settings = await ServerSettings.LoadAsync(_ledger, _folder, Start, Ct);
        var broken = new SqliteLedger(Path.Combine(_folder, "no-such-folder", "x", "backfill.db"), _clock);
        var families = await new LedgerGauges(broken, DatasetRegistry.Default, settings, _clock).ReadGaugesAsync(Ct);
        var up = Assert.Single(families);
        Assert.Equal(("backfill_ledger_up", 0.0), (up.Name, Assert.Single(up.Samples).Value));
        Assert.Equal("# HELP backfill_ledger_up ", PrometheusText.Write(families)[..26]);
    }

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}

/// <summary>Programs the tests run when they are installed.</summary>
internal static class Tools
{
    public static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
}
