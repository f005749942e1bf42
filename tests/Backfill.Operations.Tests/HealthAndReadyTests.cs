using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Backfill.Engine.Datasets;
using Backfill.Ledger;
using Backfill.Ledger.Postgres;
using Backfill.Operations.Metrics;
using Backfill.Operations.Server;
using Npgsql;

namespace Backfill.Operations.Tests;

/// <summary><c>/health</c> says the process is up (version, uptime); <c>/ready</c> says it can serve (ledger, output store, disk), 503 when not.</summary>
public sealed class HealthAndReadyTests : IAsyncDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("backfill-ready-").FullName;
    private readonly HttpClient _http = new();
    private readonly Clock _clock = new(new DateTimeOffset(2024, 6, 18, 12, 0, 0, TimeSpan.Zero));
    private readonly List<Microsoft.AspNetCore.Builder.WebApplication> _apps = [];
    private readonly List<ILedger> _ledgers = [];
    private string? _pgSchema;
    private string? _pgServer;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }

        foreach (var ledger in _ledgers)
        {
            await ledger.DisposeAsync();
        }

        if (_pgSchema is not null)
        {
            await using var connection = new NpgsqlConnection(PostgresUrl.Parse(_pgServer!).ConnectionString);
            await connection.OpenAsync(CancellationToken.None);
            await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{_pgSchema}\" CASCADE;", connection);
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }

        _http.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private async Task<(Uri Url, ILedger Ledger)> StartAsync(string kind = "sqlite")
    {
        ILedger ledger;
        if (kind == "postgres")
        {
            _pgServer = Environment.GetEnvironmentVariable("BACKFILL_TEST_PG_URL");
            Assert.SkipWhen(string.IsNullOrWhiteSpace(_pgServer),
                "PostgreSQL not reachable: set BACKFILL_TEST_PG_URL (postgres://user:password@127.0.0.1:5432/db) or run .ci/run, which starts one.");
            _pgSchema = "ready_" + Guid.NewGuid().ToString("N")[..12];
            ledger = LedgerFactory.Create(_pgServer + (_pgServer!.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "schema=" + _pgSchema, _clock);
        }
        else
        {
            ledger = LedgerFactory.Create(Path.Combine(_folder, "backfill.db"), _clock);
        }

        _ledgers.Add(ledger);
        await ledger.MigrateAsync(Ct);
        var metrics = new MetricsOptions(false, false, false, _folder, new Uri("http://127.0.0.1:4318"), TimeSpan.FromSeconds(60));
        var settings = await ServerSettings.LoadAsync(ledger, _folder, null, Ct);
        var app = StatusServer.Create(new ServerOptions(IPAddress.Loopback, 0, false, 5, null, metrics), ledger,
            new Backfill.Engine.Status.StatusApi(ledger, DatasetRegistry.Default, settings, _clock), null, _clock);
        _apps.Add(app);
        return (await StatusServer.StartAsync(app, Ct), ledger);
    }

    private async Task<JsonElement> GetJsonAsync(Uri url, string path, HttpStatusCode expected)
    {
        using var response = await _http.GetAsync(new Uri(url, path), Ct);
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement;
    }

    [Fact]
    public async Task Health_reports_status_version_and_uptime_on_the_servers_clock()
    {
        var (url, _) = await StartAsync();
        var first = await GetJsonAsync(url, "health", HttpStatusCode.OK);
        Assert.Equal("ok", first.GetProperty("status").GetString());
        Assert.Equal(StatusServer.Version, first.GetProperty("version").GetString());
        Assert.False(string.IsNullOrWhiteSpace(StatusServer.Version));
        Assert.Equal(0, first.GetProperty("uptimeSeconds").GetInt64());
        Assert.Equal(_clock.GetUtcNow(), first.GetProperty("startedAt").GetDateTimeOffset());

        _clock.Now = _clock.Now.AddMinutes(90);
        Assert.Equal(5400, (await GetJsonAsync(url, "health", HttpStatusCode.OK)).GetProperty("uptimeSeconds").GetInt64());
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Ready_names_the_ledger_the_output_store_and_the_disk(string kind)
    {
        var (url, ledger) = await StartAsync(kind);
        Directory.CreateDirectory(Path.Combine(_folder, "out"));
        File.SetUnixFileMode(Path.Combine(_folder, "out"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var ready = await GetJsonAsync(url, "ready", HttpStatusCode.OK);

        Assert.Equal("ready", ready.GetProperty("status").GetString());
        var checks = ready.GetProperty("checks");
        var ledgerCheck = checks.GetProperty("ledger");
        Assert.True(ledgerCheck.GetProperty("ready").GetBoolean());
        Assert.True(ledgerCheck.GetProperty("reachable").GetBoolean());
        Assert.Equal(kind == "postgres" ? "postgresql" : "sqlite", ledgerCheck.GetProperty("kind").GetString());
        Assert.Equal(await ledger.GetSchemaVersionAsync(Ct), ledgerCheck.GetProperty("schemaVersion").GetInt32());
        Assert.DoesNotContain("password", ledgerCheck.GetProperty("description").GetString()!, StringComparison.OrdinalIgnoreCase);

        var output = checks.GetProperty("outputStore");
        Assert.True(output.GetProperty("ready").GetBoolean());
        Assert.True(output.GetProperty("exists").GetBoolean());
        Assert.True(output.GetProperty("writable").GetBoolean());
        Assert.Equal(JsonValueKind.Null, output.GetProperty("permissionProblem").ValueKind);

        var disk = checks.GetProperty("disk");
        Assert.True(disk.GetProperty("ready").GetBoolean());
        Assert.True(disk.GetProperty("output").GetProperty("freeBytes").GetInt64() > 0);
        Assert.InRange(disk.GetProperty("temp").GetProperty("freePercent").GetDouble(), 0.0, 100.0);
    }

    [Fact]
    public async Task Ready_is_503_when_the_output_folder_is_a_file_and_names_it()
    {
        var (url, _) = await StartAsync();
        await File.WriteAllTextAsync(Path.Combine(_folder, "out"), "not a folder", Ct);

        var ready = await GetJsonAsync(url, "ready", HttpStatusCode.ServiceUnavailable);

        Assert.Equal("not-ready", ready.GetProperty("status").GetString());
        var output = ready.GetProperty("checks").GetProperty("outputStore");
        Assert.False(output.GetProperty("ready").GetBoolean());
        Assert.False(output.GetProperty("exists").GetBoolean());
        Assert.Contains("is a file, not a folder", output.GetProperty("permissionProblem").GetString(), StringComparison.Ordinal);
        Assert.Contains("is a file, not a folder", ready.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.True(ready.GetProperty("checks").GetProperty("ledger").GetProperty("ready").GetBoolean());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task An_output_folder_others_can_read_is_ready_but_names_the_permission_problem()
    {
        var (url, _) = await StartAsync();
        var folder = Path.Combine(_folder, "out");
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, (UnixFileMode)0b111_101_101);

        var output = (await GetJsonAsync(url, "ready", HttpStatusCode.OK)).GetProperty("checks").GetProperty("outputStore");

        Assert.True(output.GetProperty("ready").GetBoolean());
        Assert.Contains($"mode 0755: output folders should be owner-only. Fix: chmod 700 '{folder}'", output.GetProperty("permissionProblem").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_pages_style_sheet_and_script_run_by_hash_and_nothing_else_inline_does()
    {
        var (url, _) = await StartAsync();
        using var response = await _http.GetAsync(url, Ct);
        var html = await response.Content.ReadAsStringAsync(Ct);
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        var style = Regex.Match(html, "<style>(.*?)</style>", RegexOptions.Singleline).Groups[1].Value.Replace("\r\n", "\n", StringComparison.Ordinal);
        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(style)));
        Assert.Equal([$"'sha256-{hash}'"], Regex.Match(policy, "style-src ([^;]*)").Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        Assert.DoesNotContain("unsafe-inline", policy, StringComparison.Ordinal);
        Assert.DoesNotContain("style=", html, StringComparison.Ordinal);
    }

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
