using System.Text.Json;
using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Ledger.Postgres;
using Backfill.Ledger.Sqlite;
using Microsoft.Data.Sqlite;

namespace Backfill.Cli.Tests;

/// <summary>
/// <c>ledger backup</c>, <c>ledger restore</c> and <c>ledger prune</c> on real SQLite files (and PostgreSQL when one is
/// reachable), and what every command says about a corrupted ledger.
/// </summary>
public sealed class LedgerCommandTests
{
    private static readonly DateOnly Day = new(2024, 6, 10);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Backup_while_another_connection_holds_an_open_write_transaction_is_the_last_committed_state_owner_only_and_intact()
    {
        using var cli = new CliRunner();
        Assert.Equal(0, (await cli.RunAsync("config", "set", "processing.startDate", "2024-01-02")).ExitCode);
        await using var writer = await OpenAsync(cli.Db);
        await using (var begin = writer.CreateCommand())
        {
            begin.CommandText = "BEGIN IMMEDIATE; INSERT INTO configuration (dataset, key, value, version, updated_at, updated_by) VALUES ('*', 'uncommitted', 'x', 1, 'now', 'test');";
            await begin.ExecuteNonQueryAsync(Ct);
        }

        var backup = await cli.RunAsync("--format", "json", "ledger", "backup");

        Assert.True(backup.ExitCode == 0, backup.ToString());
        var row = Assert.Single(backup.Json().EnumerateArray());
        var path = row.GetProperty("path").GetString()!;
        Assert.Equal(Path.Combine(cli.Folder, "backups", "backfill-20241231T230000Z.db"), path);
        Assert.Equal(new FileInfo(path).Length, row.GetProperty("bytes").GetInt64());
        Assert.Equal(LedgerSchema.LatestVersion, row.GetProperty("schema_version").GetInt32());
        Assert.Equal("ok", row.GetProperty("integrity").GetString());
        Assert.Equal(OwnerOnlyFile, ModeOf(path));
        Assert.Equal(OwnerOnlyFolder, ModeOf(Path.GetDirectoryName(path)!));
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(Path.GetDirectoryName(path)!).Select(Path.GetFileName));
        Assert.Equal("2024-01-02", await ScalarAsync(path, "SELECT value FROM configuration WHERE key = 'processing.startDate';"));
        Assert.Equal(0L, await ScalarAsync(path, "SELECT COUNT(*) FROM configuration WHERE key = 'uncommitted';"));
        Assert.Equal("delete", await ScalarAsync(path, "PRAGMA journal_mode;"));

        await using (var commit = writer.CreateCommand())
        {
            commit.CommandText = "COMMIT;";
            await commit.ExecuteNonQueryAsync(Ct);
        }

        Assert.Equal(1L, await ScalarAsync(cli.Db, "SELECT COUNT(*) FROM configuration WHERE key = 'uncommitted';"));
    }

    [Fact]
    public async Task Backups_taken_while_a_worker_writes_hold_whole_transactions_and_pass_the_integrity_check()
    {
        using var cli = new CliRunner();
        await using var ledger = new SqliteLedger(cli.Db, cli.Clock);
        await ledger.MigrateAsync(Ct);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var batches = 0;
        var worker = Task.Run(async () =>
        {
            // Ten metrics per transaction: a copy holding a number of them that is not a multiple of ten saw half a transaction.
            while (!stop.IsCancellationRequested)
            {
                await ledger.RecordMetricsAsync([.. Enumerable.Range(0, 10).Select(i => new MetricRecord("spx", Day, $"m{i}", i, "n"))], CancellationToken.None);
                Interlocked.Increment(ref batches);
            }
        }, Ct);

        var counts = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            var written = Volatile.Read(ref batches);
            while (Volatile.Read(ref batches) < written + 5 && !worker.IsCompleted)
            {
                await Task.Delay(10, Ct);
            }

            cli.Clock.Now += TimeSpan.FromMinutes(1);
            var backup = await cli.RunAsync("--format", "json", "ledger", "backup");
            Assert.True(backup.ExitCode == 0, backup.ToString());
            var path = backup.Json()[0].GetProperty("path").GetString()!;
            Assert.Equal("ok", await ScalarAsync(path, "PRAGMA integrity_check;"));
            counts.Add((long)(await ScalarAsync(path, "SELECT COUNT(*) FROM performance_metrics;"))!);
        }

        await stop.CancelAsync();
        await worker;
        Assert.All(counts, c => Assert.Equal(0, c % 10));
        Assert.True(counts[0] > 0 && counts[0] < counts[1] && counts[1] < counts[2], string.Join(", ", counts));
    }

    [Fact]
    public async Task Retention_keeps_the_newest_backups_and_never_removes_a_file_it_did_not_name()
    {
        using var cli = new CliRunner();
        Assert.Equal(0, (await cli.RunAsync("config", "set", "ledger.backupKeep", "2")).ExitCode);
        var folder = Path.Combine(cli.Folder, "backups");
        Directory.CreateDirectory(folder);
        string[] foreign = ["notes.txt", "backfill-manual.db", "other-20200101T000000Z.db", "backfill-20200101T000000Z.db.bak", "backfill-20200101T000000Z.sqlite"];
        foreach (var name in foreign)
        {
            await File.WriteAllTextAsync(Path.Combine(folder, name), "not a backup of this ledger", Ct);
        }

        var made = new List<string>();
        var removed = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            cli.Clock.Now += TimeSpan.FromHours(1);
            var backup = await cli.RunAsync("--format", "json", "ledger", "backup");
            Assert.True(backup.ExitCode == 0, backup.ToString());
            made.Add(backup.Json()[0].GetProperty("path").GetString()!);
            removed.AddRange(backup.Json()[0].GetProperty("removed").GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        }

        Assert.Equal(made[..2], removed);
        Assert.Equal([.. foreign.Concat(made[2..].Select(Path.GetFileName)).Order(StringComparer.Ordinal)],
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal("backfill-20250101T030000Z.db", Path.GetFileName(made[^1]));

        // A second backup within the same second, with a flag that beats the stored value: the new one is the one kept.
        var table = await cli.RunAsync("ledger", "backup", "--set", "ledger.backupKeep=1");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("Keeping the newest 1 backup(s)", table.Out, StringComparison.Ordinal);
        Assert.Contains("removed 2 older", table.Out, StringComparison.Ordinal);
        Assert.Equal([.. foreign.Append("backfill-20250101T030000000Z.db").Order(StringComparer.Ordinal)],
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Backup_to_a_named_file_creates_its_folder_owner_only_and_never_overwrites()
    {
        using var cli = new CliRunner();
        Assert.Equal(0, (await cli.RunAsync("config", "set", "processing.startDate", "2024-01-02")).ExitCode);
        var target = Path.Combine(cli.Folder, "elsewhere", "deeper", "copy.db");

        var backup = await cli.RunAsync("ledger", "backup", "--to", target);
        Assert.True(backup.ExitCode == 0, backup.ToString());
        Assert.Equal(OwnerOnlyFile, ModeOf(target));
        Assert.Equal(OwnerOnlyFolder, ModeOf(Path.Combine(cli.Folder, "elsewhere")));
        Assert.Equal(OwnerOnlyFolder, ModeOf(Path.GetDirectoryName(target)!));
        Assert.False(Directory.Exists(Path.Combine(cli.Folder, "backups")));

        var again = await cli.RunAsync("ledger", "backup", "--to", target);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains($"--to {target} exists already", again.Error, StringComparison.Ordinal);

        var missing = await cli.RunAsync("ledger", "backup", "--db", Path.Combine(cli.Folder, "none.db"));
        Assert.Equal(3, missing.ExitCode);
        Assert.Contains("No ledger at", missing.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(cli.Folder, "none.db")));
    }

    [Fact]
    public async Task A_PostgreSQL_ledger_is_refused_with_the_pg_dump_and_pg_restore_commands_and_never_the_password()
    {
        using var cli = new CliRunner();
        const string url = "postgres://team:hunter2@db.internal:6543/backfill?schema=ledger";

        var backup = await cli.RunAsync("ledger", "backup", "--db", url);
        Assert.Equal(2, backup.ExitCode);
        Assert.Contains("pg_dump --host=db.internal --port=6543 --username=team --dbname=backfill --schema=ledger --format=custom --file=backfill-20241231T230000Z.dump",
            backup.Error, StringComparison.Ordinal);
        Assert.Contains("postgres://team:***@db.internal:6543/backfill", backup.Error, StringComparison.Ordinal);

        var restore = await cli.RunAsync("ledger", "restore", "backfill-20241231T230000Z.dump", "--yes", "--db", url);
        Assert.Equal(2, restore.ExitCode);
        Assert.Contains("pg_restore --host=db.internal --port=6543 --username=team --dbname=backfill --clean --if-exists --single-transaction backfill-20241231T230000Z.dump",
            restore.Error, StringComparison.Ordinal);
        Assert.Contains("psql --host=db.internal", restore.Error, StringComparison.Ordinal);

        Assert.All(new[] { backup, restore }, r => Assert.DoesNotContain("hunter2", r.Out + r.Error, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Restore_puts_the_backup_in_place_keeps_the_replaced_ledger_and_the_restored_ledger_works()
    {
        using var cli = new CliRunner();
        await AddSuccessAsync(cli, Day, Day.AddDays(1));
        var backup = await BackupAsync(cli);
        await AddSuccessAsync(cli, Day.AddDays(2));
        cli.Clock.Now += TimeSpan.FromHours(1);

        var restore = await cli.RunAsync("--format", "json", "ledger", "restore", backup, "--yes");

        Assert.True(restore.ExitCode == 0, restore.ToString());
        var row = restore.Json()[0];
        var replacedAs = cli.Db + ".replaced-20250101T000000Z";
        Assert.Equal((cli.Db, backup, replacedAs, "ok"), (row.GetProperty("ledger").GetString(), row.GetProperty("restored_from").GetString(),
            row.GetProperty("replaced_as").GetString(), row.GetProperty("integrity").GetString()));
        Assert.Equal(3L, await ScalarAsync(replacedAs, "SELECT COUNT(*) FROM processing_log WHERE status = 'success';"));
        Assert.Equal("ok", await ScalarAsync(replacedAs, "PRAGMA integrity_check;"));
        Assert.Equal(OwnerOnlyFile, ModeOf(cli.Db));
        Assert.Equal([Path.GetFileName(cli.Db), Path.GetFileName(replacedAs)],
            Directory.GetFiles(cli.Folder, "backfill.db*").Select(Path.GetFileName).Order(StringComparer.Ordinal));

        Assert.Equal(2L, await StatusValueAsync(cli, "units_success"));
        await AddSuccessAsync(cli, Day.AddDays(3));
        Assert.Equal(3L, await StatusValueAsync(cli, "units_success"));
    }

    [Fact]
    public async Task Restore_moves_a_stale_wal_aside_so_the_restored_ledger_never_reads_it()
    {
        using var cli = new CliRunner();
        await AddSuccessAsync(cli, Day);
        var backup = await BackupAsync(cli);
        File.Delete(cli.Db);
        var stale = new byte[4096];
        new Random(7).NextBytes(stale);
        await File.WriteAllBytesAsync(cli.Db + "-wal", stale, Ct);

        var restore = await cli.RunAsync("ledger", "restore", backup);

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains("Moved aside", restore.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(cli.Db + "-wal"));
        Assert.Equal(stale, await File.ReadAllBytesAsync(cli.Db + ".replaced-20241231T230000Z-wal", Ct));
        Assert.Equal(1L, await StatusValueAsync(cli, "units_success"));
    }

    [Fact]
    public async Task Restore_without_yes_names_the_ledger_it_would_replace_and_changes_nothing()
    {
        using var cli = new CliRunner();
        await AddSuccessAsync(cli, Day);
        var backup = await BackupAsync(cli);
        await AddSuccessAsync(cli, Day.AddDays(1));
        var before = await File.ReadAllBytesAsync(cli.Db, Ct);

        var restore = await cli.RunAsync("ledger", "restore", backup);

        Assert.Equal(2, restore.ExitCode);
        Assert.Contains($"would replace the ledger {cli.Db}", restore.Error, StringComparison.Ordinal);
        Assert.Contains("Add --yes to replace it; nothing was changed.", restore.Error, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(cli.Db, Ct));
        Assert.Equal(["backfill.db"], Directory.GetFiles(cli.Folder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Restore_refuses_a_backup_a_newer_backfill_made_naming_both_versions()
    {
        using var cli = new CliRunner();
        await AddSuccessAsync(cli, Day);
        var backup = await BackupAsync(cli);
        await ScalarAsync(backup, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from a newer backfill', 'now');");
        var before = await File.ReadAllBytesAsync(cli.Db, Ct);

        var restore = await cli.RunAsync("ledger", "restore", backup, "--yes");

        Assert.Equal(3, restore.ExitCode);
        Assert.Contains($"{backup} has ledger schema version 99; this backfill knows versions up to {LedgerSchema.LatestVersion}. Upgrade backfill",
            restore.Error, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllBytesAsync(cli.Db, Ct));
        Assert.Equal(["backfill.db"], Directory.GetFiles(cli.Folder).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Restore_refuses_files_that_are_not_a_sound_ledger()
    {
        using var cli = new CliRunner();
        await AddSuccessAsync(cli, Day);
        var text = Path.Combine(cli.Folder, "notes.txt");
        await File.WriteAllTextAsync(text, "SQLite? no.", Ct);
        var other = Path.Combine(cli.Folder, "other.db");
        await ScalarAsync(other, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");

        var notSqlite = await cli.RunAsync("ledger", "restore", text, "--yes");
        var notLedger = await cli.RunAsync("ledger", "restore", other, "--yes");
        var missing = await cli.RunAsync("ledger", "restore", Path.Combine(cli.Folder, "gone.db"), "--yes");

        Assert.Equal((2, 2, 2), (notSqlite.ExitCode, notLedger.ExitCode, missing.ExitCode));
        Assert.Contains("is not a SQLite database", notSqlite.Error, StringComparison.Ordinal);
        Assert.Contains("not a backfill ledger", notLedger.Error, StringComparison.Ordinal);
        Assert.Contains("No backup file at", missing.Error, StringComparison.Ordinal);
        Assert.Equal(1L, await StatusValueAsync(cli, "units_success"));
        Assert.Equal(["backfill.db", "notes.txt", "other.db"], Directory.GetFiles(cli.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Restore_refuses_a_ledger_another_process_has_open()
    {
        using var cli = new CliRunner();
        await AddSuccessAsync(cli, Day);
        var backup = await BackupAsync(cli);
        await AddSuccessAsync(cli, Day.AddDays(1));
        await using var other = await OpenAsync(cli.Db);
        Assert.Equal(2L, await ScalarAsync(other, "SELECT COUNT(*) FROM processing_log;"));

        var restore = await cli.RunAsync("ledger", "restore", backup, "--yes");

        Assert.Equal(3, restore.ExitCode);
        Assert.Contains($"Another process has the ledger {cli.Db} open", restore.Error, StringComparison.Ordinal);
        Assert.Contains("nothing was changed", restore.Error, StringComparison.Ordinal);
        Assert.Equal(2L, await ScalarAsync(other, "SELECT COUNT(*) FROM processing_log;"));
        Assert.False(File.Exists(cli.Db + ".replaced-20241231T230000Z"));
    }

    [Fact]
    public async Task Restore_refuses_a_ledger_in_which_a_live_worker_holds_a_unit_but_not_one_a_dead_worker_left()
    {
        using var cli = new CliRunner();
        await AddSuccessAsync(cli, Day);
        var backup = await BackupAsync(cli);
        await using (var ledger = new SqliteLedger(cli.Db, cli.Clock))
        {
            // A worker on another host with a lease that runs for an hour yet.
            Assert.NotNull(await ledger.TryClaimUnitAsync("spx", Day.AddDays(1), "other-host/4242/1700000000000/abcd1234", TimeSpan.FromHours(1), false, Ct));
        }

        var live = await cli.RunAsync("ledger", "restore", backup, "--yes");
        Assert.Equal(3, live.ExitCode);
        Assert.Contains("1 unit(s) in processing by a live worker (spx 2024-06-11 held by other-host/4242/1700000000000/abcd1234, lease until 2025-01-01 00:00:00Z)",
            live.Error, StringComparison.Ordinal);

        // A dead process of this host: its unit is recovered by the next run, as always; it does not keep a restore out.
        await using (var ledger = new SqliteLedger(cli.Db, cli.Clock))
        {
            await ledger.InterruptUnitAsync("spx", Day.AddDays(1), "other-host/4242/1700000000000/abcd1234", "test", Ct);
            Assert.NotNull(await ledger.TryClaimUnitAsync("spx", Day.AddDays(1), $"{Environment.MachineName}/{int.MaxValue}/1/deadbeef", TimeSpan.FromHours(1), false, Ct));
        }

        Assert.True(WorkerIdentity.IsDeadLocalOwner($"{Environment.MachineName}/{int.MaxValue}/1/deadbeef"));
        var dead = await cli.RunAsync("ledger", "restore", backup, "--yes");
        Assert.True(dead.ExitCode == 0, dead.ToString());
        Assert.Equal(1L, await StatusValueAsync(cli, "units_success"));
        Assert.Equal(0L, await StatusValueAsync(cli, "units_processing"));
    }

    [Theory]
    [InlineData("garbage")]
    [InlineData("truncated")]
    public async Task A_corrupted_ledger_is_named_as_such_with_restore_and_rebuild_as_the_fix(string damage)
    {
        using var cli = new CliRunner();
        await AddSuccessAsync(cli, Day, Day.AddDays(1));
        await DamageAsync(cli.Db, damage);

        foreach (var args in new[] { new[] { "status" }, ["config", "set", "processing.startDate", "2024-01-02"], ["ledger", "backup"], ["ledger", "prune", "--older-than", "1d"] })
        {
            var result = await cli.RunAsync(args);
            Assert.True(result.ExitCode == 3, $"{string.Join(' ', args)}: {result}");
            Assert.Contains($"The ledger {cli.Db} is corrupted (", result.Error, StringComparison.Ordinal);
            Assert.Contains("'backfill ledger restore FILE --yes'", result.Error, StringComparison.Ordinal);
            Assert.Contains("'backfill ledger rebuild'", result.Error, StringComparison.Ordinal);
            Assert.DoesNotContain("permissions", result.Error, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_damaged_table_found_after_the_ledger_opened_gets_the_same_message()
    {
        using var cli = new CliRunner();
        await AddSuccessAsync(cli, Day, Day.AddDays(1));
        var root = (long)(await ScalarAsync(cli.Db, "SELECT rootpage FROM sqlite_master WHERE name = 'processing_log';"))!;
        var pageSize = (long)(await ScalarAsync(cli.Db, "PRAGMA page_size;"))!;
        SqliteConnection.ClearAllPools();
        await using (var file = new FileStream(cli.Db, FileMode.Open, FileAccess.Write))
        {
            // The ledger opens and migrates (other pages), and the units table's page is garbage.
            file.Position = (root - 1) * pageSize;
            var garbage = new byte[pageSize];
            new Random(3).NextBytes(garbage);
            await file.WriteAsync(garbage, Ct);
        }

        foreach (var args in new[] { new[] { "status" }, ["ledger", "backup"] })
        {
            var result = await cli.RunAsync(args);
            Assert.True(result.ExitCode == 3, $"{string.Join(' ', args)}: {result}");
            Assert.Contains($"The ledger {cli.Db} is corrupted (", result.Error, StringComparison.Ordinal);
            Assert.Contains("'backfill ledger restore FILE --yes'", result.Error, StringComparison.Ordinal);
            Assert.Contains("'backfill ledger rebuild'", result.Error, StringComparison.Ordinal);
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(cli.Folder, "backups")));
    }

    [Fact]
    public async Task A_corrupted_ledger_is_replaced_by_restore_and_kept_beside_it()
    {
        using var cli = new CliRunner();
        await AddSuccessAsync(cli, Day);
        var backup = await BackupAsync(cli);
        await DamageAsync(cli.Db, "garbage");
        var damaged = await File.ReadAllBytesAsync(cli.Db, Ct);

        var restore = await cli.RunAsync("ledger", "restore", backup, "--yes");

        Assert.True(restore.ExitCode == 0, restore.ToString());
        Assert.Contains("(it was corrupted)", restore.Out, StringComparison.Ordinal);
        Assert.Equal(damaged, await File.ReadAllBytesAsync(cli.Db + ".replaced-20241231T230000Z", Ct));
        Assert.Equal(1L, await StatusValueAsync(cli, "units_success"));
    }

    [Fact]
    public async Task Prune_removes_old_history_only_and_a_dry_run_removes_nothing_on_SQLite() => await PruneScenarioAsync(null);

    [Fact]
    public async Task Prune_removes_old_history_only_and_a_dry_run_removes_nothing_on_PostgreSQL()
    {
        var server = Environment.GetEnvironmentVariable("BACKFILL_TEST_PG_URL");
        if (string.IsNullOrWhiteSpace(server))
        {
            Assert.Skip("PostgreSQL not reachable: set BACKFILL_TEST_PG_URL (postgres://user:password@127.0.0.1:5432/db) or run .ci/run, which starts one.");
        }

        var schema = "prune_" + Guid.NewGuid().ToString("N")[..12];
        var url = server + (server.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "schema=" + schema;
        try
        {
            await PruneScenarioAsync(url);
        }
        finally
        {
            await using var connection = new Npgsql.NpgsqlConnection(PostgresUrl.Parse(server).ConnectionString);
            await connection.OpenAsync(CancellationToken.None);
            await using var drop = new Npgsql.NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE;", connection);
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        }
    }

    [Theory]
    [InlineData("180")]
    [InlineData("0d")]
    [InlineData("-5d")]
    [InlineData("1.5d")]
    [InlineData("6w")]
    [InlineData("99999999d")]
    [InlineData("١٨٠d")]
    public async Task Prune_refuses_an_age_that_is_not_a_positive_number_of_days_or_hours(string age)
    {
        using var cli = new CliRunner();
        Assert.Equal(0, (await cli.RunAsync("config", "set", "processing.startDate", "2024-01-02")).ExitCode);

        var result = await cli.RunAsync("ledger", "prune", $"--older-than={age}");

        Assert.Equal(2, result.ExitCode);
        Assert.Contains($"--older-than '{age}' is not an age", result.Error, StringComparison.Ordinal);
        Assert.Contains("e.g. 180d or 12h", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("180d", 180 * 24)]
    [InlineData(" 12H ", 12)]
    [InlineData("1d", 24)]
    public void Ages_are_days_or_hours(string text, int hours) =>
        Assert.Equal(TimeSpan.FromHours(hours), Commands.LedgerCommands.ParseAge(text));

    private static async Task PruneScenarioAsync(string? url)
    {
        using var cli = new CliRunner();
        string[] db = url is null ? [] : ["--db", url];
        var old = cli.Clock.Now - TimeSpan.FromDays(200);
        await using (var ledger = LedgerFactory.Create(url ?? cli.Db, new FixedClock(old)))
        {
            await ledger.MigrateAsync(Ct);
            await ledger.TryClaimUnitAsync("spx", Day, "w1", TimeSpan.FromMinutes(5), false, Ct);
            await ledger.FailUnitAsync("spx", Day, "w1", "Unknown", "old", Ct);
            await ledger.RecordErrorAsync(new ErrorRecord { Dataset = "spx", TradeDate = Day, ErrorType = "RateLimited", Message = "old" }, Ct);
            await ledger.RecordMetricsAsync([new MetricRecord("spx", Day, "rows", 1, "rows"), new MetricRecord("spx", Day, "bytes", 1, "B")], Ct);
        }

        await using (var ledger = LedgerFactory.Create(url ?? cli.Db, cli.Clock))
        {
            await ledger.TryClaimUnitAsync("spx", Day, "w2", TimeSpan.FromMinutes(5), false, Ct);
            await ledger.CompleteUnitAsync("spx", Day, "w2", new UnitSuccess { FilePath = "f", FileSize = 1, FileSha256 = "x", RowCount = 1 }, Ct);
            await ledger.RecordErrorAsync(new ErrorRecord { Dataset = "spx", TradeDate = Day, ErrorType = "RateLimited", Message = "new" }, Ct);
        }

        var dryRun = await cli.RunAsync(["--format", "json", "ledger", "prune", "--older-than", "180d", "--dry-run", .. db]);
        Assert.True(dryRun.ExitCode == 0, dryRun.ToString());
        Assert.Equal([("attempt_log", 1L), ("error_log", 1L), ("performance_metrics", 2L)], Counts(dryRun.Json(), "would_remove"));
        Assert.Equal(2, (await ErrorsAsync(cli, db)).Count);

        var prune = await cli.RunAsync(["ledger", "prune", "--older-than", "180d", .. db]);
        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.Contains("4 row(s) removed", prune.Out, StringComparison.Ordinal);
        Assert.Contains("2024-07-04T23:00:00Z", prune.Out, StringComparison.Ordinal);
        Assert.Equal(["new"], (await ErrorsAsync(cli, db)).Select(e => e.Message));
        await using (var ledger = LedgerFactory.Create(url ?? cli.Db, cli.Clock))
        {
            var unit = await ledger.GetUnitAsync("spx", Day, Ct);
            Assert.Equal((UnitStatus.Success, 2), (unit!.Status, unit.AttemptCount));
            Assert.Empty(await ledger.ListMetricsAsync("spx", null, Ct));
        }

        var again = await cli.RunAsync(["--format", "csv", "ledger", "prune", "--older-than", "180d", .. db]);
        Assert.Equal("table,column,before,removed\nattempt_log,ended_at,2024-07-04T23:00:00Z,0\nerror_log,occurred_at,2024-07-04T23:00:00Z,0\n" +
            "performance_metrics,recorded_at,2024-07-04T23:00:00Z,0\n", again.Out);
    }

    private static async Task<IReadOnlyList<ErrorRecord>> ErrorsAsync(CliRunner cli, string[] db)
    {
        await using var ledger = LedgerFactory.Create(db.Length > 0 ? db[1] : cli.Db, cli.Clock);
        return await ledger.ListErrorsAsync("spx", null, 10, Ct);
    }

    private static List<(string, long)> Counts(JsonElement rows, string column) =>
        [.. rows.EnumerateArray().Select(r => (r.GetProperty("table").GetString()!, r.GetProperty(column).GetInt64()))];

    private static UnixFileMode ModeOf(string path) =>
        OperatingSystem.IsWindows() ? throw new PlatformNotSupportedException("file modes are Unix only") : File.GetUnixFileMode(path);

    private const UnixFileMode OwnerOnlyFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private const UnixFileMode OwnerOnlyFolder = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private static async Task AddSuccessAsync(CliRunner cli, params DateOnly[] dates)
    {
        await using var ledger = new SqliteLedger(cli.Db, cli.Clock);
        await ledger.MigrateAsync(Ct);
        foreach (var date in dates)
        {
            Assert.NotNull(await ledger.TryClaimUnitAsync("spx", date, "w", TimeSpan.FromMinutes(5), false, Ct));
            await ledger.CompleteUnitAsync("spx", date, "w", new UnitSuccess { FilePath = $"f-{date}", FileSize = 1, FileSha256 = "x", RowCount = 1 }, Ct);
        }
    }

    private static async Task<string> BackupAsync(CliRunner cli)
    {
        var backup = await cli.RunAsync("--format", "json", "ledger", "backup");
        Assert.True(backup.ExitCode == 0, backup.ToString());
        return backup.Json()[0].GetProperty("path").GetString()!;
    }

    private static async Task<long> StatusValueAsync(CliRunner cli, string metric)
    {
        var status = await cli.RunAsync("--format", "json", "status");
        Assert.True(status.ExitCode == 0, status.ToString());
        return status.Json().EnumerateArray().Single(r => r.GetProperty("metric").GetString() == metric).GetProperty("value").GetInt64();
    }

    /// <summary>Garbage over the whole file, or the file cut after its first two pages (the schema survives, the tables do not).</summary>
    private static async Task DamageAsync(string path, string damage)
    {
        SqliteConnection.ClearAllPools();
        if (damage == "garbage")
        {
            var bytes = new byte[new FileInfo(path).Length];
            new Random(11).NextBytes(bytes);
            await File.WriteAllBytesAsync(path, bytes, Ct);
        }
        else
        {
            await using var file = new FileStream(path, FileMode.Open, FileAccess.Write);
            file.SetLength(2 * 4096);
        }
    }

    private static async Task<SqliteConnection> OpenAsync(string path)
    {
        var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync(Ct);
        return connection;
    }

    private static async Task<object?> ScalarAsync(string path, string sql)
    {
        await using var connection = await OpenAsync(path);
        return await ScalarAsync(connection, sql);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(Ct);
    }
}
