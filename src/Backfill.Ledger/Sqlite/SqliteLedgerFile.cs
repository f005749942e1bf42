using System.Data.Common;
using Backfill.Ledger.Sql;
using Microsoft.Data.Sqlite;

namespace Backfill.Ledger.Sqlite;

/// <summary>
/// The SQLite ledger as a file: a consistent copy of it while other processes write (SQLite's online backup), the
/// checks a copy must pass before it is trusted, and the exclusive hold that proves no other process has it open.
/// Connections here are never pooled, so nothing keeps a file open after the call that used it.
/// </summary>
public static class SqliteLedgerFile
{
    /// <summary>SQLITE_CORRUPT: a page or the schema does not make sense.</summary>
    private const int Corrupt = 11;

    /// <summary>SQLITE_NOTADB: the file does not start like a database.</summary>
    private const int NotADatabase = 26;

    private const int Busy = 5;

    private const int Locked = 6;

    /// <summary>True when the file starts with SQLite's 16-byte header ("SQLite format 3" and a zero byte).</summary>
    public static bool HasSqliteHeader(string path)
    {
        ReadOnlySpan<byte> header = "SQLite format 3\0"u8;
        Span<byte> start = stackalloc byte[16];
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        return stream.ReadAtLeast(start, start.Length, throwOnEndOfStream: false) == start.Length && start.SequenceEqual(header);
    }

    /// <summary>True for the errors SQLite gives for a damaged or foreign file (SQLITE_CORRUPT, SQLITE_NOTADB), anywhere in the chain.</summary>
    public static bool IsDamage(Exception? error)
    {
        for (var e = error; e is not null; e = e.InnerException)
        {
            if (e is SqliteException { SqliteErrorCode: Corrupt or NotADatabase })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Copies the database at <paramref name="source"/> into <paramref name="destination"/> (an existing empty file the
    /// caller created with the mode it wants) with SQLite's online backup: one read transaction, so the copy is the
    /// last committed state even while other processes write; a write transaction under way is not in it. The copy is
    /// then turned into a single self-contained file (rollback journal, no <c>-wal</c> beside it).
    /// </summary>
    /// <exception cref="LedgerDamagedException">The source is damaged or not a database.</exception>
    /// <exception cref="SqliteException">The source cannot be read for another reason.</exception>
    public static async Task CopyAsync(string source, string destination, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(source);
        ArgumentException.ThrowIfNullOrWhiteSpace(destination);

        // ReadWrite, not ReadWriteCreate: a missing source is an error, never a new empty database. SQLite opens a
        // write-protected file read-only by itself.
        try
        {
            await using var from = await OpenAsync(source, SqliteOpenMode.ReadWrite, busyTimeoutSeconds: 60, cancellationToken);
            await using var to = await OpenAsync(destination, SqliteOpenMode.ReadWrite, busyTimeoutSeconds: 60, cancellationToken);
            from.BackupDatabase(to);
            await ExecuteAsync(to, "PRAGMA journal_mode=DELETE;", cancellationToken);
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            throw new LedgerDamagedException(Path.GetFullPath(source), e.Message, e);
        }
    }

    /// <summary>
    /// SQLite's <c>PRAGMA integrity_check</c> of the file (<c>ok</c>, or what is wrong) and the ledger schema version it
    /// records (null when it has no <c>schema_migrations</c> table: not a ledger). A damaged file is reported, not thrown.
    /// </summary>
    public static async Task<SqliteLedgerFileCheck> CheckAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        try
        {
            await using var connection = await OpenAsync(path, SqliteOpenMode.ReadWrite, busyTimeoutSeconds: 60, cancellationToken);
            var problems = await Statements.QueryAsync(connection, null, "PRAGMA integrity_check;", r => r.GetString(0), cancellationToken);
            var integrity = problems.Count == 1 && problems[0] == "ok" ? "ok" : string.Join("; ", problems.Take(5)) + (problems.Count > 5 ? $"; and {problems.Count - 5} more" : string.Empty);
            if (integrity != "ok")
            {
                return new SqliteLedgerFileCheck(integrity, null);
            }

            var isLedger = await Statements.ScalarLongAsync(connection, null,
                "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations';", cancellationToken) == 1;
            int? version = isLedger
                ? (int)Math.Min(await Statements.ScalarLongAsync(connection, null, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", cancellationToken), int.MaxValue)
                : null;
            return new SqliteLedgerFileCheck(integrity, version);
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            return new SqliteLedgerFileCheck($"damaged: {e.Message}", null);
        }
    }

    /// <summary>
    /// Takes the ledger file for this process alone, or returns null when another connection (of any process) has it
    /// open. Leaving WAL mode needs the only connection to the file, so it is what proves there is no other; it also
    /// checkpoints the <c>-wal</c> into the file and removes it. <c>BEGIN EXCLUSIVE</c> then keeps every other
    /// connection out until the hold is disposed. Waits at most about a second.
    /// </summary>
    /// <exception cref="LedgerDamagedException">The file is damaged or not a database.</exception>
    public static async Task<SqliteLedgerHold?> TryHoldAsync(string path, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var connection = await OpenAsync(path, SqliteOpenMode.ReadWrite, busyTimeoutSeconds: 1, cancellationToken);
        try
        {
            await ExecuteAsync(connection, "PRAGMA busy_timeout=0;", cancellationToken);
            var mode = await Statements.QueryAsync(connection, null, "PRAGMA journal_mode=DELETE;", r => r.GetString(0), cancellationToken);
            if (mode.Count != 1 || !string.Equals(mode[0], "delete", StringComparison.OrdinalIgnoreCase))
            {
                await connection.DisposeAsync();
                return null;
            }

            await ExecuteAsync(connection, "BEGIN EXCLUSIVE;", cancellationToken);
            return new SqliteLedgerHold(connection);
        }
        catch (SqliteException e) when (e.SqliteErrorCode is Busy or Locked)
        {
            await connection.DisposeAsync();
            return null;
        }
        catch (SqliteException e) when (IsDamage(e))
        {
            await connection.DisposeAsync();
            throw new LedgerDamagedException(Path.GetFullPath(path), e.Message, e);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static async Task<SqliteConnection> OpenAsync(string path, SqliteOpenMode mode, int busyTimeoutSeconds, CancellationToken cancellationToken)
    {
        // Microsoft.Data.Sqlite retries a busy statement itself until the command timeout; it is the wait that counts.
        var connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = mode,
            Pooling = false,
            DefaultTimeout = busyTimeoutSeconds,
        }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken);
            await ExecuteAsync(connection, $"PRAGMA busy_timeout={busyTimeoutSeconds * 1000}; PRAGMA synchronous=FULL;", cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private static Task<int> ExecuteAsync(DbConnection connection, string sql, CancellationToken cancellationToken) =>
        Statements.ExecuteAsync(connection, null, sql, cancellationToken);
}

/// <summary>What <see cref="SqliteLedgerFile.CheckAsync"/> found.</summary>
/// <param name="Integrity"><c>ok</c>, or SQLite's description of the damage.</param>
/// <param name="SchemaVersion">The highest version in <c>schema_migrations</c>; null when the file is not a ledger (or is damaged).</param>
public sealed record SqliteLedgerFileCheck(string Integrity, int? SchemaVersion)
{
    public bool IsOk => Integrity == "ok";
}

/// <summary>A unit the ledger records in <c>processing</c>: who holds it and until when.</summary>
public sealed record HeldUnit(string Dataset, DateOnly TradeDate, string? Owner, DateTimeOffset? LeaseExpiresAt);

/// <summary>
/// A SQLite ledger file this process alone has open (<see cref="SqliteLedgerFile.TryHoldAsync"/>), in an exclusive
/// transaction that keeps every other connection out until disposed. The file may be renamed while held.
/// </summary>
public sealed class SqliteLedgerHold : IAsyncDisposable
{
    private readonly SqliteConnection _connection;

    internal SqliteLedgerHold(SqliteConnection connection) => _connection = connection;

    /// <summary>The units the ledger records in <c>processing</c> (none when it has no units table).</summary>
    public async Task<IReadOnlyList<HeldUnit>> ListProcessingAsync(CancellationToken cancellationToken)
    {
        var hasUnits = await Statements.ScalarLongAsync(_connection, null,
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'processing_log';", cancellationToken) == 1;
        if (!hasUnits)
        {
            return [];
        }

        var rows = SqliteText.Rows;
        return await Statements.QueryAsync(_connection, null,
            "SELECT dataset, trade_date, owner, lease_expires_at FROM processing_log WHERE status = 'processing' ORDER BY dataset, trade_date;",
            r => new HeldUnit(r.GetString(0), rows.ReadDate(r, 1), r.IsDBNull(2) ? null : r.GetString(2), rows.ReadNullableTime(r, 3)), cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Statements.ExecuteAsync(_connection, null, "ROLLBACK;", CancellationToken.None);
        }
        finally
        {
            await _connection.DisposeAsync();
        }
    }
}
