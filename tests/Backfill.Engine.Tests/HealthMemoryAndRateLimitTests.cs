using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
using Backfill.Engine.Datasets.Ohlcv;
using Backfill.Engine.Datasets.Spx;
using Backfill.Engine.Health;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Ledger.Postgres;
using Npgsql;

namespace Backfill.Engine.Tests;

/// <summary><c>health</c>'s memory check (from /proc/meminfo and the working set) and rate-limit check (ledger errors of the last hour, request budget).</summary>
public sealed class HealthMemoryAndRateLimitTests : IAsyncDisposable
{
    private static readonly DateTimeOffset Now = new(2024, 6, 18, 15, 0, 0, TimeSpan.Zero);
    private readonly string _folder = Directory.CreateTempSubdirectory("backfill-health-").FullName;
    private readonly Clock _clock = new(Now);
    private string? _pgSchema;
    private string? _pgServer;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        if (_pgSchema is not null)
        {
            await using var connection = new NpgsqlConnection(PostgresUrl.Parse(_pgServer!).ConnectionString);
            await connection.OpenAsync(CancellationToken.None);
            await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{_pgSchema}\" CASCADE;", connection);
            await command.ExecuteNonQueryAsync(CancellationToken.None);
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Theory]
    [InlineData(16_000_000, 8_000_000, HealthLevel.Ok)]
    [InlineData(16_000_000, 3_200_000, HealthLevel.Warn)]
    [InlineData(16_000_000, 800_000, HealthLevel.Fail)]
    public async Task Memory_warns_above_75_and_fails_above_90_percent_of_the_machine_in_use(long totalKb, long availableKb, HealthLevel expected)
    {
        var memInfo = Path.Combine(_folder, "meminfo");
        await File.WriteAllTextAsync(memInfo, $"MemTotal:       {totalKb} kB\nMemFree:         1000 kB\nMemAvailable:   {availableKb} kB\nBuffers:  10 kB\n", Ct);
        await using var ledger = await LedgerAsync("sqlite");

        var memory = (await CheckAsync(ledger, new SpxDataset(), memInfo)).Single(c => c.Name == "memory");

        Assert.True(memory.Level == expected, memory.Detail);
        Assert.Contains($"of {totalKb * 1024 / (1024.0 * 1024 * 1024):0.0} GB in use", memory.Detail, StringComparison.Ordinal);
        Assert.Contains("this process uses", memory.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_proc_meminfo_the_memory_check_says_what_it_could_not_measure()
    {
        await using var ledger = await LedgerAsync("sqlite");
        var memory = (await CheckAsync(ledger, new SpxDataset(), Path.Combine(_folder, "no-meminfo"))).Single(c => c.Name == "memory");
        Assert.Equal(HealthLevel.Ok, memory.Level);
        Assert.Contains("not measured here", memory.Detail, StringComparison.Ordinal);
        Assert.Contains("this process uses", memory.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_real_proc_meminfo_is_read_on_linux()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "/proc/meminfo is Linux-only.");
        var memory = SystemMemory.Read();
        Assert.True(memory.TotalBytes > 0 && memory.AvailableBytes > 0 && memory.UsedPercent is >= 0 and <= 100, memory.ToString());
        Assert.True(memory.ProcessWorkingSetBytes > 0);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task Rate_limit_errors_of_the_last_hour_warn_and_older_or_other_errors_do_not(string kind)
    {
        await using var ledger = await LedgerAsync(kind);
        var quiet = (await CheckAsync(ledger, new SpxDataset())).Single(c => c.Name == "rate-limit");
        Assert.Equal(HealthLevel.Ok, quiet.Level);
        Assert.Contains("no rate-limit errors in the last hour", quiet.Detail, StringComparison.Ordinal);

        await ErrorAsync(ledger, "RateLimited", Now.AddHours(-2), 429);
        await ErrorAsync(ledger, "ServerError", Now.AddMinutes(-5), 503);
        await ErrorAsync(ledger, "RateLimited", "ohlcv", Now.AddMinutes(-5), 429);
        var stillQuiet = (await CheckAsync(ledger, new SpxDataset())).Single(c => c.Name == "rate-limit");
        Assert.True(stillQuiet.Level == HealthLevel.Ok, stillQuiet.Detail);

        await ErrorAsync(ledger, "RateLimited", Now.AddMinutes(-40), 429);
        await ErrorAsync(ledger, "RateLimited", Now.AddMinutes(-10), 429);
        await ErrorAsync(ledger, "ServerError", Now.AddMinutes(-3), 429);
        var throttled = (await CheckAsync(ledger, new SpxDataset())).Single(c => c.Name == "rate-limit");
        Assert.True(throttled.Level == HealthLevel.Warn, throttled.Detail);
        Assert.Contains("3 rate-limit errors in the last hour (RateLimited 2, ServerError 1)", throttled.Detail, StringComparison.Ordinal);
        Assert.Contains("the last at 2024-06-18 14:57 UTC", throttled.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sqlite")]
    [InlineData("postgres")]
    public async Task A_dataset_with_a_request_budget_reports_it_and_warns_from_80_percent(string kind)
    {
        await using var ledger = await LedgerAsync(kind);
        var day = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(Now, Core.Calendars.NyseCalendar.Instance.TimeZone).DateTime);
        await TakeAsync(ledger, day, 10);
        var some = (await CheckAsync(ledger, new OhlcvDataset())).Single(c => c.Name == "rate-limit");
        Assert.True(some.Level == HealthLevel.Ok, some.Detail);
        Assert.Contains("alphavantage budget: 10 of 25 requests used on 2024-06-18 (New York day)", some.Detail, StringComparison.Ordinal);

        await TakeAsync(ledger, day, 10);
        var most = (await CheckAsync(ledger, new OhlcvDataset())).Single(c => c.Name == "rate-limit");
        Assert.True(most.Level == HealthLevel.Warn, most.Detail);
        Assert.Contains("20 of 25", most.Detail, StringComparison.Ordinal);

        await TakeAsync(ledger, day, 5);
        var spent = (await CheckAsync(ledger, new OhlcvDataset())).Single(c => c.Name == "rate-limit");
        Assert.True(spent.Level == HealthLevel.Warn, spent.Detail);
        Assert.Contains("spent, processing waits until the next period", spent.Detail, StringComparison.Ordinal);
    }

    private async Task<IReadOnlyList<HealthCheck>> CheckAsync(ILedger ledger, IDataset dataset, string? memInfo = null)
    {
        var settings = await new SettingsResolver(new Dictionary<string, string>
        {
            [Settings.OutputDirectory] = Path.Combine(_folder, "out"),
            [Settings.TempDirectory] = Path.Combine(_folder, "tmp"),
            [SpxSettings.ThetaBaseUrl] = $"http://127.0.0.1:{HealthCheckerTests.ClosedPort()}",
        }, new Dictionary<string, string>()).LoadAsync(ledger, Ct);
        var host = new DatasetHost(ledger, _clock, _ => null, _ => { });
        return (await new HealthChecker(dataset, host, settings, memInfoPath: memInfo ?? SystemMemory.LinuxMemInfo).CheckAsync(Ct)).Checks;
    }

    private async Task<ILedger> LedgerAsync(string kind)
    {
        ILedger ledger;
        if (kind == "postgres")
        {
            _pgServer = Environment.GetEnvironmentVariable("BACKFILL_TEST_PG_URL");
            Assert.SkipWhen(string.IsNullOrWhiteSpace(_pgServer),
                "PostgreSQL not reachable: set BACKFILL_TEST_PG_URL (postgres://user:password@127.0.0.1:5432/db) or run .ci/run, which starts one.");
            _pgSchema = "health_" + Guid.NewGuid().ToString("N")[..12];
            ledger = LedgerFactory.Create(_pgServer + (_pgServer!.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "schema=" + _pgSchema, _clock);
        }
        else
        {
            ledger = LedgerFactory.Create(Path.Combine(_folder, "backfill.db"), _clock);
        }

        await ledger.MigrateAsync(Ct);
        return ledger;
    }

    private static Task ErrorAsync(ILedger ledger, string type, DateTimeOffset at, int status) => ErrorAsync(ledger, type, "spx", at, status);

    private static Task ErrorAsync(ILedger ledger, string type, string dataset, DateTimeOffset at, int status) =>
        ledger.RecordErrorAsync(new ErrorRecord { Dataset = dataset, ErrorType = type, Message = "slow down", StatusCode = status, OccurredAt = at }, Ct);

    private static async Task TakeAsync(ILedger ledger, DateOnly day, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.True(await ledger.TryTakeRequestAsync(LedgerRequestBudget.Source, day, 25, Ct));
        }
    }

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
