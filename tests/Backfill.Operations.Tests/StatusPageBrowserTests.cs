using System.Net;
using System.Text.Json;
using Backfill.Engine.Datasets;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;
using Backfill.Operations.Metrics;
using Backfill.Operations.Server;

namespace Backfill.Operations.Tests;

/// <summary>
/// The status page shows the backfill, a year at a time: a ledger that backfilled part of 2024 shows 2024 with its done
/// count, the year buttons move through the range and the dataset selector switches datasets, in a real browser.
/// </summary>
public sealed class StatusPageBrowserTests : IAsyncLifetime
{
    private static readonly DateOnly Start = new(2023, 11, 1);
    private readonly string _folder = Directory.CreateTempSubdirectory("backfill-page-").FullName;
    private readonly Clock _clock = new(new DateTimeOffset(2025, 2, 18, 12, 0, 0, TimeSpan.Zero));
    private readonly HttpClient _http = new();
    private SqliteLedger _ledger = null!;
    private Microsoft.AspNetCore.Builder.WebApplication _app = null!;
    private Uri _url = null!;
    private List<DateOnly> _june = [];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _ledger = new SqliteLedger(Path.Combine(_folder, "backfill.db"), _clock);
        await _ledger.MigrateAsync(Ct);
        var calendar = DatasetRegistry.Default.Get("spx").Calendar;
        // spx: the range's first session done in 2023, the first 14 sessions of June 2024 done, 1 July 2024 failed.
        _june = [.. calendar.SessionsBetween(new DateOnly(2024, 6, 1), new DateOnly(2024, 6, 30)).Take(14)];
        foreach (var date in _june.Prepend(Start))
        {
            await CompleteAsync("spx", date);
        }

        Assert.NotNull(await _ledger.TryClaimUnitAsync("spx", new DateOnly(2024, 7, 1), "w", TimeSpan.FromHours(1), false, Ct));
        await _ledger.FailUnitAsync("spx", new DateOnly(2024, 7, 1), "w", "ServerError", "503 from the terminal", Ct);
        // ohlcv: two dates of March 2024.
        await CompleteAsync("ohlcv", new DateOnly(2024, 3, 1));
        await CompleteAsync("ohlcv", new DateOnly(2024, 3, 4));

        var metrics = new MetricsOptions(false, false, false, _folder, new Uri("http://127.0.0.1:4318"), TimeSpan.FromSeconds(60));
        var settings = await ServerSettings.LoadAsync(_ledger, _folder, Start, Ct);
        _app = StatusServer.Create(new ServerOptions(IPAddress.Loopback, 0, false, 5, Start, metrics), _ledger,
            new Backfill.Engine.Status.StatusApi(_ledger, DatasetRegistry.Default, settings, _clock), null, _clock);
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

    private async Task CompleteAsync(string dataset, DateOnly date)
    {
        Assert.NotNull(await _ledger.TryClaimUnitAsync(dataset, date, "w", TimeSpan.FromHours(1), false, Ct));
        await _ledger.CompleteUnitAsync(dataset, date, "w", new UnitSuccess
        {
            FilePath = ServerSettings.PlaceOutput(_folder, dataset, date), FileSize = 6, FileSha256 = new string('a', 64), RowCount = 100, DurationMs = 1000,
        }, Ct);
    }

    private async Task<JsonElement> GetJsonAsync(string path, HttpStatusCode expected = HttpStatusCode.OK)
    {
        using var response = await _http.GetAsync(new Uri(_url, path), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    [Fact]
    public async Task The_year_api_covers_the_configured_range_and_counts_like_the_gap_analysis()
    {
        var sessions2024 = DatasetRegistry.Default.Get("spx").Calendar.SessionsBetween(new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31)).Count;
        var year = await GetJsonAsync("api/year?dataset=spx&year=2024");
        Assert.Equal(2024, year.GetProperty("year").GetInt32());
        Assert.Equal("2024-01-01", year.GetProperty("from").GetString());
        Assert.Equal("2024-12-31", year.GetProperty("to").GetString());
        Assert.Equal(14, year.GetProperty("done").GetInt32());
        Assert.Equal(14, year.GetProperty("counts").GetProperty("done").GetInt32());
        Assert.Equal(1, year.GetProperty("counts").GetProperty("failed").GetInt32());
        Assert.Equal(sessions2024, year.GetProperty("sessions").GetInt32());
        Assert.Equal(sessions2024 - 14, year.GetProperty("gaps").GetInt32());
        Assert.Equal(366, year.GetProperty("days").GetArrayLength());

        var range = year.GetProperty("range");
        Assert.Equal("2023-11-01", range.GetProperty("from").GetString());
        Assert.Equal("2025-02-14", range.GetProperty("to").GetString());
        Assert.Equal((2023, 2025), (range.GetProperty("firstYear").GetInt32(), range.GetProperty("lastYear").GetInt32()));
        Assert.Equal(15, range.GetProperty("done").GetInt32());
        // The example in docs/status-and-health.md is this ledger.
        Assert.Equal((323, 308), (range.GetProperty("sessions").GetInt32(), range.GetProperty("gaps").GetInt32()));
        Assert.Equal((237, 114), (year.GetProperty("counts").GetProperty("missing").GetInt32(), year.GetProperty("counts").GetProperty("non-trading").GetInt32()));

        // The range's first year starts at the start date; no year is given: the range's last.
        Assert.Equal("2023-11-01", (await GetJsonAsync("api/year?dataset=spx&year=2023")).GetProperty("from").GetString());
        Assert.Equal(2025, (await GetJsonAsync("api/year?dataset=spx")).GetProperty("year").GetInt32());
        var outside = await GetJsonAsync("api/year?dataset=spx&year=2022", HttpStatusCode.BadRequest);
        Assert.Contains("ask for a year from 2023 to 2025", outside.GetProperty("error").GetString(), StringComparison.Ordinal);

        // A done date whose output is gone is a gap, as gaps says (missing-output).
        File.Delete(DatasetRegistry.Default.Get("spx").Layout.PathFor(Path.Combine(_folder, "out"), _june[0]));
        var after = await GetJsonAsync("api/year?dataset=spx&year=2024");
        Assert.Equal(13, after.GetProperty("done").GetInt32());
        var day = after.GetProperty("days").EnumerateArray().Single(d => d.GetProperty("date").GetString() == _june[0].ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(("missing", "MissingOutput"), (day.GetProperty("state").GetString(), day.GetProperty("error").GetString()));
    }

    [Fact]
    public async Task The_page_shows_2024_moves_between_years_and_switches_datasets_in_chromium()
    {
        Assert.SkipUnless(File.Exists(HeadlessBrowser.Chromium), $"{HeadlessBrowser.Chromium} is not installed (apt-get install chromium); the browser test needs it.");
        await using var browser = await HeadlessBrowser.OpenAsync(new Uri(_url, "?dataset=spx&year=2024"), Path.Combine(_folder, "chromium"), Ct);
        await browser.WaitForAsync("document.body.dataset.rendered === 'spx' && document.body.dataset.year === '2024'", Ct);

        Assert.Equal(14, await CountAsync(browser, "#heatmap rect[data-state=done]"));
        Assert.Equal(366, await CountAsync(browser, "#heatmap rect.day"));
        Assert.Equal("14", await TextAsync(browser, "document.getElementById('count-done').dataset.count"));
        Assert.Equal("15", await TextAsync(browser, "document.querySelector('#card-done b').textContent"));
        Assert.Contains("Backfill 2023-11-01 .. 2025-02-14", await TextAsync(browser, "document.getElementById('range').textContent"), StringComparison.Ordinal);
        // The hashed style sheet applies under the page's CSP: a legend swatch has the colour of done.
        Assert.Equal("rgb(46, 157, 91)", await TextAsync(browser, "getComputedStyle(document.querySelector('#count-done i')).backgroundColor"));

        await browser.EvaluateAsync("document.getElementById('prev-year').click()", Ct);
        await browser.WaitForAsync("document.body.dataset.year === '2023'", Ct);
        Assert.Equal(1, await CountAsync(browser, "#heatmap rect[data-state=done]"));
        Assert.Equal("2023-11-01", await TextAsync(browser, "document.querySelector('#heatmap rect.day').dataset.date"));
        Assert.True((await browser.EvaluateAsync("document.getElementById('prev-year').disabled", Ct)).GetBoolean());

        await browser.EvaluateAsync("document.getElementById('next-year').click()", Ct);
        await browser.WaitForAsync("document.body.dataset.year === '2024'", Ct);
        await browser.EvaluateAsync("document.getElementById('next-year').click()", Ct);
        await browser.WaitForAsync("document.body.dataset.year === '2025'", Ct);
        Assert.Equal(0, await CountAsync(browser, "#heatmap rect[data-state=done]"));
        Assert.True((await browser.EvaluateAsync("document.getElementById('next-year').disabled", Ct)).GetBoolean());
        Assert.Equal("?dataset=spx&year=2025", await TextAsync(browser, "location.search"));

        // Every registered dataset is in the selector; choosing ohlcv shows its own dates.
        var options = (await browser.EvaluateAsync("[...document.querySelectorAll('#dataset option')].map(o => o.value)", Ct))
            .EnumerateArray().Select(o => o.GetString()).ToArray();
        Assert.Equal(DatasetRegistry.Default.All.Select(d => d.Name).ToArray(), options);
        await browser.EvaluateAsync("const s = document.getElementById('dataset'); s.value = 'ohlcv'; s.dispatchEvent(new Event('change'));", Ct);
        await browser.WaitForAsync("document.body.dataset.rendered === 'ohlcv'", Ct);
        await browser.EvaluateAsync("document.getElementById('prev-year').click()", Ct);
        await browser.WaitForAsync("document.body.dataset.rendered === 'ohlcv' && document.body.dataset.year === '2024'", Ct);
        Assert.Equal(2, await CountAsync(browser, "#heatmap rect[data-state=done]"));
        Assert.Equal("ohlcv", await TextAsync(browser, "document.getElementById('dataset').value"));
        Assert.Equal(string.Empty, await TextAsync(browser, "document.getElementById('error').textContent"));
    }

    private static async Task<int> CountAsync(HeadlessBrowser browser, string selector) =>
        (await browser.EvaluateAsync($"document.querySelectorAll({JsonSerializer.Serialize(selector)}).length", Ct)).GetInt32();

    private static async Task<string?> TextAsync(HeadlessBrowser browser, string expression) =>
        (await browser.EvaluateAsync($"String({expression})", Ct)).GetString();

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
