using System.Data.Common;
using Backfill.Core.IO;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sql;
using Microsoft.Data.Sqlite;

namespace Backfill.Ledger.Sqlite;

/// <summary>
/// The ledger in one SQLite file, in WAL mode so readers never block the writer. Every write runs in a
/// <c>BEGIN IMMEDIATE</c> transaction (the default of Microsoft.Data.Sqlite) with a busy timeout, so two
/// processes on the same file queue instead of failing or corrupting each other; a unit is claimed with a
/// lease, so two processes never work on the same date at once. Dates and times are ISO text (<see cref="SqliteText"/>).
/// What both databases share is in <see cref="SqlLedger"/>; this is what only SQLite does.
/// </summary>
public sealed class SqliteLedger : SqlLedger
{
    private readonly string _connectionString;

    /// <param name="path">The database file; its directory is created (0700) when missing.</param>
    /// <param name="time">Clock for leases and timestamps (tests pass a fake one).</param>
    public SqliteLedger(string path, TimeProvider? time = null)
        : base(SqliteText.Rows, time, crashPoints: true)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        FullPath = Path.GetFullPath(path);
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

    public override string Description => $"SQLite {FullPath}";

    private protected override MigrationRunner Migrations => SqliteMigrations.Runner;

    private protected override string DurationSinceStartSql => "CAST((julianday(@now) - julianday(started_at)) * 86400000 AS INTEGER)";

    private protected override string ListUnitsSql => $"""
        SELECT {LedgerRows.UnitColumns} FROM processing_log
        WHERE dataset = @d AND (@from IS NULL OR trade_date >= @from) AND (@to IS NULL OR trade_date <= @to)
          AND (@status IS NULL OR status = @status)
        ORDER BY trade_date;
        """;

    private protected override string SummaryTotalsSql => """
        SELECT MIN(CASE WHEN status = 'success' THEN trade_date END), MAX(CASE WHEN status = 'success' THEN trade_date END),
               COALESCE(SUM(CASE WHEN status = 'success' THEN row_count END), 0),
               COALESCE(SUM(CASE WHEN status = 'success' THEN file_size END), 0), MAX(updated_at)
        FROM processing_log WHERE dataset = @d;
        """;

    private protected override string CompletedSubUnitsSql =>
        $"SELECT {LedgerRows.SubUnitColumns} FROM subunit_progress WHERE dataset = @d AND trade_date = @date ORDER BY subunit;";

    private protected override string ListErrorsSql => $"""
        SELECT {LedgerRows.ErrorColumns} FROM error_log
        WHERE dataset = @d AND (@date IS NULL OR trade_date = @date) ORDER BY id DESC LIMIT @limit;
        """;

    private protected override string ErrorHistorySql => $"""
        SELECT * FROM (
            SELECT {LedgerRows.ErrorColumns} FROM error_log
            WHERE dataset = @d AND (@since IS NULL OR occurred_at >= @since) AND (@type IS NULL OR error_type = @type)
              AND (@from IS NULL OR trade_date >= @from) AND (@to IS NULL OR trade_date <= @to)
            ORDER BY id DESC LIMIT @limit)
        ORDER BY id;
        """;

    private protected override string ListMetricsSql => $"""
        SELECT {LedgerRows.MetricColumns} FROM performance_metrics
        WHERE dataset = @d AND (@date IS NULL OR trade_date = @date) ORDER BY id;
        """;

    private protected override string ConfigSql => $"""
        SELECT {LedgerRows.ConfigColumns} FROM configuration
        WHERE dataset = @d AND (@k IS NULL OR key = @k) ORDER BY key;
        """;

    private protected override string ConfigHistorySql => $"""
        SELECT {LedgerRows.ConfigChangeColumns} FROM configuration_history
        WHERE dataset = @d AND (@k IS NULL OR key = @k) ORDER BY id;
        """;

    /// <summary>None: the write transaction (BEGIN IMMEDIATE) already keeps every other writer out.</summary>
    private protected override string? ConfigKeyLockSql => null;

    public override async Task MigrateAsync(CancellationToken cancellationToken)
    {
        var directory = Path.GetDirectoryName(FullPath);
        if (!string.IsNullOrEmpty(directory))
        {
            OwnerOnly.CreateDirectory(directory);
        }

        // The journal mode cannot change inside the migration's transaction; it stays with the file.
        await using (var connection = await OpenAsync(cancellationToken))
        {
            await Statements.ExecuteAsync(connection, null, "PRAGMA journal_mode=WAL;", cancellationToken);
        }

        await base.MigrateAsync(cancellationToken);
        RestrictFilePermissions();
    }

    /// <remarks>The write transaction (BEGIN IMMEDIATE) keeps every other writer out while the unit is read and claimed.</remarks>
    public override async Task<UnitClaim?> TryClaimUnitAsync(
        string dataset, DateOnly date, string owner, TimeSpan lease, bool allowSuccessful, CancellationToken cancellationToken)
    {
        var now = Now();
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
        await Statements.ExecuteAsync(connection, tx, """
            INSERT INTO processing_log (dataset, trade_date, status, attempt_count, owner, lease_expires_at, started_at, updated_at)
            VALUES (@d, @date, 'processing', @attempt, @owner, @lease, @now, @now)
            ON CONFLICT (dataset, trade_date) DO UPDATE SET
                status = 'processing', attempt_count = @attempt, owner = @owner, lease_expires_at = @lease,
                started_at = @now, completed_at = NULL, duration_ms = NULL, updated_at = @now;
            """, cancellationToken,
            ("@d", dataset), ("@date", Rows.Date(date)), ("@attempt", attempt), ("@owner", owner),
            ("@lease", Rows.Time(now + lease)), ("@now", Rows.Time(now)));
        await StartAttemptAsync(connection, tx, dataset, date, attempt, owner, now, cancellationToken);
        CrashPoint.Reach("ledger.claim");
        await tx.CommitAsync(cancellationToken);
        return new UnitClaim(dataset, date, owner, attempt, resumed, previous);
    }

    public override Task<IReadOnlyList<DateOnly>> RecoverExpiredAsync(string dataset, CancellationToken cancellationToken)
    {
        var now = Rows.Time(Now());
        return WriteAsync("ledger.recover", async (connection, tx) =>
        {
            var dates = await Statements.QueryAsync(connection, tx, """
                SELECT trade_date FROM processing_log
                WHERE dataset = @d AND status = 'processing' AND (lease_expires_at IS NULL OR lease_expires_at <= @now)
                ORDER BY trade_date;
                """, r => Rows.ReadDate(r, 0), cancellationToken, ("@d", dataset), ("@now", now));
            foreach (var date in dates)
            {
                await Statements.ExecuteAsync(connection, tx, """
                    UPDATE processing_log SET status = 'interrupted', owner = NULL, lease_expires_at = NULL,
                        last_error_type = 'Interrupted', last_error_message = 'the worker stopped without finishing (crash or kill); resumable',
                        updated_at = @now
                    WHERE dataset = @d AND trade_date = @date;
                    UPDATE attempt_log SET ended_at = @now, outcome = 'interrupted', message = 'lease expired'
                    WHERE dataset = @d AND trade_date = @date AND ended_at IS NULL;
                    """, cancellationToken, ("@now", now), ("@d", dataset), ("@date", Rows.Date(date)));
            }

            return dates;
        }, cancellationToken);
    }

    public override Task<string> CheckIntegrityAsync(CancellationToken cancellationToken) => ReadAsync(async connection =>
    {
        await using var command = Statements.Command(connection, null, "PRAGMA integrity_check;");
        return (string)(await command.ExecuteScalarAsync(cancellationToken) ?? "no answer");
    }, cancellationToken);

    public override ValueTask DisposeAsync()
    {
        // Pooled connections keep the file open (and the WAL un-checkpointed) until cleared.
        SqliteConnection.ClearAllPools();
        return ValueTask.CompletedTask;
    }

    private protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await Statements.ExecuteAsync(connection, null, "PRAGMA busy_timeout=60000; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;", cancellationToken);
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
            try
            {
                File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
            catch (FileNotFoundException)
            {
                // -wal and -shm exist only while a connection is open: the last one closing removes them.
            }
        }
    }
}
