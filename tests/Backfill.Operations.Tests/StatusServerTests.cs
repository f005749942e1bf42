using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;
using Backfill.Operations.Metrics;
using Backfill.Operations.Server;

namespace Backfill.Operations.Tests;

public sealed class StatusServerTests : IAsyncLifetime
{
    private const string Chromium = "/usr/bin/chromium";
    private readonly string _folder = Directory.CreateTempSubdirectory("backfill-serve-").FullName;
    private readonly SteppingClock _clock = new(new DateTimeOffset(2024, 6, 3, 22, 0, 0, TimeSpan.Zero));
    private SqliteLedger _ledger = null!;
    private Microsoft.AspNetCore.Builder.WebApplication _app = null!;
    private Uri _url = null!;
    private readonly HttpClient _http = new();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _ledger = new SqliteLedger(Path.Combine(_folder, "backfill.db"), _clock);
        await _ledger.MigrateAsync(Ct);
        // Eleven sessions of June 2024: nine done (rising throughput), one failed, one in progress; the 14th never attempted.
        var dates = new[] { 3, 4, 5, 6, 7, 10, 11, 12, 13, 17, 18 }.Select(d => new DateOnly(2024, 6, d)).ToList();
        for (var i = 0; i < dates.Count; i++)
        {
            var date = dates[i];
            _clock.Now = new DateTimeOffset(date.ToDateTime(new TimeOnly(21, 0)), TimeSpan.Zero);
            var claim = await _ledger.TryClaimUnitAsync("spx", date, "test-worker", TimeSpan.FromDays(30), false, Ct);
            Assert.NotNull(claim);
            if (date.Day == 12)
            {
                await _ledger.FailUnitAsync("spx", date, "test-worker", "RateLimited", "gave up after 3 attempts", Ct);
            }
            else if (date.Day != 18)
            {
                _clock.Now = _clock.Now.AddMinutes(3);
                await _ledger.CompleteUnitAsync("spx", date, "test-worker", new UnitSuccess
                {
                    FilePath = ServerSettings.PlaceOutput(_folder, "spx", date), FileSize = 40_000_000 + (i * 1_000_000),
                    FileSha256 = new string('a', 64), RowCount = 10_000_000, DurationMs = 20_000 - (i * 1000), SubUnitsTotal = 62, QualityScore = 0.99,
                }, Ct);
            }
        }

        _clock.Now = new DateTimeOffset(2024, 6, 18, 23, 0, 0, TimeSpan.Zero);
        var metrics = new MetricsOptions(false, false, false, _folder, new Uri("http://127.0.0.1:4318"), TimeSpan.FromSeconds(60));
        _app = StatusServer.Create(new ServerOptions(IPAddress.Loopback, 0, false, 5, new DateOnly(2024, 5, 1), metrics), _ledger,
            new Backfill.Engine.Status.StatusApi(_ledger, Backfill.Engine.Datasets.DatasetRegistry.Default,
                await ServerSettings.LoadAsync(_ledger, _folder, new DateOnly(2024, 5, 1), Ct), _clock), null, _clock);
        _url = await StatusServer.StartAsync(_app, Ct);
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

    private async Task<JsonElement> GetJsonAsync(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await _http.GetAsync(new Uri(_url, path), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    [Fact]
    public async Task Health_and_ready_answer_on_a_loopback_port()
    {
        Assert.True(IPAddress.IsLoopback(IPAddress.Parse(_url.Host)));
        Assert.Equal("ok", (await GetJsonAsync("health")).GetProperty("status").GetString());
        var ready = await GetJsonAsync("ready");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal(await _ledger.GetSchemaVersionAsync(Ct), ready.GetProperty("checks").GetProperty("ledger").GetProperty("schemaVersion").GetInt32());
    }

    [Fact]
    public async Task Ready_is_503_when_the_ledger_is_gone()
    {
        await _ledger.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        File.Delete(Path.Combine(_folder, "backfill.db"));
        Directory.Delete(_folder, recursive: true);
        var ready = await GetJsonAsync("ready", HttpStatusCode.ServiceUnavailable);
        Assert.Equal("not-ready", ready.GetProperty("status").GetString());
        Directory.CreateDirectory(_folder);
    }

    [Fact]
    public async Task Metrics_endpoint_serves_prometheus_text_with_the_backfill_meters()
    {
        Backfill.Core.Telemetry.BackfillMetrics.RequestSent("thetadata");
        using var response = await _http.GetAsync(new Uri(_url, "metrics"), Ct);
        var text = await response.Content.ReadAsStringAsync(Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("# TYPE backfill_requests_total counter", text, StringComparison.Ordinal);
        Assert.Contains("backfill_process_memory_bytes", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Api_reports_status_history_gaps_and_throughput_from_the_ledger()
    {
        var status = await GetJsonAsync("api/status?dataset=spx");
        Assert.Equal(9, status.GetProperty("counts").GetProperty("success").GetInt32());
        Assert.Equal(1, status.GetProperty("counts").GetProperty("failed").GetInt32());
        Assert.Equal(90_000_000, status.GetProperty("totalRows").GetInt64());

        var history = await GetJsonAsync("api/history?dataset=spx&limit=5");
        Assert.Equal(5, history.GetProperty("units").GetArrayLength());
        Assert.Equal("2024-06-18", history.GetProperty("units")[0].GetProperty("date").GetString());

        var gaps = await GetJsonAsync("api/gaps?dataset=spx&from=2024-06-01&to=2024-06-30");
        var states = gaps.GetProperty("days").EnumerateArray().ToDictionary(d => d.GetProperty("date").GetString()!, d => d.GetProperty("state").GetString());
        Assert.Equal(30, states.Count);
        Assert.Equal("done", states["2024-06-03"]);
        Assert.Equal("failed", states["2024-06-12"]);
        Assert.Equal("processing", states["2024-06-18"]);
        Assert.Equal("missing", states["2024-06-14"]);
        Assert.Equal("non-trading", states["2024-06-08"]);
        Assert.Equal("non-trading", states["2024-06-19"]);
        Assert.Equal("pending", states["2024-06-20"]);

        var throughput = await GetJsonAsync("api/throughput?dataset=spx");
        var points = throughput.GetProperty("points").EnumerateArray().ToList();
        Assert.Equal(9, points.Count);
        Assert.Equal(500_000, points[0].GetProperty("rowsPerSecond").GetDouble());
    }

    [Fact]
    public async Task Api_refuses_an_unknown_dataset_and_a_bad_date_with_400()
    {
        var dataset = await GetJsonAsync("api/status?dataset=nope", HttpStatusCode.BadRequest);
        Assert.Contains("'nope' is not a dataset", dataset.GetProperty("error").GetString(), StringComparison.Ordinal);
        var date = await GetJsonAsync("api/gaps?from=2024-13-01", HttpStatusCode.BadRequest);
        Assert.Contains("2024-13-01", date.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_page_is_self_contained()
    {
        var html = await _http.GetStringAsync(_url, Ct);
        Assert.Contains("<script>", html, StringComparison.Ordinal);
        Assert.DoesNotContain("src=\"http", html, StringComparison.Ordinal);
        Assert.DoesNotContain("href=\"http", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Headless_chromium_renders_the_heat_map_chart_and_history_from_the_api()
    {
        Assert.SkipUnless(File.Exists(Chromium), $"{Chromium} is not installed (apt-get install chromium); the browser test needs it.");
        var page = new Uri(_url, "?dataset=spx");
        var dom = await RunChromiumAsync("--virtual-time-budget=10000", "--dump-dom", page.ToString());
        Assert.Contains("data-rendered=\"spx\"", dom, StringComparison.Ordinal);
        Assert.Contains("id=\"heatmap-svg\"", dom, StringComparison.Ordinal);
        Assert.Contains("data-date=\"2024-06-12\" data-state=\"failed\"", dom, StringComparison.Ordinal);
        Assert.Contains("data-date=\"2024-06-03\" data-state=\"done\"", dom, StringComparison.Ordinal);
        Assert.Contains("data-date=\"2024-06-18\" data-state=\"processing\"", dom, StringComparison.Ordinal);
        Assert.Contains("id=\"throughput-svg\"", dom, StringComparison.Ordinal);
        Assert.Equal(9, System.Text.RegularExpressions.Regex.Matches(dom, "class=\"point\"").Count);
        Assert.Contains("id=\"history-table\"", dom, StringComparison.Ordinal);

        var screenshot = Path.Combine(AppContext.BaseDirectory, "status-page.png");
        File.Delete(screenshot);
        await RunChromiumAsync("--virtual-time-budget=10000", "--hide-scrollbars", $"--screenshot={screenshot}", "--window-size=1280,900", page.ToString());
        Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is missing or empty");
        TestContext.Current.TestOutputHelper?.WriteLine($"status page screenshot: {screenshot}");
        Console.WriteLine($"status page screenshot: {screenshot}");
    }

    private async Task<string> RunChromiumAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", $"--user-data-dir={Path.Combine(_folder, "chromium")}" }.Concat(args))
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(Ct);
        var stderr = process.StandardError.ReadToEndAsync(Ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        await process.WaitForExitAsync(timeout.Token);
        Assert.True(process.ExitCode == 0, $"chromium exited {process.ExitCode}: {await stderr}");
        return await stdout;
    }

    private sealed class SteppingClock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
