using System.Data.Common;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sql;
using Npgsql;

namespace Backfill.Ledger.Postgres;

/// <summary>
/// The ledger in a shared PostgreSQL database, for several workers on several machines. Same tables, semantics
/// and migration versions as <see cref="Sqlite.SqliteLedger"/>. A claim locks the unit's row with
/// <c>FOR UPDATE SKIP LOCKED</c>, so workers never wait on one another: a row another worker is claiming right now
/// is simply not available. Leases (renewed by a heartbeat) decide who owns a unit; an expired lease lets another
/// worker take the unit over and resume it. Times come from the injected clock, as in SQLite, so tests can move it.
/// What both databases share is in <see cref="SqlLedger"/>; this is what only PostgreSQL does. Its statements cast
/// parameters that may be null (the server cannot tell the type of a bare null) and sort text by byte (<c>COLLATE "C"</c>),
/// as SQLite does.
/// </summary>
public sealed class PostgresLedger : SqlLedger
{
    private readonly NpgsqlDataSource _source;

    public PostgresLedger(PostgresUrl url, TimeProvider? time = null)
        : base(PostgresTypes.Rows, time, crashPoints: false)
    {
        ArgumentNullException.ThrowIfNull(url);
        Url = url;
        _source = NpgsqlDataSource.Create(url.ConnectionString);
        Migrations = PostgresMigrations.RunnerFor(url.Schema);
    }

    public PostgresUrl Url { get; }

    public override string Description => $"PostgreSQL {Url.Masked}";

    private protected override MigrationRunner Migrations { get; }

    private protected override string DurationSinceStartSql => "(EXTRACT(EPOCH FROM (@now - started_at)) * 1000)::bigint";

    private protected override string ListUnitsSql => $"""
        SELECT {LedgerRows.UnitColumns} FROM processing_log
        WHERE dataset = @d AND (@from::date IS NULL OR trade_date >= @from::date) AND (@to::date IS NULL OR trade_date <= @to::date)
          AND (@status::text IS NULL OR status = @status::text)
        ORDER BY trade_date;
        """;

    private protected override string SummaryTotalsSql => """
        SELECT MIN(trade_date) FILTER (WHERE status = 'success'), MAX(trade_date) FILTER (WHERE status = 'success'),
               COALESCE(SUM(row_count) FILTER (WHERE status = 'success'), 0)::bigint,
               COALESCE(SUM(file_size) FILTER (WHERE status = 'success'), 0)::bigint, MAX(updated_at)
        FROM processing_log WHERE dataset = @d;
        """;

    private protected override string CompletedSubUnitsSql =>
        $"""SELECT {LedgerRows.SubUnitColumns} FROM subunit_progress WHERE dataset = @d AND trade_date = @date ORDER BY subunit COLLATE "C";""";

    private protected override string ListErrorsSql => $"""
        SELECT {LedgerRows.ErrorColumns} FROM error_log
        WHERE dataset = @d AND (@date::date IS NULL OR trade_date = @date::date) ORDER BY id DESC LIMIT @limit;
        """;

    private protected override string ErrorHistorySql => $"""
        SELECT * FROM (
            SELECT {LedgerRows.ErrorColumns} FROM error_log
            WHERE dataset = @d AND (@since::timestamptz IS NULL OR occurred_at >= @since::timestamptz)
              AND (@type::text IS NULL OR error_type = @type::text)
              AND (@from::date IS NULL OR trade_date >= @from::date) AND (@to::date IS NULL OR trade_date <= @to::date)
            ORDER BY id DESC LIMIT @limit) AS newest
        ORDER BY id;
        """;

    private protected override string ListMetricsSql => $"""
        SELECT {LedgerRows.MetricColumns} FROM performance_metrics
        WHERE dataset = @d AND (@date::date IS NULL OR trade_date = @date::date) ORDER BY id;
        """;

    private protected override string ConfigSql => $"""
        SELECT {LedgerRows.ConfigColumns} FROM configuration
        WHERE dataset = @d AND (@k::text IS NULL OR key = @k::text) ORDER BY key COLLATE "C";
        """;

    private protected override string ConfigHistorySql => $"""
        SELECT {LedgerRows.ConfigChangeColumns} FROM configuration_history
        WHERE dataset = @d AND (@k::text IS NULL OR key = @k::text) ORDER BY id;
        """;

    /// <summary>A transaction-scoped advisory lock on the key: writers of other keys go on in parallel.</summary>
    private protected override string? ConfigKeyLockSql => "SELECT pg_advisory_xact_lock(hashtextextended(@d || '/' || @k, 0));";

    public override async Task<UnitClaim?> TryClaimUnitAsync(
        string dataset, DateOnly date, string owner, TimeSpan lease, bool allowSuccessful, CancellationToken cancellationToken)
    {
        var now = Now();
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var existing = await ReadUnitAsync(connection, tx, dataset, date, cancellationToken, " FOR UPDATE SKIP LOCKED");
        int attempt;
        var previous = UnitStatus.Queued;
        if (existing is null)
        {
            // No row, or a row another worker holds locked this instant: only an insert that wins says which.
            var inserted = await Statements.ExecuteAsync(connection, tx, """
                INSERT INTO processing_log (dataset, trade_date, status, attempt_count, owner, lease_expires_at, started_at, updated_at)
                VALUES (@d, @date, 'processing', 1, @owner, @lease, @now, @now)
                ON CONFLICT (dataset, trade_date) DO NOTHING;
                """, cancellationToken, ("@d", dataset), ("@date", date), ("@owner", owner), ("@lease", Rows.Time(now + lease)), ("@now", Rows.Time(now)));
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
            await Statements.ExecuteAsync(connection, tx, """
                UPDATE processing_log SET status = 'processing', attempt_count = @attempt, owner = @owner, lease_expires_at = @lease,
                    started_at = @now, completed_at = NULL, duration_ms = NULL, updated_at = @now
                WHERE dataset = @d AND trade_date = @date;
                """, cancellationToken, ("@attempt", attempt), ("@owner", owner), ("@lease", Rows.Time(now + lease)), ("@now", Rows.Time(now)),
                ("@d", dataset), ("@date", date));
        }

        await StartAttemptAsync(connection, tx, dataset, date, attempt, owner, now, cancellationToken);
        await tx.CommitAsync(cancellationToken);
        var resumed = previous is UnitStatus.Processing or UnitStatus.Interrupted;
        return new UnitClaim(dataset, date, owner, attempt, resumed, previous);
    }

    public override Task<IReadOnlyList<DateOnly>> RecoverExpiredAsync(string dataset, CancellationToken cancellationToken)
    {
        var now = Rows.Time(Now());
        return WriteAsync<IReadOnlyList<DateOnly>>("ledger.recover", async (connection, tx) =>
        {
            // SKIP LOCKED: a row a worker is renewing or claiming right now is not expired from its point of view.
            var dates = (await Statements.QueryAsync(connection, tx, """
                UPDATE processing_log SET status = 'interrupted', owner = NULL, lease_expires_at = NULL,
                    last_error_type = 'Interrupted', last_error_message = 'the worker stopped without finishing (crash or kill); resumable',
                    updated_at = @now
                WHERE (dataset, trade_date) IN (
                    SELECT dataset, trade_date FROM processing_log
                    WHERE dataset = @d AND status = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= @now)
                    FOR UPDATE SKIP LOCKED)
                RETURNING trade_date;
                """, r => Rows.ReadDate(r, 0), cancellationToken, ("@now", now), ("@d", dataset))).Order().ToList();
            if (dates.Count > 0)
            {
                await Statements.ExecuteAsync(connection, tx, """
                    UPDATE attempt_log SET ended_at = @now, outcome = 'interrupted', message = 'lease expired'
                    WHERE dataset = @d AND trade_date = ANY(@dates) AND ended_at IS NULL;
                    """, cancellationToken, ("@now", now), ("@d", dataset), ("@dates", dates.ToArray()));
            }

            return dates;
        }, cancellationToken);
    }

    /// <summary>
    /// PostgreSQL checks its own pages; this checks what the ledger relies on: the server answers, the schema is
    /// at the version this build expects, and no unit is in a state the code never writes.
    /// </summary>
    public override Task<string> CheckIntegrityAsync(CancellationToken cancellationToken) => ReadAsync(async connection =>
    {
        var version = await Statements.ScalarLongAsync(connection, null, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", cancellationToken);
        var expected = Migrations.LatestVersion;
        if (version != expected)
        {
            return $"schema version {version}, expected {expected}";
        }

        var orphans = await Statements.ScalarLongAsync(connection, null,
            "SELECT COUNT(*) FROM processing_log WHERE status = 'processing' AND owner IS NULL;", cancellationToken);
        return orphans == 0 ? "ok" : $"{orphans} unit(s) in processing without an owner";
    }, cancellationToken);

    public override ValueTask DisposeAsync() => _source.DisposeAsync();

    private protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken) =>
        await _source.OpenConnectionAsync(cancellationToken);
}
