using Backfill.Ledger.Model;
using Npgsql;

namespace Backfill.Ledger.Postgres;

/// <summary>
/// The ledger in a shared PostgreSQL database, for several workers on several machines. Same tables, semantics
/// and migration versions as <see cref="Sqlite.SqliteLedger"/>. A claim locks the unit's row with
/// <c>FOR UPDATE SKIP LOCKED</c>, so workers never wait on one another: a row another worker is claiming right now
/// is simply not available. Leases (renewed by a heartbeat) decide who owns a unit; an expired lease lets another
/// worker take the unit over and resume it. Times come from the injected clock, as in SQLite, so tests can move it.
/// </summary>
public sealed class PostgresLedger : ILedger
{
    private const string UnitColumns = """
        dataset, trade_date, status, attempt_count, owner, lease_expires_at, started_at, completed_at, duration_ms,
        file_path, file_size, file_sha256, content_sha256, row_count, subunits_total, subunits_done, api_requests,
        peak_memory_bytes, quality_score, duplicates_dropped, last_error_type, last_error_message, updated_at
        """;

    /// <summary>Any constant: serialises concurrent migrations of one database.</summary>
    private const long MigrationLockKey = 0x6261636B66696C6C; // "backfill"

    private readonly NpgsqlDataSource _source;
    private readonly TimeProvider _time;

    public PostgresLedger(PostgresUrl url, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        Url = url;
        _time = time ?? TimeProvider.System;
        _source = NpgsqlDataSource.Create(url.ConnectionString);
    }

    public PostgresUrl Url { get; }

    public string Description => $"PostgreSQL {Url.Masked}";

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await ExecAsync(connection, tx, "SELECT pg_advisory_xact_lock(@k);", cancellationToken, ("k", MigrationLockKey));
        await ExecAsync(connection, tx, $"""
            CREATE SCHEMA IF NOT EXISTS "{Url.Schema}";
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                applied_at timestamptz NOT NULL
            );
            """, cancellationToken);
        var current = await ScalarLongAsync(connection, tx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", cancellationToken);
        foreach (var (version, name, sql) in PostgresMigrations.All)
        {
            if (version <= current)
            {
                continue;
            }

            await ExecAsync(connection, tx, sql, cancellationToken);
            await ExecAsync(connection, tx, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t);",
                cancellationToken, ("v", version), ("n", name), ("t", Now()));
        }

        await tx.CommitAsync(cancellationToken);
    }

    public async Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        return (int)await ScalarLongAsync(connection, null, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", cancellationToken);
    }

    public async Task<UnitClaim?> TryClaimUnitAsync(
        string dataset, DateOnly date, string owner, TimeSpan lease, bool allowSuccessful, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        UnitRecord? existing;
        await using (var select = Command(connection, tx,
            $"SELECT {UnitColumns} FROM processing_log WHERE dataset = @d AND trade_date = @date FOR UPDATE SKIP LOCKED;",
            ("d", dataset), ("date", date)))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            existing = await reader.ReadAsync(cancellationToken) ? ReadUnit(reader) : null;
        }

        int attempt;
        var previous = UnitStatus.Queued;
        if (existing is null)
        {
            // No row, or a row another worker holds locked this instant: only an insert that wins says which.
            var inserted = await ExecAsync(connection, tx, """
                INSERT INTO processing_log (dataset, trade_date, status, attempt_count, owner, lease_expires_at, started_at, updated_at)
                VALUES (@d, @date, 'processing', 1, @owner, @lease, @now, @now)
                ON CONFLICT (dataset, trade_date) DO NOTHING;
                """, cancellationToken, ("d", dataset), ("date", date), ("owner", owner), ("lease", Utc(now + lease)), ("now", Utc(now)));
            if (inserted != 1)
            {
                await tx.RollbackAsync(cancellationToken);
                return null;
            }

            attempt = 1;
        }
        else
        {
            var leaseLive = existing.Status == UnitStatus.Processing && existing.LeaseExpiresAt > now && existing.Owner != owner;
            if (leaseLive || (existing.Status == UnitStatus.Success && !allowSuccessful))
            {
                await tx.RollbackAsync(cancellationToken);
                return null;
            }

            attempt = existing.AttemptCount + 1;
            previous = existing.Status;
            await ExecAsync(connection, tx, """
                UPDATE processing_log SET status = 'processing', attempt_count = @attempt, owner = @owner, lease_expires_at = @lease,
                    started_at = @now, completed_at = NULL, duration_ms = NULL, updated_at = @now
                WHERE dataset = @d AND trade_date = @date;
                """, cancellationToken, ("attempt", attempt), ("owner", owner), ("lease", Utc(now + lease)), ("now", Utc(now)),
                ("d", dataset), ("date", date));
        }

        await ExecAsync(connection, tx, """
            INSERT INTO attempt_log (dataset, trade_date, attempt, owner, started_at) VALUES (@d, @date, @attempt, @owner, @now);
            """, cancellationToken, ("d", dataset), ("date", date), ("attempt", attempt), ("owner", owner), ("now", Utc(now)));
        await tx.CommitAsync(cancellationToken);
        var resumed = previous is UnitStatus.Processing or UnitStatus.Interrupted;
        return new UnitClaim(dataset, date, owner, attempt, resumed, previous);
    }

    public Task<int> RenewLeaseAsync(string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = Now();
        return ExecuteAsync("""
            UPDATE processing_log SET lease_expires_at = @lease, updated_at = @now WHERE owner = @owner AND status = 'processing';
            """, cancellationToken, ("lease", Utc(now + lease)), ("now", Utc(now)), ("owner", owner));
    }

    public Task UpdateProgressAsync(string dataset, DateOnly date, string owner, int subUnitsTotal, int subUnitsDone, long apiRequests, CancellationToken cancellationToken) =>
        ExecuteAsync("""
            UPDATE processing_log SET subunits_total = @total, subunits_done = @done, api_requests = @requests, updated_at = @now
            WHERE dataset = @d AND trade_date = @date AND owner = @owner;
            """, cancellationToken, ("total", subUnitsTotal), ("done", subUnitsDone), ("requests", apiRequests),
            ("now", Utc(Now())), ("d", dataset), ("date", date), ("owner", owner));

    public async Task CompleteUnitAsync(string dataset, DateOnly date, string owner, UnitSuccess success, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(success);
        var now = Utc(Now());
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var updated = await ExecAsync(connection, tx, """
            UPDATE processing_log SET status = 'success', owner = NULL, lease_expires_at = NULL, completed_at = @now,
                duration_ms = @duration, file_path = @path, file_size = @size, file_sha256 = @sha, content_sha256 = @content,
                row_count = @rows, subunits_total = @subunits, subunits_done = @subunits, api_requests = @requests,
                peak_memory_bytes = @memory, quality_score = @quality, duplicates_dropped = @dups,
                last_error_type = NULL, last_error_message = NULL, updated_at = @now
            WHERE dataset = @d AND trade_date = @date AND owner = @owner;
            """, cancellationToken,
            ("now", now), ("duration", success.DurationMs), ("path", success.FilePath), ("size", success.FileSize),
            ("sha", success.FileSha256), ("content", success.ContentSha256), ("rows", success.RowCount),
            ("subunits", success.SubUnitsTotal), ("requests", success.ApiRequests), ("memory", success.PeakMemoryBytes),
            ("quality", success.QualityScore), ("dups", success.DuplicatesDropped),
            ("d", dataset), ("date", date), ("owner", owner));
        if (updated != 1)
        {
            throw new InvalidOperationException(
                $"Unit {dataset} {date:yyyy-MM-dd} is not held by {owner}: its lease expired and another worker took it over.");
        }

        await EndAttemptAsync(connection, tx, dataset, date, owner, "success", null, now, cancellationToken);
        await ExecAsync(connection, tx, "DELETE FROM subunit_progress WHERE dataset = @d AND trade_date = @date;",
            cancellationToken, ("d", dataset), ("date", date));
        await tx.CommitAsync(cancellationToken);
    }

    public Task FailUnitAsync(string dataset, DateOnly date, string owner, string errorType, string message, CancellationToken cancellationToken) =>
        EndUnitAsync(dataset, date, owner, UnitStatus.Failed, errorType, message, cancellationToken);

    public Task InterruptUnitAsync(string dataset, DateOnly date, string owner, string reason, CancellationToken cancellationToken) =>
        EndUnitAsync(dataset, date, owner, UnitStatus.Interrupted, "Interrupted", reason, cancellationToken);

    public async Task<IReadOnlyList<DateOnly>> RecoverExpiredAsync(string dataset, CancellationToken cancellationToken)
    {
        var now = Utc(Now());
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var dates = new List<DateOnly>();
        // SKIP LOCKED: a row a worker is renewing or claiming right now is not expired from its point of view.
        await using (var update = Command(connection, tx, """
            UPDATE processing_log SET status = 'interrupted', owner = NULL, lease_expires_at = NULL,
                last_error_type = 'Interrupted', last_error_message = 'the worker stopped without finishing (crash or kill); resumable',
                updated_at = @now
            WHERE (dataset, trade_date) IN (
                SELECT dataset, trade_date FROM processing_log
                WHERE dataset = @d AND status = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= @now)
                FOR UPDATE SKIP LOCKED)
            RETURNING trade_date;
            """, ("now", now), ("d", dataset)))
        await using (var reader = await update.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                dates.Add(reader.GetFieldValue<DateOnly>(0));
            }
        }

        dates.Sort();
        if (dates.Count > 0)
        {
            await ExecAsync(connection, tx, """
                UPDATE attempt_log SET ended_at = @now, outcome = 'interrupted', message = 'lease expired'
                WHERE dataset = @d AND trade_date = ANY(@dates) AND ended_at IS NULL;
                """, cancellationToken, ("now", now), ("d", dataset), ("dates", dates.ToArray()));
        }

        await tx.CommitAsync(cancellationToken);
        return dates;
    }

    public Task ResetUnitAsync(string dataset, DateOnly date, CancellationToken cancellationToken) =>
        ExecuteAsync("""
            UPDATE processing_log SET file_path = NULL, file_size = NULL, file_sha256 = NULL, content_sha256 = NULL,
                row_count = NULL, subunits_done = 0, status = CASE WHEN status = 'processing' THEN status ELSE 'queued' END,
                updated_at = @now
            WHERE dataset = @d AND trade_date = @date;
            DELETE FROM subunit_progress WHERE dataset = @d AND trade_date = @date;
            """, cancellationToken, ("now", Utc(Now())), ("d", dataset), ("date", date));

    public async Task<UnitRecord?> GetUnitAsync(string dataset, DateOnly date, CancellationToken cancellationToken)
    {
        var list = await QueryAsync($"SELECT {UnitColumns} FROM processing_log WHERE dataset = @d AND trade_date = @date;",
            ReadUnit, cancellationToken, ("d", dataset), ("date", date));
        return list.Count == 0 ? null : list[0];
    }

    public Task<IReadOnlyList<UnitRecord>> ListUnitsAsync(string dataset, DateOnly? from, DateOnly? to, UnitStatus? status, CancellationToken cancellationToken) =>
        QueryAsync($"""
            SELECT {UnitColumns} FROM processing_log
            WHERE dataset = @d AND (@from::date IS NULL OR trade_date >= @from::date) AND (@to::date IS NULL OR trade_date <= @to::date)
              AND (@status::text IS NULL OR status = @status::text)
            ORDER BY trade_date;
            """, ReadUnit, cancellationToken, ("d", dataset), ("from", from), ("to", to), ("status", status?.ToDb()));

    public async Task<LedgerSummary> GetSummaryAsync(string dataset, CancellationToken cancellationToken)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        var counts = Enum.GetValues<UnitStatus>().ToDictionary(s => s, _ => 0);
        await using (var command = Command(connection, null,
            "SELECT status, COUNT(*) FROM processing_log WHERE dataset = @d GROUP BY status;", ("d", dataset)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                counts[UnitStatusNames.FromDb(reader.GetString(0))] = (int)reader.GetInt64(1);
            }
        }

        DateOnly? first = null, last = null;
        long rows = 0, bytes = 0;
        DateTimeOffset? lastActivity = null;
        await using (var command = Command(connection, null, """
            SELECT MIN(trade_date) FILTER (WHERE status = 'success'), MAX(trade_date) FILTER (WHERE status = 'success'),
                   COALESCE(SUM(row_count) FILTER (WHERE status = 'success'), 0)::bigint,
                   COALESCE(SUM(file_size) FILTER (WHERE status = 'success'), 0)::bigint, MAX(updated_at)
            FROM processing_log WHERE dataset = @d;
            """, ("d", dataset)))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            if (await reader.ReadAsync(cancellationToken))
            {
                first = reader.IsDBNull(0) ? null : reader.GetFieldValue<DateOnly>(0);
                last = reader.IsDBNull(1) ? null : reader.GetFieldValue<DateOnly>(1);
                rows = reader.GetInt64(2);
                bytes = reader.GetInt64(3);
                lastActivity = ReadNullableTime(reader, 4);
            }
        }

        var errors = (int)await ScalarLongAsync(connection, null,
            "SELECT COUNT(*) FROM error_log WHERE dataset = @d AND occurred_at >= @since;", cancellationToken,
            ("d", dataset), ("since", Utc(Now().AddHours(-24))));
        return new LedgerSummary(dataset, counts, first, last, rows, bytes, lastActivity, errors);
    }

    public Task MarkSubUnitCompleteAsync(string dataset, DateOnly date, string subUnit, long rows, CancellationToken cancellationToken) =>
        ExecuteAsync("""
            INSERT INTO subunit_progress (dataset, trade_date, subunit, rows, completed_at) VALUES (@d, @date, @s, @rows, @now)
            ON CONFLICT (dataset, trade_date, subunit) DO UPDATE SET rows = EXCLUDED.rows, completed_at = EXCLUDED.completed_at;
            """, cancellationToken, ("d", dataset), ("date", date), ("s", subUnit), ("rows", rows), ("now", Utc(Now())));

    public Task<IReadOnlyList<SubUnitRecord>> GetCompletedSubUnitsAsync(string dataset, DateOnly date, CancellationToken cancellationToken) =>
        QueryAsync("""
            SELECT subunit, rows, completed_at FROM subunit_progress WHERE dataset = @d AND trade_date = @date ORDER BY subunit COLLATE "C";
            """, r => new SubUnitRecord(dataset, date, r.GetString(0), r.GetInt64(1), ReadTime(r, 2)),
            cancellationToken, ("d", dataset), ("date", date));

    public Task RecordErrorAsync(ErrorRecord error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(error);
        var at = error.OccurredAt == default ? Now() : error.OccurredAt;
        return ExecuteAsync("""
            INSERT INTO error_log (dataset, trade_date, subunit, error_type, message, attempt, status_code, will_retry, occurred_at)
            VALUES (@d, @date, @s, @type, @message, @attempt, @status, @retry, @at);
            """, cancellationToken, ("d", error.Dataset), ("date", error.TradeDate), ("s", error.SubUnit),
            ("type", error.ErrorType), ("message", Truncate(error.Message, 4000)), ("attempt", error.Attempt),
            ("status", error.StatusCode), ("retry", error.WillRetry), ("at", Utc(at)));
    }

    public Task<IReadOnlyList<ErrorRecord>> ListErrorsAsync(string dataset, DateOnly? date, int limit, CancellationToken cancellationToken) =>
        QueryAsync("""
            SELECT id, trade_date, subunit, error_type, message, attempt, status_code, will_retry, occurred_at
            FROM error_log WHERE dataset = @d AND (@date::date IS NULL OR trade_date = @date::date)
            ORDER BY id DESC LIMIT @limit;
            """, r => new ErrorRecord
            {
                Id = r.GetInt64(0),
                Dataset = dataset,
                TradeDate = r.IsDBNull(1) ? null : r.GetFieldValue<DateOnly>(1),
                SubUnit = r.IsDBNull(2) ? null : r.GetString(2),
                ErrorType = r.GetString(3),
                Message = r.GetString(4),
                Attempt = r.GetInt32(5),
                StatusCode = r.IsDBNull(6) ? null : r.GetInt32(6),
                WillRetry = r.GetBoolean(7),
                OccurredAt = ReadTime(r, 8),
            }, cancellationToken, ("d", dataset), ("date", date), ("limit", limit));

    public async Task RecordMetricsAsync(IReadOnlyList<MetricRecord> metrics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (metrics.Count == 0)
        {
            return;
        }

        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var m in metrics)
        {
            var at = m.RecordedAt == default ? Now() : m.RecordedAt;
            await ExecAsync(connection, tx, """
                INSERT INTO performance_metrics (dataset, trade_date, metric, value, unit, recorded_at) VALUES (@d, @date, @m, @v, @u, @at);
                """, cancellationToken, ("d", m.Dataset), ("date", m.TradeDate), ("m", m.Name), ("v", m.Value), ("u", m.Unit), ("at", Utc(at)));
        }

        await tx.CommitAsync(cancellationToken);
    }

    public Task<IReadOnlyList<MetricRecord>> ListMetricsAsync(string dataset, DateOnly? date, CancellationToken cancellationToken) =>
        QueryAsync("""
            SELECT trade_date, metric, value, unit, recorded_at FROM performance_metrics
            WHERE dataset = @d AND (@date::date IS NULL OR trade_date = @date::date) ORDER BY id;
            """, r => new MetricRecord(dataset, r.IsDBNull(0) ? null : r.GetFieldValue<DateOnly>(0), r.GetString(1), r.GetDouble(2), r.GetString(3))
            {
                RecordedAt = ReadTime(r, 4),
            }, cancellationToken, ("d", dataset), ("date", date));

    public async Task<ConfigEntry?> GetConfigAsync(string dataset, string key, CancellationToken cancellationToken)
    {
        var all = await ReadConfigAsync(dataset, key, cancellationToken);
        return all.Count == 0 ? null : all[0];
    }

    public Task<IReadOnlyList<ConfigEntry>> ListConfigAsync(string dataset, CancellationToken cancellationToken) =>
        ReadConfigAsync(dataset, null, cancellationToken);

    public async Task SetConfigAsync(string dataset, string key, string? value, string changedBy, CancellationToken cancellationToken)
    {
        var now = Utc(Now());
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        // Two writers of one key must not compute the same next version: lock the key for this transaction.
        await ExecAsync(connection, tx, "SELECT pg_advisory_xact_lock(hashtextextended(@d || '/' || @k, 0));",
            cancellationToken, ("d", dataset), ("k", key));
        string? old = null;
        var version = 0;
        await using (var select = Command(connection, tx,
            "SELECT value, version FROM configuration WHERE dataset = @d AND key = @k;", ("d", dataset), ("k", key)))
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
            await tx.RollbackAsync(cancellationToken);
            return;
        }

        if (version == 0)
        {
            version = (int)await ScalarLongAsync(connection, tx,
                "SELECT COALESCE(MAX(version), 0) FROM configuration_history WHERE dataset = @d AND key = @k;",
                cancellationToken, ("d", dataset), ("k", key));
        }

        var next = version + 1;
        var sql = value is null
            ? "DELETE FROM configuration WHERE dataset = @d AND key = @k;"
            : """
              INSERT INTO configuration (dataset, key, value, version, updated_at, updated_by) VALUES (@d, @k, @v, @version, @now, @by)
              ON CONFLICT (dataset, key) DO UPDATE SET value = EXCLUDED.value, version = EXCLUDED.version,
                  updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by;
              """;
        await ExecAsync(connection, tx, sql, cancellationToken,
            ("d", dataset), ("k", key), ("v", value), ("version", next), ("now", now), ("by", changedBy));
        await ExecAsync(connection, tx, """
            INSERT INTO configuration_history (dataset, key, old_value, new_value, version, changed_at, changed_by)
            VALUES (@d, @k, @old, @v, @version, @now, @by);
            """, cancellationToken, ("d", dataset), ("k", key), ("old", old), ("v", value), ("version", next), ("now", now), ("by", changedBy));
        await tx.CommitAsync(cancellationToken);
    }

    public Task<IReadOnlyList<ConfigChange>> GetConfigHistoryAsync(string dataset, string? key, CancellationToken cancellationToken) =>
        QueryAsync("""
            SELECT key, old_value, new_value, changed_at, changed_by, version FROM configuration_history
            WHERE dataset = @d AND (@k::text IS NULL OR key = @k::text) ORDER BY id;
            """, r => new ConfigChange(dataset, r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2),
                ReadTime(r, 3), r.GetString(4), r.GetInt32(5)), cancellationToken, ("d", dataset), ("k", key));

    /// <summary>
    /// PostgreSQL checks its own pages; this checks what the ledger relies on: the server answers, the schema is
    /// at the version this build expects, and no unit is in a state the code never writes.
    /// </summary>
    public async Task<bool> TryTakeRequestAsync(string source, DateOnly day, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return limit > 0 && await ExecuteAsync("""
            INSERT INTO request_budget (source, budget_day, requests, updated_at) VALUES (@s, @day, 1, @now)
            ON CONFLICT (source, budget_day) DO UPDATE SET requests = request_budget.requests + 1, updated_at = EXCLUDED.updated_at
            WHERE request_budget.requests < @limit;
            """, cancellationToken, ("s", source), ("day", day), ("now", Utc(Now())), ("limit", limit)) == 1;
    }

    public async Task<int> GetRequestCountAsync(string source, DateOnly day, CancellationToken cancellationToken)
    {
        var counts = await QueryAsync("SELECT requests FROM request_budget WHERE source = @s AND budget_day = @day;",
            r => r.GetInt32(0), cancellationToken, ("s", source), ("day", day));
        return counts.Count == 0 ? 0 : counts[0];
    }

    public async Task<string> CheckIntegrityAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        var version = await ScalarLongAsync(connection, null, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", cancellationToken);
        var expected = PostgresMigrations.All[^1].Version;
        if (version != expected)
        {
            return $"schema version {version}, expected {expected}";
        }

        var orphans = await ScalarLongAsync(connection, null,
            "SELECT COUNT(*) FROM processing_log WHERE status = 'processing' AND owner IS NULL;", cancellationToken);
        return orphans == 0 ? "ok" : $"{orphans} unit(s) in processing without an owner";
    }

    public ValueTask DisposeAsync() => _source.DisposeAsync();

    private static string Truncate(string value, int max) => value.Length <= max ? value : value[..max];

    /// <summary>Millisecond precision, like the SQLite ledger, so both report the same times.</summary>
    private static DateTime Utc(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
    }

    private static DateTimeOffset ReadTime(NpgsqlDataReader r, int ordinal) =>
        new(DateTime.SpecifyKind(r.GetFieldValue<DateTime>(ordinal), DateTimeKind.Utc));

    private static DateTimeOffset? ReadNullableTime(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : ReadTime(r, ordinal);

    private static long? ReadNullableLong(NpgsqlDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetInt64(ordinal);

    private static UnitRecord ReadUnit(NpgsqlDataReader r) => new()
    {
        Dataset = r.GetString(0),
        TradeDate = r.GetFieldValue<DateOnly>(1),
        Status = UnitStatusNames.FromDb(r.GetString(2)),
        AttemptCount = r.GetInt32(3),
        Owner = r.IsDBNull(4) ? null : r.GetString(4),
        LeaseExpiresAt = ReadNullableTime(r, 5),
        StartedAt = ReadNullableTime(r, 6),
        CompletedAt = ReadNullableTime(r, 7),
        DurationMs = ReadNullableLong(r, 8),
        FilePath = r.IsDBNull(9) ? null : r.GetString(9),
        FileSize = ReadNullableLong(r, 10),
        FileSha256 = r.IsDBNull(11) ? null : r.GetString(11),
        ContentSha256 = r.IsDBNull(12) ? null : r.GetString(12),
        RowCount = ReadNullableLong(r, 13),
        SubUnitsTotal = r.IsDBNull(14) ? null : r.GetInt32(14),
        SubUnitsDone = r.IsDBNull(15) ? null : r.GetInt32(15),
        ApiRequests = ReadNullableLong(r, 16),
        PeakMemoryBytes = ReadNullableLong(r, 17),
        QualityScore = r.IsDBNull(18) ? null : r.GetDouble(18),
        DuplicatesDropped = ReadNullableLong(r, 19),
        LastErrorType = r.IsDBNull(20) ? null : r.GetString(20),
        LastErrorMessage = r.IsDBNull(21) ? null : r.GetString(21),
        UpdatedAt = ReadTime(r, 22),
    };

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, params (string Name, object? Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, tx);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter(name, value ?? DBNull.Value));
        }

        return command;
    }

    private static async Task<int> ExecAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<long> ScalarLongAsync(NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        var value = await command.ExecuteScalarAsync(cancellationToken);
        return value is null or DBNull ? 0 : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    private static Task EndAttemptAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string dataset, DateOnly date, string owner, string outcome, string? message, DateTime now, CancellationToken cancellationToken) =>
        ExecAsync(connection, tx, """
            UPDATE attempt_log SET ended_at = @now, outcome = @outcome, message = @message
            WHERE dataset = @d AND trade_date = @date AND owner = @owner AND ended_at IS NULL;
            """, cancellationToken, ("now", now), ("outcome", outcome), ("message", message), ("d", dataset), ("date", date), ("owner", owner));

    private async Task EndUnitAsync(string dataset, DateOnly date, string owner, UnitStatus status, string errorType, string message, CancellationToken cancellationToken)
    {
        var now = Utc(Now());
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await ExecAsync(connection, tx, """
            UPDATE processing_log SET status = @status, owner = NULL, lease_expires_at = NULL, completed_at = @now,
                duration_ms = (EXTRACT(EPOCH FROM (@now - started_at)) * 1000)::bigint,
                last_error_type = @type, last_error_message = @message, updated_at = @now
            WHERE dataset = @d AND trade_date = @date AND owner = @owner;
            """, cancellationToken, ("status", status.ToDb()), ("now", now), ("type", errorType), ("message", Truncate(message, 4000)),
            ("d", dataset), ("date", date), ("owner", owner));
        await EndAttemptAsync(connection, tx, dataset, date, owner, status.ToDb(), Truncate(message, 4000), now, cancellationToken);
        await tx.CommitAsync(cancellationToken);
    }

    private Task<IReadOnlyList<ConfigEntry>> ReadConfigAsync(string dataset, string? key, CancellationToken cancellationToken) =>
        QueryAsync("""
            SELECT key, value, updated_at, updated_by, version FROM configuration
            WHERE dataset = @d AND (@k::text IS NULL OR key = @k::text) ORDER BY key COLLATE "C";
            """, r => new ConfigEntry(dataset, r.GetString(0), r.GetString(1), ReadTime(r, 2), r.GetString(3), r.GetInt32(4)),
            cancellationToken, ("d", dataset), ("k", key));

    private async Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var command = Command(connection, null, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<T>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(read(reader));
        }

        return list;
    }

    private async Task<int> ExecuteAsync(string sql, CancellationToken cancellationToken, params (string, object?)[] parameters)
    {
        await using var connection = await _source.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var n = await ExecAsync(connection, tx, sql, cancellationToken, parameters);
        await tx.CommitAsync(cancellationToken);
        return n;
    }

    private DateTimeOffset Now() => _time.GetUtcNow();
}
