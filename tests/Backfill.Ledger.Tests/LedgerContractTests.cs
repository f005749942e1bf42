using Backfill.Ledger.Model;

namespace Backfill.Ledger.Tests;

/// <summary>
/// What every ledger must do, whatever the database: each backend runs this whole class through a subclass
/// (<see cref="SqliteLedgerTests"/>, <see cref="PostgresLedgerTests"/>).
/// </summary>
public abstract partial class LedgerContractTests
{
    protected static readonly DateOnly Day = new(2024, 1, 2);

    protected static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>A fresh, migrated, empty ledger with a manual clock.</summary>
    protected abstract Task<LedgerHarness> CreateAsync();

    [Fact]
    public async Task Migration_is_idempotent_and_versioned()
    {
        await using var t = await CreateAsync();
        await t.Ledger.MigrateAsync(Ct);
        await using var second = t.OpenSecond();
        await second.MigrateAsync(Ct);
        Assert.Equal(LedgerSchema.LatestVersion, await t.Ledger.GetSchemaVersionAsync(Ct));
        Assert.Equal("ok", await t.Ledger.CheckIntegrityAsync(Ct));
    }

    [Fact]
    public async Task A_ledger_a_newer_backfill_migrated_is_refused_with_both_versions_and_left_as_it_was()
    {
        await using var t = await CreateAsync();
        await t.Ledger.SetConfigAsync("*", "thetadata.baseUrl", "http://127.0.0.1:25510", "alice", Ct);
        await t.SqlAsync("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from a newer backfill', CURRENT_TIMESTAMP);");

        await using var older = t.OpenSecond();
        var e = await Assert.ThrowsAsync<LedgerSchemaTooNewException>(() => older.MigrateAsync(Ct));
        Assert.Equal((999, LedgerSchema.LatestVersion, older.Description), (e.Version, e.LatestKnownVersion, e.Ledger));
        Assert.Equal(
            $"The ledger {older.Description} has schema version 999; this backfill knows versions up to {LedgerSchema.LatestVersion}. " +
            "Upgrade backfill to use it; nothing was changed.", e.Message);
        Assert.Equal(LedgerSchema.LatestVersion + 1, await t.SqlAsync("SELECT COUNT(*) FROM schema_migrations;"));
        Assert.Equal(999, await t.Ledger.GetSchemaVersionAsync(Ct));
        Assert.Equal(1, await t.SqlAsync("SELECT COUNT(*) FROM configuration_history;"));
    }

    [Fact]
    public async Task A_ledger_at_the_version_this_build_knows_opens_again()
    {
        await using var t = await CreateAsync();
        await using var again = t.OpenSecond();
        await again.MigrateAsync(Ct);
        Assert.Equal(LedgerSchema.LatestVersion, await again.GetSchemaVersionAsync(Ct));
        Assert.Equal(LedgerSchema.LatestVersion, await t.SqlAsync("SELECT COUNT(*) FROM schema_migrations;"));
    }

    [Fact]
    public async Task The_request_budget_counts_per_source_and_day_and_refuses_past_the_limit_across_connections()
    {
        await using var t = await CreateAsync();
        await using var other = t.OpenSecond();
        var day = new DateOnly(2025, 6, 30);
        Assert.True(await t.Ledger.TryTakeRequestAsync("alphavantage", day, 3, Ct));
        Assert.True(await other.TryTakeRequestAsync("alphavantage", day, 3, Ct));
        Assert.True(await t.Ledger.TryTakeRequestAsync("alphavantage", day, 3, Ct));
        Assert.False(await other.TryTakeRequestAsync("alphavantage", day, 3, Ct));
        Assert.False(await t.Ledger.TryTakeRequestAsync("alphavantage", day, 3, Ct));
        Assert.Equal(3, await t.Ledger.GetRequestCountAsync("alphavantage", day, Ct));

        Assert.True(await t.Ledger.TryTakeRequestAsync("alphavantage", day.AddDays(1), 3, Ct));
        Assert.True(await t.Ledger.TryTakeRequestAsync("databento", day, 1, Ct));
        Assert.False(await t.Ledger.TryTakeRequestAsync("databento", day, 1, Ct));
        Assert.True(await t.Ledger.TryTakeRequestAsync("alphavantage", day, 5, Ct)); // a raised limit allows more the same day
        Assert.Equal(4, await t.Ledger.GetRequestCountAsync("alphavantage", day, Ct));
        Assert.Equal(0, await t.Ledger.GetRequestCountAsync("alphavantage", day.AddDays(-1), Ct));
        Assert.False(await t.Ledger.TryTakeRequestAsync("alphavantage", day.AddDays(-1), 0, Ct));
    }

    [Fact]
    public async Task Concurrent_takes_never_exceed_the_limit()
    {
        await using var t = await CreateAsync();
        await using var other = t.OpenSecond();
        var day = new DateOnly(2025, 7, 1);
        var takes = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => (i % 2 == 0 ? t.Ledger : other).TryTakeRequestAsync("alphavantage", day, 7, Ct)));
        Assert.Equal(7, takes.Count(x => x));
        Assert.Equal(7, await t.Ledger.GetRequestCountAsync("alphavantage", day, Ct));
    }

    [Fact]
    public async Task Claim_then_complete_records_the_output()
    {
        await using var t = await CreateAsync();
        var claim = await t.Ledger.TryClaimUnitAsync("spx", Day, "w1", TimeSpan.FromMinutes(5), false, Ct);
        Assert.NotNull(claim);
        Assert.Equal(1, claim.Attempt);
        await t.Ledger.CompleteUnitAsync("spx", Day, "w1", new UnitSuccess
        {
            FilePath = "/out/spx.parquet",
            FileSize = 1234,
            FileSha256 = new string('a', 64),
            RowCount = 99,
            SubUnitsTotal = 3,
            ApiRequests = 4,
        }, Ct);
        var unit = await t.Ledger.GetUnitAsync("spx", Day, Ct);
        Assert.NotNull(unit);
        Assert.Equal(UnitStatus.Success, unit.Status);
        Assert.Equal(99, unit.RowCount);
        Assert.Null(unit.Owner);
        Assert.Equal(3, unit.SubUnitsDone);
    }

    [Fact]
    public async Task A_live_lease_keeps_a_second_worker_out()
    {
        await using var t = await CreateAsync();
        Assert.NotNull(await t.Ledger.TryClaimUnitAsync("spx", Day, "w1", TimeSpan.FromMinutes(5), false, Ct));
        await using var other = t.OpenSecond();
        Assert.Null(await other.TryClaimUnitAsync("spx", Day, "w2", TimeSpan.FromMinutes(5), false, Ct));
    }

    [Fact]
    public async Task An_expired_lease_is_recovered_as_interrupted_and_resumed()
    {
        await using var t = await CreateAsync();
        await t.Ledger.TryClaimUnitAsync("spx", Day, "dead-worker", TimeSpan.FromMinutes(1), false, Ct);
        t.Clock.Advance(TimeSpan.FromMinutes(2));
        var recovered = await t.Ledger.RecoverExpiredAsync("spx", Ct);
        Assert.Equal([Day], recovered);
        Assert.Equal(UnitStatus.Interrupted, (await t.Ledger.GetUnitAsync("spx", Day, Ct))!.Status);
        var claim = await t.Ledger.TryClaimUnitAsync("spx", Day, "w2", TimeSpan.FromMinutes(1), false, Ct);
        Assert.NotNull(claim);
        Assert.True(claim.Resumed);
        Assert.Equal(2, claim.Attempt);
    }

    [Fact]
    public async Task A_successful_unit_is_not_claimed_again_unless_forced()
    {
        await using var t = await CreateAsync();
        await t.Ledger.TryClaimUnitAsync("spx", Day, "w1", TimeSpan.FromMinutes(1), false, Ct);
        await t.Ledger.CompleteUnitAsync("spx", Day, "w1", new UnitSuccess { FilePath = "f", FileSize = 1, FileSha256 = "x", RowCount = 1 }, Ct);
        Assert.Null(await t.Ledger.TryClaimUnitAsync("spx", Day, "w1", TimeSpan.FromMinutes(1), false, Ct));
        Assert.NotNull(await t.Ledger.TryClaimUnitAsync("spx", Day, "w1", TimeSpan.FromMinutes(1), true, Ct));
    }

    [Fact]
    public async Task Completing_after_losing_the_lease_is_refused()
    {
        await using var t = await CreateAsync();
        await t.Ledger.TryClaimUnitAsync("spx", Day, "slow", TimeSpan.FromMinutes(1), false, Ct);
        t.Clock.Advance(TimeSpan.FromMinutes(2));
        await t.Ledger.TryClaimUnitAsync("spx", Day, "fast", TimeSpan.FromMinutes(1), false, Ct);
        await Assert.ThrowsAsync<InvalidOperationException>(() => t.Ledger.CompleteUnitAsync(
            "spx", Day, "slow", new UnitSuccess { FilePath = "f", FileSize = 1, FileSha256 = "x", RowCount = 1 }, Ct));
    }

    [Fact]
    public async Task Failure_records_the_error_type_and_keeps_the_attempt_count()
    {
        await using var t = await CreateAsync();
        await t.Ledger.TryClaimUnitAsync("spx", Day, "w1", TimeSpan.FromMinutes(1), false, Ct);
        await t.Ledger.FailUnitAsync("spx", Day, "w1", "RateLimited", "429 three times", Ct);
        await t.Ledger.TryClaimUnitAsync("spx", Day, "w1", TimeSpan.FromMinutes(1), false, Ct);
        await t.Ledger.FailUnitAsync("spx", Day, "w1", "ConnectionFailed", "reset", Ct);
        var unit = (await t.Ledger.GetUnitAsync("spx", Day, Ct))!;
        Assert.Equal(UnitStatus.Failed, unit.Status);
        Assert.Equal(2, unit.AttemptCount);
        Assert.Equal("ConnectionFailed", unit.LastErrorType);
    }

    [Fact]
    public async Task Datasets_are_kept_apart()
    {
        await using var t = await CreateAsync();
        await t.Ledger.TryClaimUnitAsync("spx", Day, "w1", TimeSpan.FromMinutes(1), false, Ct);
        Assert.NotNull(await t.Ledger.TryClaimUnitAsync("fop", Day, "w2", TimeSpan.FromMinutes(1), false, Ct));
        Assert.Single(await t.Ledger.ListUnitsAsync("spx", null, null, null, Ct));
        Assert.Single(await t.Ledger.ListUnitsAsync("fop", null, null, null, Ct));
    }

    [Fact]
    public async Task Sub_units_are_remembered_until_the_unit_completes()
    {
        await using var t = await CreateAsync();
        await t.Ledger.TryClaimUnitAsync("spx", Day, "w1", TimeSpan.FromMinutes(1), false, Ct);
        await t.Ledger.MarkSubUnitCompleteAsync("spx", Day, "SPXW-20240102", 100, Ct);
        await t.Ledger.MarkSubUnitCompleteAsync("spx", Day, "SPX-20240119", 50, Ct);
        await t.Ledger.MarkSubUnitCompleteAsync("spx", Day, "SPX-20240119", 50, Ct);
        Assert.Equal(2, (await t.Ledger.GetCompletedSubUnitsAsync("spx", Day, Ct)).Count);
        await t.Ledger.CompleteUnitAsync("spx", Day, "w1", new UnitSuccess { FilePath = "f", FileSize = 1, FileSha256 = "x", RowCount = 150 }, Ct);
        Assert.Empty(await t.Ledger.GetCompletedSubUnitsAsync("spx", Day, Ct));
    }

    [Fact]
    public async Task Config_changes_are_versioned_with_who_and_previous_value()
    {
        await using var t = await CreateAsync();
        await t.Ledger.SetConfigAsync("*", "thetadata.baseUrl", "http://127.0.0.1:25510", "alice", Ct);
        t.Clock.Advance(TimeSpan.FromMinutes(1));
        await t.Ledger.SetConfigAsync("*", "thetadata.baseUrl", "http://127.0.0.1:25503", "bob", Ct);
        await t.Ledger.SetConfigAsync("*", "thetadata.baseUrl", null, "carol", Ct);
        Assert.Null(await t.Ledger.GetConfigAsync("*", "thetadata.baseUrl", Ct));
        var history = await t.Ledger.GetConfigHistoryAsync("*", "thetadata.baseUrl", Ct);
        Assert.Equal(3, history.Count);
        Assert.Equal(("http://127.0.0.1:25510", "http://127.0.0.1:25503", "bob", 2),
            (history[1].OldValue, history[1].NewValue, history[1].ChangedBy, history[1].Version));
        Assert.Null(history[2].NewValue);
        await t.Ledger.SetConfigAsync("*", "thetadata.baseUrl", "http://x:1", "dave", Ct);
        Assert.Equal(4, (await t.Ledger.GetConfigAsync("*", "thetadata.baseUrl", Ct))!.Version);
    }

    [Fact]
    public async Task Errors_and_metrics_round_trip()
    {
        await using var t = await CreateAsync();
        await t.Ledger.RecordErrorAsync(new ErrorRecord
        {
            Dataset = "spx", TradeDate = Day, SubUnit = "SPXW-20240102", ErrorType = "RateLimited", Message = "429", Attempt = 1, StatusCode = 429, WillRetry = true,
        }, Ct);
        await t.Ledger.RecordMetricsAsync([new MetricRecord("spx", Day, "rows_per_second", 123456, "rows/s")], Ct);
        var error = Assert.Single(await t.Ledger.ListErrorsAsync("spx", Day, 10, Ct));
        Assert.Equal(("RateLimited", 1, 429, true), (error.ErrorType, error.Attempt, error.StatusCode, error.WillRetry));
        var metric = Assert.Single(await t.Ledger.ListMetricsAsync("spx", Day, Ct));
        Assert.Equal(123456, metric.Value);
        var summary = await t.Ledger.GetSummaryAsync("spx", Ct);
        Assert.Equal(1, summary.ErrorsLast24h);
    }

    [Fact]
    public async Task The_error_history_filters_by_time_type_and_trade_date_and_keeps_the_newest_oldest_first()
    {
        await using var t = await CreateAsync();
        async Task Record(string dataset, DateOnly date, string type, string message)
        {
            await t.Ledger.RecordErrorAsync(new ErrorRecord { Dataset = dataset, TradeDate = date, ErrorType = type, Message = message, StatusCode = 429, WillRetry = true }, Ct);
            t.Clock.Advance(TimeSpan.FromHours(1));
        }

        var start = t.Clock.GetUtcNow();
        await Record("spx", Day, "RateLimited", "first");
        await Record("spx", Day.AddDays(1), "ConnectionFailed", "second");
        await Record("spx", Day.AddDays(2), "RateLimited", "third");
        await Record("fop", Day, "RateLimited", "other dataset");

        var all = await t.Ledger.ListErrorHistoryAsync("spx", new ErrorFilter(), Ct);
        Assert.Equal(["first", "second", "third"], all.Select(e => e.Message));
        Assert.Equal(["first", "third"], (await t.Ledger.ListErrorHistoryAsync("spx", new ErrorFilter(ErrorType: "RateLimited"), Ct)).Select(e => e.Message));
        Assert.Equal(["second", "third"], (await t.Ledger.ListErrorHistoryAsync("spx", new ErrorFilter(Since: start.AddMinutes(30)), Ct)).Select(e => e.Message));
        Assert.Equal(["second"], (await t.Ledger.ListErrorHistoryAsync("spx", new ErrorFilter(From: Day.AddDays(1), To: Day.AddDays(1)), Ct)).Select(e => e.Message));
        Assert.Equal(["second", "third"], (await t.Ledger.ListErrorHistoryAsync("spx", new ErrorFilter(Limit: 2), Ct)).Select(e => e.Message));
        Assert.Empty(await t.Ledger.ListErrorHistoryAsync("spx", new ErrorFilter(ErrorType: "DiskFull"), Ct));
    }

    [Fact]
    public async Task Two_ledgers_on_one_database_writing_at_once_lose_nothing_and_never_double_claim()
    {
        await using var t = await CreateAsync();
        await using var a = t.OpenSecond();
        await using var b = t.OpenSecond();
        var dates = Enumerable.Range(0, 60).Select(i => new DateOnly(2023, 1, 1).AddDays(i)).ToList();
        var claimedBy = new System.Collections.Concurrent.ConcurrentDictionary<DateOnly, string>();
        async Task Work(ILedger ledger, string owner)
        {
            foreach (var d in dates)
            {
                var claim = await ledger.TryClaimUnitAsync("spx", d, owner, TimeSpan.FromHours(1), false, Ct);
                if (claim is null)
                {
                    continue;
                }

                Assert.True(claimedBy.TryAdd(d, owner), $"{d} claimed twice");
                await ledger.RecordErrorAsync(new ErrorRecord { Dataset = "spx", TradeDate = d, ErrorType = "Unknown", Message = owner }, Ct);
                await ledger.CompleteUnitAsync("spx", d, owner, new UnitSuccess { FilePath = "f", FileSize = 1, FileSha256 = "x", RowCount = 1 }, Ct);
            }
        }

        await Task.WhenAll(Task.Run(() => Work(a, "A"), Ct), Task.Run(() => Work(b, "B"), Ct));
        Assert.Equal(60, claimedBy.Count);
        var units = await t.Ledger.ListUnitsAsync("spx", null, null, UnitStatus.Success, Ct);
        Assert.Equal(60, units.Count);
        Assert.Equal(60, (await t.Ledger.ListErrorsAsync("spx", null, 1000, Ct)).Count);
        Assert.Equal("ok", await t.Ledger.CheckIntegrityAsync(Ct));
    }

    [Fact]
    public async Task Prune_removes_only_history_older_than_the_cutoff_and_never_units_or_configuration()
    {
        await using var t = await CreateAsync();
        var success = new UnitSuccess { FilePath = "f", FileSize = 1, FileSha256 = "x", RowCount = 1 };

        // Old history: an attempt that ended (a failure, with its error), one still open, a metric; then a year passes.
        await t.Ledger.SetConfigAsync("*", "processing.startDate", "2020-01-02", "alice", Ct);
        await t.Ledger.TryClaimUnitAsync("spx", Day, "w1", TimeSpan.FromMinutes(5), false, Ct);
        await t.Ledger.FailUnitAsync("spx", Day, "w1", "Unknown", "old failure", Ct);
        await t.Ledger.RecordErrorAsync(new ErrorRecord { Dataset = "spx", TradeDate = Day, ErrorType = "RateLimited", Message = "old" }, Ct);
        await t.Ledger.RecordMetricsAsync([new MetricRecord("spx", Day, "rows", 1, "rows")], Ct);
        await t.Ledger.TryClaimUnitAsync("spx", Day.AddDays(1), "w1", TimeSpan.FromDays(400), false, Ct);
        var cutoff = t.Clock.GetUtcNow().AddDays(1);
        t.Clock.Advance(TimeSpan.FromDays(365));

        // Recent history: the failed date done on a second attempt, a new error and metric.
        await t.Ledger.TryClaimUnitAsync("spx", Day, "w2", TimeSpan.FromMinutes(5), false, Ct);
        await t.Ledger.CompleteUnitAsync("spx", Day, "w2", success, Ct);
        await t.Ledger.RecordErrorAsync(new ErrorRecord { Dataset = "spx", TradeDate = Day, ErrorType = "RateLimited", Message = "new" }, Ct);
        await t.Ledger.RecordMetricsAsync([new MetricRecord("spx", Day, "rows", 2, "rows")], Ct);
        var before = await CountsAsync(t);

        var dryRun = await t.Ledger.PruneHistoryAsync(cutoff, dryRun: true, Ct);
        Assert.Equal([("attempt_log", 1L), ("error_log", 1L), ("performance_metrics", 1L)], dryRun.Select(p => (p.Table, p.Rows)));
        Assert.Equal(before, await CountsAsync(t));

        var pruned = await t.Ledger.PruneHistoryAsync(cutoff, dryRun: false, Ct);
        Assert.Equal(dryRun, pruned);
        Assert.Equal(before with { Attempts = before.Attempts - 1, Errors = before.Errors - 1, Metrics = before.Metrics - 1 }, await CountsAsync(t));
        Assert.Equal(["new"], (await t.Ledger.ListErrorsAsync("spx", null, 10, Ct)).Select(e => e.Message));
        Assert.Equal([2.0], (await t.Ledger.ListMetricsAsync("spx", null, Ct)).Select(m => m.Value));
        Assert.Equal(UnitStatus.Success, (await t.Ledger.GetUnitAsync("spx", Day, Ct))!.Status);
        Assert.Equal(UnitStatus.Processing, (await t.Ledger.GetUnitAsync("spx", Day.AddDays(1), Ct))!.Status);
        Assert.Equal(1, await t.SqlAsync("SELECT COUNT(*) FROM attempt_log WHERE ended_at IS NULL;"));
        Assert.Equal([0L, 0L, 0L], (await t.Ledger.PruneHistoryAsync(cutoff, dryRun: false, Ct)).Select(p => p.Rows));
    }

    private static async Task<HistoryCounts> CountsAsync(LedgerHarness t) => new(
        await t.SqlAsync("SELECT COUNT(*) FROM processing_log;"),
        await t.SqlAsync("SELECT COUNT(*) FROM attempt_log;"),
        await t.SqlAsync("SELECT COUNT(*) FROM error_log;"),
        await t.SqlAsync("SELECT COUNT(*) FROM performance_metrics;"),
        await t.SqlAsync("SELECT COUNT(*) FROM configuration;") + await t.SqlAsync("SELECT COUNT(*) FROM configuration_history;"));

    private sealed record HistoryCounts(long Units, long Attempts, long Errors, long Metrics, long Configuration);
}
