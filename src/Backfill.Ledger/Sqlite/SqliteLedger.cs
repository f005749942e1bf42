using System.Data.Common;
using Backfill.Ledger.Model;
using Microsoft.Data.Sqlite;

namespace Backfill.Ledger.Sqlite;

/// <summary>
/// The ledger in one SQLite file, in WAL mode so readers never block the writer. Every write runs in a
/// <c>BEGIN IMMEDIATE</c> transaction (the default of Microsoft.Data.Sqlite) with a busy timeout, so two
/// processes on the same file queue instead of failing or corrupting each other; a unit is claimed with a
/// lease, so two processes never work on the same date at once.
/// </summary>
public sealed class SqliteLedger : ILedger
{
    private const string UnitColumns = """
        dataset, trade_date, status, attempt_count, owner, lease_expires_at, started_at, completed_at, duration_ms,
        file_path, file_size, file_sha256, content_sha256, row_count, subunits_total, subunits_done, api_requests,
        peak_memory_bytes, quality_score, duplicates_dropped, last_error_type, last_error_message, updated_at
        """;

    private readonly string _connectionString;
    private readonly TimeProvider _time;

    /// <param name="path">The database file; its directory is created (0700) when missing.</param>
    /// <param name="time">Clock for leases and timestamps (tests pass a fake one).</param>
    public SqliteLedger(string path, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        FullPath = Path.GetFullPath(path);
        _time = time ?? TimeProvider.System;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = FullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 60,
        }.ToString();
    }

    public string FullPath { get; }

    public string Description => $"SQLite {FullPath}";

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(FullPath);
        if (!string.IsNullOrEmpty(directory) && !Directory.Exists(directory))
        {
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(directory);
            }
            else
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using (var wal = Db.Command(connection, null, "PRAGMA journal_mode=WAL;"))
        {
            await wal.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var create = Db.Command(connection, tx, """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    INTEGER PRIMARY KEY,
                name       TEXT NOT NULL,
                applied_at TEXT NOT NULL
            );
            """))
        {
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var current = await ScalarLongAsync(connection, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", cancellationToken);
        foreach (var (version, name, sql) in SqliteMigrations.All)
        {
            if (version <= current)
            {
                continue;
            }

            await using (var migrate = Db.Command(connection, tx, sql))
            {
                await migrate.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var record = Db.Command(connection, tx,
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t);",
                ("@v", version), ("@n", name), ("@t", Now()));
            await record.ExecuteNonQueryAsync(cancellationToken);
        }

        CrashPoint.Reach("ledger.migrate");
        await tx.CommitAsync(cancellationToken);
        RestrictFilePermissions();
    }

    public async Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return (int)await ScalarLongAsync(connection, null, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", cancellationToken);
    }

    public async Task<UnitClaim?> TryClaimUnitAsync(
        string dataset, DateOnly date, string owner, TimeSpan lease, bool allowSuccessful, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var existing = await ReadUnitAsync(connection, tx, dataset, date, cancellationToken);
        if (existing is not null)
        {
            var leaseLive = existing.Status == UnitStatus.Processing && existing.LeaseExpiresAt > now && existing.Owner != owner;
            if (leaseLive || (existing.Status == UnitStatus.Success && !allowSuccessful))
            {
                return null;
            }
        }

        var attempt = (existing?.AttemptCount ?? 0) + 1;
        var previous = existing?.Status ?? UnitStatus.Queued;
        var resumed = previous is UnitStatus.Processing or UnitStatus.Interrupted;
        await using (var upsert = Db.Command(connection, tx, """
            INSERT INTO processing_log (dataset, trade_date, status, attempt_count, owner, lease_expires_at, started_at, updated_at)
            VALUES (@d, @date, 'processing', @attempt, @owner, @lease, @now, @now)
            ON CONFLICT (dataset, trade_date) DO UPDATE SET
                status = 'processing', attempt_count = @attempt, owner = @owner, lease_expires_at = @lease,
                started_at = @now, completed_at = NULL, duration_ms = NULL, updated_at = @now;
            """,
            ("@d", dataset), ("@date", Db.Date(date)), ("@attempt", attempt), ("@owner", owner),
            ("@lease", Db.Time(now + lease)), ("@now", Db.Time(now))))
        {
            await upsert.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var log = Db.Command(connection, tx, """
            INSERT INTO attempt_log (dataset, trade_date, attempt, owner, started_at) VALUES (@d, @date, @attempt, @owner, @now);
            """, ("@d", dataset), ("@date", Db.Date(date)), ("@attempt", attempt), ("@owner", owner), ("@now", Db.Time(now))))
        {
            await log.ExecuteNonQueryAsync(cancellationToken);
        }

        CrashPoint.Reach("ledger.claim");
        await tx.CommitAsync(cancellationToken);
        return new UnitClaim(dataset, date, owner, attempt, resumed, previous);
    }

    public async Task<int> RenewLeaseAsync(string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        return await ExecuteAsync("ledger.renew", """
            UPDATE processing_log SET lease_expires_at = @lease, updated_at = @now
            WHERE owner = @owner AND status = 'processing';
            """, cancellationToken, ("@lease", Db.Time(now + lease)), ("@now", Db.Time(now)), ("@owner", owner));
    }

    public async Task UpdateProgressAsync(string dataset, DateOnly date, string owner, int subUnitsTotal, int subUnitsDone, long apiRequests, CancellationToken cancellationToken)
    {
        await ExecuteAsync("ledger.progress", """
            UPDATE processing_log SET subunits_total = @total, subunits_done = @done, api_requests = @requests, updated_at = @now
            WHERE dataset = @d AND trade_date = @date AND owner = @owner;
            """, cancellationToken, ("@total", subUnitsTotal), ("@done", subUnitsDone), ("@requests", apiRequests),
            ("@now", Now()), ("@d", dataset), ("@date", Db.Date(date)), ("@owner", owner));
    }

    public async Task CompleteUnitAsync(string dataset, DateOnly date, string owner, UnitSuccess success, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(success);
        var now = Now();
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var update = Db.Command(connection, tx, """
            UPDATE processing_log SET status = 'success', owner = NULL, lease_expires_at = NULL, completed_at = @now,
                duration_ms = @duration, file_path = @path, file_size = @size, file_sha256 = @sha, content_sha256 = @content,
                row_count = @rows, subunits_total = @subunits, subunits_done = @subunits, api_requests = @requests,
                peak_memory_bytes = @memory, quality_score = @quality, duplicates_dropped = @dups,
                last_error_type = NULL, last_error_message = NULL, updated_at = @now
            WHERE dataset = @d AND trade_date = @date AND owner = @owner;
            """,
            ("@now", now), ("@duration", success.DurationMs), ("@path", success.FilePath), ("@size", success.FileSize),
            ("@sha", success.FileSha256), ("@content", success.ContentSha256), ("@rows", success.RowCount),
            ("@subunits", success.SubUnitsTotal), ("@requests", success.ApiRequests), ("@memory", success.PeakMemoryBytes),
            ("@quality", success.QualityScore), ("@dups", success.DuplicatesDropped),
            ("@d", dataset), ("@date", Db.Date(date)), ("@owner", owner)))
        {
            if (await update.ExecuteNonQueryAsync(cancellationToken) != 1)
            {
                throw new InvalidOperationException(
                    $"Unit {dataset} {Db.Date(date)} is not held by {owner}: its lease expired and another worker took it over.");
            }
        }

        await EndAttemptAsync(connection, tx, dataset, date, owner, "success", null, now, cancellationToken);
        await using (var clear = Db.Command(connection, tx, "DELETE FROM subunit_progress WHERE dataset = @d AND trade_date = @date;",
            ("@d", dataset), ("@date", Db.Date(date))))
        {
            await clear.ExecuteNonQueryAsync(cancellationToken);
        }

        CrashPoint.Reach("ledger.complete");
        await tx.CommitAsync(cancellationToken);
    }

    public Task FailUnitAsync(string dataset, DateOnly date, string owner, string errorType, string message, CancellationToken cancellationToken) =>
        EndUnitAsync(dataset, date, owner, UnitStatus.Failed, errorType, message, cancellationToken);

    public Task InterruptUnitAsync(string dataset, DateOnly date, string owner, string reason, CancellationToken cancellationToken) =>
        EndUnitAsync(dataset, date, owner, UnitStatus.Interrupted, "Interrupted", reason, cancellationToken);

    public async Task<IReadOnlyList<DateOnly>> RecoverExpiredAsync(string dataset, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var dates = new List<DateOnly>();
        await using (var select = Db.Command(connection, tx, """
            SELECT trade_date FROM processing_log
            WHERE dataset = @d AND status = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= @now)
            ORDER BY trade_date;
            """, ("@d", dataset), ("@now", now)))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                dates.Add(Db.ReadDate(reader, 0));
            }
        }

        foreach (var date in dates)
        {
            await using var update = Db.Command(connection, tx, """
                UPDATE processing_log SET status = 'interrupted', owner = NULL, lease_expires_at = NULL,
                    last_error_type = 'Interrupted', last_error_message = 'the worker stopped without finishing (crash or kill); resumable',
                    updated_at = @now
                WHERE dataset = @d AND trade_date = @date;
                UPDATE attempt_log SET ended_at = @now, outcome = 'interrupted', message = 'lease expired'
                WHERE dataset = @d AND trade_date = @date AND ended_at IS NULL;
                """, ("@now", now), ("@d", dataset), ("@date", Db.Date(date)));
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        CrashPoint.Reach("ledger.recover");
        await tx.CommitAsync(cancellationToken);
        return dates;
    }

    public async Task ResetUnitAsync(string dataset, DateOnly date, CancellationToken cancellationToken)
    {
        await ExecuteAsync("ledger.reset", """
            UPDATE processing_log SET file_path = NULL, file_size = NULL, file_sha256 = NULL, content_sha256 = NULL,
                row_count = NULL, subunits_done = 0, status = CASE WHEN status = 'processing' THEN status ELSE 'queued' END,
                updated_at = @now
            WHERE dataset = @d AND trade_date = @date;
            DELETE FROM subunit_progress WHERE dataset = @d AND trade_date = @date;
            """, cancellationToken, ("@now", Now()), ("@d", dataset), ("@date", Db.Date(date)));
    }

    public async Task<UnitRecord?> GetUnitAsync(string dataset, DateOnly date, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await ReadUnitAsync(connection, null, dataset, date, cancellationToken);
    }

    public async Task<IReadOnlyList<UnitRecord>> ListUnitsAsync(string dataset, DateOnly? from, DateOnly? to, UnitStatus? status, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Db.Command(connection, null, $"""
            SELECT {UnitColumns} FROM processing_log
            WHERE dataset = @d AND (@from IS NULL OR trade_date >= @from) AND (@to IS NULL OR trade_date <= @to)
              AND (@status IS NULL OR status = @status)
            ORDER BY trade_date;
            """, ("@d", dataset), ("@from", Db.Date(from)), ("@to", Db.Date(to)), ("@status", status?.ToDb()));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var units = new List<UnitRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            units.Add(ReadUnit(reader));
        }

        return units;
    }

    public async Task<LedgerSummary> GetSummaryAsync(string dataset, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var counts = Enum.GetValues<UnitStatus>().ToDictionary(s => s, _ => 0);
        await using (var command = Db.Command(connection, null,
            "SELECT status, COUNT(*) FROM processing_log WHERE dataset = @d GROUP BY status;", ("@d", dataset)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                counts[UnitStatusNames.FromDb(reader.GetString(0))] = reader.GetInt32(1);
            }
        }

        DateOnly? first = null, last = null;
        long rows = 0, bytes = 0;
        DateTimeOffset? lastActivity = null;
        await using (var command = Db.Command(connection, null, """
            SELECT MIN(CASE WHEN status = 'success' THEN trade_date END), MAX(CASE WHEN status = 'success' THEN trade_date END),
                   COALESCE(SUM(CASE WHEN status = 'success' THEN row_count END), 0),
                   COALESCE(SUM(CASE WHEN status = 'success' THEN file_size END), 0), MAX(updated_at)
            FROM processing_log WHERE dataset = @d;
            """, ("@d", dataset)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                first = Db.ReadNullableDate(reader, 0);
                last = Db.ReadNullableDate(reader, 1);
                rows = reader.GetInt64(2);
                bytes = reader.GetInt64(3);
                lastActivity = Db.ReadNullableTime(reader, 4);
            }
        }

        var since = Db.Time(_time.GetUtcNow().AddHours(-24));
        var errors = (int)await ScalarLongAsync(connection, null,
            "SELECT COUNT(*) FROM error_log WHERE dataset = @d AND occurred_at >= @since;", cancellationToken, ("@d", dataset), ("@since", since));
        return new LedgerSummary(dataset, counts, first, last, rows, bytes, lastActivity, errors);
    }

    public async Task MarkSubUnitCompleteAsync(string dataset, DateOnly date, string subUnit, long rows, CancellationToken cancellationToken)
    {
        await ExecuteAsync("ledger.subunit", """
            INSERT INTO subunit_progress (dataset, trade_date, subunit, rows, completed_at) VALUES (@d, @date, @s, @rows, @now)
            ON CONFLICT (dataset, trade_date, subunit) DO UPDATE SET rows = @rows, completed_at = @now;
            """, cancellationToken, ("@d", dataset), ("@date", Db.Date(date)), ("@s", subUnit), ("@rows", rows), ("@now", Now()));
    }

    public async Task<IReadOnlyList<SubUnitRecord>> GetCompletedSubUnitsAsync(string dataset, DateOnly date, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Db.Command(connection, null, """
            SELECT subunit, rows, completed_at FROM subunit_progress WHERE dataset = @d AND trade_date = @date ORDER BY subunit;
            """, ("@d", dataset), ("@date", Db.Date(date)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<SubUnitRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new SubUnitRecord(dataset, date, reader.GetString(0), reader.GetInt64(1), Db.ReadTime(reader, 2)));
        }

        return list;
    }

    public async Task RecordErrorAsync(ErrorRecord error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(error);
        var at = error.OccurredAt == default ? _time.GetUtcNow() : error.OccurredAt;
        await ExecuteAsync("ledger.error", """
            INSERT INTO error_log (dataset, trade_date, subunit, error_type, message, attempt, status_code, will_retry, occurred_at)
            VALUES (@d, @date, @s, @type, @message, @attempt, @status, @retry, @at);
            """, cancellationToken, ("@d", error.Dataset), ("@date", Db.Date(error.TradeDate)), ("@s", error.SubUnit),
            ("@type", error.ErrorType), ("@message", Truncate(error.Message, 4000)), ("@attempt", error.Attempt),
            ("@status", error.StatusCode), ("@retry", error.WillRetry ? 1 : 0), ("@at", Db.Time(at)));
    }

    public async Task<IReadOnlyList<ErrorRecord>> ListErrorsAsync(string dataset, DateOnly? date, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Db.Command(connection, null, """
            SELECT id, trade_date, subunit, error_type, message, attempt, status_code, will_retry, occurred_at
            FROM error_log WHERE dataset = @d AND (@date IS NULL OR trade_date = @date)
            ORDER BY id DESC LIMIT @limit;
            """, ("@d", dataset), ("@date", Db.Date(date)), ("@limit", limit));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<ErrorRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new ErrorRecord
            {
                Id = reader.GetInt64(0),
                Dataset = dataset,
                TradeDate = Db.ReadNullableDate(reader, 1),
                SubUnit = Db.ReadNullableString(reader, 2),
                ErrorType = reader.GetString(3),
                Message = reader.GetString(4),
                Attempt = reader.GetInt32(5),
                StatusCode = reader.IsDBNull(6) ? null : reader.GetInt32(6),
                WillRetry = reader.GetInt32(7) != 0,
                OccurredAt = Db.ReadTime(reader, 8),
            });
        }

        return list;
    }

    public async Task RecordMetricsAsync(IReadOnlyList<MetricRecord> metrics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (metrics.Count == 0)
        {
            return;
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var m in metrics)
        {
            var at = m.RecordedAt == default ? _time.GetUtcNow() : m.RecordedAt;
            await using var insert = Db.Command(connection, tx, """
                INSERT INTO performance_metrics (dataset, trade_date, metric, value, unit, recorded_at) VALUES (@d, @date, @m, @v, @u, @at);
                """, ("@d", m.Dataset), ("@date", Db.Date(m.TradeDate)), ("@m", m.Name), ("@v", m.Value), ("@u", m.Unit), ("@at", Db.Time(at)));
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        CrashPoint.Reach("ledger.metrics");
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<MetricRecord>> ListMetricsAsync(string dataset, DateOnly? date, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Db.Command(connection, null, """
            SELECT trade_date, metric, value, unit, recorded_at FROM performance_metrics
            WHERE dataset = @d AND (@date IS NULL OR trade_date = @date) ORDER BY id;
            """, ("@d", dataset), ("@date", Db.Date(date)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<MetricRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new MetricRecord(dataset, Db.ReadNullableDate(reader, 0), reader.GetString(1), reader.GetDouble(2), reader.GetString(3))
            {
                RecordedAt = Db.ReadTime(reader, 4),
            });
        }

        return list;
    }

    public async Task<ConfigEntry?> GetConfigAsync(string dataset, string key, CancellationToken cancellationToken)
    {
        var all = await ReadConfigAsync(dataset, key, cancellationToken);
        return all.Count == 0 ? null : all[0];
    }

    public Task<IReadOnlyList<ConfigEntry>> ListConfigAsync(string dataset, CancellationToken cancellationToken) =>
        ReadConfigAsync(dataset, null, cancellationToken);

    public async Task SetConfigAsync(string dataset, string key, string? value, string changedBy, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        string? old = null;
        var version = 0;
        await using (var select = Db.Command(connection, tx,
            "SELECT value, version FROM configuration WHERE dataset = @d AND key = @k;", ("@d", dataset), ("@k", key)))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                old = reader.GetString(0);
                version = reader.GetInt32(1);
            }
        }

        if (old == value)
        {
            return;
        }

        if (version == 0)
        {
            version = (int)await ScalarLongAsync(connection, tx,
                "SELECT COALESCE(MAX(version), 0) FROM configuration_history WHERE dataset = @d AND key = @k;",
                cancellationToken, ("@d", dataset), ("@k", key));
        }

        var next = version + 1;
        var sql = value is null
            ? "DELETE FROM configuration WHERE dataset = @d AND key = @k;"
            : """
              INSERT INTO configuration (dataset, key, value, version, updated_at, updated_by) VALUES (@d, @k, @v, @version, @now, @by)
              ON CONFLICT (dataset, key) DO UPDATE SET value = @v, version = @version, updated_at = @now, updated_by = @by;
              """;
        await using (var write = Db.Command(connection, tx, sql,
            ("@d", dataset), ("@k", key), ("@v", value), ("@version", next), ("@now", now), ("@by", changedBy)))
        {
            await write.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var history = Db.Command(connection, tx, """
            INSERT INTO configuration_history (dataset, key, old_value, new_value, version, changed_at, changed_by)
            VALUES (@d, @k, @old, @v, @version, @now, @by);
            """, ("@d", dataset), ("@k", key), ("@old", old), ("@v", value), ("@version", next), ("@now", now), ("@by", changedBy)))
        {
            await history.ExecuteNonQueryAsync(cancellationToken);
        }

        CrashPoint.Reach("ledger.config");
        await tx.CommitAsync(cancellationToken);
    }

    public async Task<IReadOnlyList<ConfigChange>> GetConfigHistoryAsync(string dataset, string? key, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Db.Command(connection, null, """
            SELECT key, old_value, new_value, changed_at, changed_by, version FROM configuration_history
            WHERE dataset = @d AND (@k IS NULL OR key = @k) ORDER BY id;
            """, ("@d", dataset), ("@k", key));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<ConfigChange>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new ConfigChange(dataset, reader.GetString(0), Db.ReadNullableString(reader, 1), Db.ReadNullableString(reader, 2),
                Db.ReadTime(reader, 3), reader.GetString(4), reader.GetInt32(5)));
        }

        return list;
    }

    public async Task<bool> TryTakeRequestAsync(string source, DateOnly day, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return limit > 0 && await ExecuteAsync("ledger.budget", """
            INSERT INTO request_budget (source, budget_day, requests, updated_at) VALUES (@s, @day, 1, @now)
            ON CONFLICT (source, budget_day) DO UPDATE SET requests = requests + 1, updated_at = @now WHERE requests < @limit;
            """, cancellationToken, ("@s", source), ("@day", Db.Date(day)), ("@now", Now()), ("@limit", limit)) == 1;
    }

    public async Task<int> GetRequestCountAsync(string source, DateOnly day, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return (int)await ScalarLongAsync(connection, null, "SELECT requests FROM request_budget WHERE source = @s AND budget_day = @day;",
            cancellationToken, ("@s", source), ("@day", Db.Date(day)));
    }

    public async Task<string> CheckIntegrityAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Db.Command(connection, null, "PRAGMA integrity_check;");
        return (string)(await command.ExecuteScalarAsync(cancellationToken) ?? "no answer");
    }

    public ValueTask DisposeAsync()
    {
        // Pooled connections keep the file open (and the WAL un-checkpointed) until cleared.
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];

    private static UnitRecord ReadUnit(DbDataReader r) => new()
    {
        Dataset = r.GetString(0),
        TradeDate = Db.ReadDate(r, 1),
        Status = UnitStatusNames.FromDb(r.GetString(2)),
        AttemptCount = r.GetInt32(3),
        Owner = Db.ReadNullableString(r, 4),
        LeaseExpiresAt = Db.ReadNullableTime(r, 5),
        StartedAt = Db.ReadNullableTime(r, 6),
        CompletedAt = Db.ReadNullableTime(r, 7),
        DurationMs = Db.ReadNullableLong(r, 8),
        FilePath = Db.ReadNullableString(r, 9),
        FileSize = Db.ReadNullableLong(r, 10),
        FileSha256 = Db.ReadNullableString(r, 11),
        ContentSha256 = Db.ReadNullableString(r, 12),
        RowCount = Db.ReadNullableLong(r, 13),
        SubUnitsTotal = (int?)Db.ReadNullableLong(r, 14),
        SubUnitsDone = (int?)Db.ReadNullableLong(r, 15),
        ApiRequests = Db.ReadNullableLong(r, 16),
        PeakMemoryBytes = Db.ReadNullableLong(r, 17),
        QualityScore = Db.ReadNullableDouble(r, 18),
        DuplicatesDropped = Db.ReadNullableLong(r, 19),
        LastErrorType = Db.ReadNullableString(r, 20),
        LastErrorMessage = Db.ReadNullableString(r, 21),
        UpdatedAt = Db.ReadTime(r, 22),
    };

    private static async Task<UnitRecord?> ReadUnitAsync(SqliteConnection connection, DbTransaction? tx, string dataset, DateOnly date, CancellationToken cancellationToken)
    {
        await using var command = Db.Command(connection, tx, $"SELECT {UnitColumns} FROM processing_log WHERE dataset = @d AND trade_date = @date;",
            ("@d", dataset), ("@date", Db.Date(date)));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadUnit(reader) : null;
    }

    private static async Task<long> ScalarLongAsync(SqliteConnection connection, DbTransaction? tx, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = Db.Command(connection, tx, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is null or DBNull ? 0 : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static async Task EndAttemptAsync(SqliteConnection connection, DbTransaction tx, string dataset, DateOnly date, string owner, string outcome, string? message, string now, CancellationToken cancellationToken)
    {
        await using var command = Db.Command(connection, tx, """
            UPDATE attempt_log SET ended_at = @now, outcome = @outcome, message = @message
            WHERE dataset = @d AND trade_date = @date AND owner = @owner AND ended_at IS NULL;
            """, ("@now", now), ("@outcome", outcome), ("@message", message), ("@d", dataset), ("@date", Db.Date(date)), ("@owner", owner));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task EndUnitAsync(string dataset, DateOnly date, string owner, UnitStatus status, string errorType, string message, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var update = Db.Command(connection, tx, """
            UPDATE processing_log SET status = @status, owner = NULL, lease_expires_at = NULL, completed_at = @now,
                duration_ms = CAST((julianday(@now) - julianday(started_at)) * 86400000 AS INTEGER),
                last_error_type = @type, last_error_message = @message, updated_at = @now
            WHERE dataset = @d AND trade_date = @date AND owner = @owner;
            """, ("@status", status.ToDb()), ("@now", now), ("@type", errorType), ("@message", Truncate(message, 4000)),
            ("@d", dataset), ("@date", Db.Date(date)), ("@owner", owner)))
        {
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await EndAttemptAsync(connection, tx, dataset, date, owner, status.ToDb(), Truncate(message, 4000), now, cancellationToken);
        CrashPoint.Reach("ledger.end");
        await tx.CommitAsync(cancellationToken);
    }

    private async Task<IReadOnlyList<ConfigEntry>> ReadConfigAsync(string dataset, string? key, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Db.Command(connection, null, """
            SELECT key, value, updated_at, updated_by, version FROM configuration
            WHERE dataset = @d AND (@k IS NULL OR key = @k) ORDER BY key;
            """, ("@d", dataset), ("@k", key));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<ConfigEntry>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new ConfigEntry(dataset, reader.GetString(0), reader.GetString(1), Db.ReadTime(reader, 2), reader.GetString(3), reader.GetInt32(4)));
        }

        return list;
    }

    /// <param name="point">The <see cref="CrashPoint"/> of this write, reached before the commit.</param>
    private async Task<int> ExecuteAsync(string point, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using var command = Db.Command(connection, tx, sql, parameters);
        var n = await command.ExecuteNonQueryAsync(cancellationToken);
        CrashPoint.Reach(point);
        await tx.CommitAsync(cancellationToken);
        return n;
    }

    private string Now() => Db.Time(_time.GetUtcNow());

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var pragmas = Db.Command(connection, null, "PRAGMA busy_timeout=60000; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;");
            await pragmas.ExecuteNonQueryAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private void RestrictFilePermissions()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        foreach (var file in new[] { FullPath, FullPath + "-wal", FullPath + "-shm" })
        {
            if (File.Exists(file))
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
    }
}
