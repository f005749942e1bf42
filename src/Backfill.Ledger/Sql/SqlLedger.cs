using System.Data.Common;

namespace Backfill.Ledger.Sql;

/// <summary>
/// A ledger in a SQL database: every behaviour whose logic is the same on SQLite and PostgreSQL, written once. Each
/// database's ledger supplies its connections, how it stores values (<see cref="LedgerRows"/>), its migrations and what
/// truly differs: how a claim keeps a second worker out, how crash recovery takes expired leases, and the statements where
/// the dialects part (typed nulls, collations, date arithmetic). This file holds connections, transactions and the
/// schema; units and leases, logs and metrics, configuration and the request budget each have a file of their own.
/// </summary>
public abstract partial class SqlLedger : ILedger
{
    private readonly TimeProvider _time;
    private readonly bool _crashPoints;

    /// <param name="rows">How this database stores dates, times and flags.</param>
    /// <param name="time">Clock for leases and timestamps (tests pass a fake one).</param>
    /// <param name="crashPoints">
    /// Whether each write stops at its <see cref="CrashPoint"/> just before the commit. The SQLite ledger's writes do: the
    /// crash tests kill its workers there. The PostgreSQL ledger's never have.
    /// </param>
    private protected SqlLedger(LedgerRows rows, TimeProvider? time, bool crashPoints)
    {
        Rows = rows;
        _time = time ?? TimeProvider.System;
        _crashPoints = crashPoints;
    }

    public abstract string Description { get; }

    private protected LedgerRows Rows { get; }

    private protected abstract MigrationRunner Migrations { get; }

    /// <exception cref="LedgerSchemaTooNewException">A newer backfill migrated the ledger; nothing was changed.</exception>
    public virtual Task MigrateAsync(CancellationToken cancellationToken) =>
        WriteAsync("ledger.migrate", (connection, tx) => Migrations.ApplyAsync(connection, tx, Description, Rows.Time(Now()), cancellationToken), cancellationToken);

    public async Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken) =>
        (int)await ScalarLongAsync("SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", cancellationToken);

    public abstract Task<string> CheckIntegrityAsync(CancellationToken cancellationToken);

    public abstract ValueTask DisposeAsync();

    private protected DateTimeOffset Now() => _time.GetUtcNow();

    /// <summary>A connection ready for the ledger's statements; the caller disposes it.</summary>
    private protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    private protected async Task<T> ReadAsync<T>(Func<DbConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        return await read(connection);
    }

    private protected Task<IReadOnlyList<T>> QueryAsync<T>(string sql, Func<DbDataReader, T> read, CancellationToken cancellationToken, params (string, object?)[] parameters) =>
        ReadAsync(connection => Statements.QueryAsync(connection, null, sql, read, cancellationToken, parameters), cancellationToken);

    private protected Task<long> ScalarLongAsync(string sql, CancellationToken cancellationToken, params (string, object?)[] parameters) =>
        ReadAsync(connection => Statements.ScalarLongAsync(connection, null, sql, cancellationToken, parameters), cancellationToken);

    /// <summary>Work in a transaction of its own that commits when the work returns; an exception rolls it back.</summary>
    /// <param name="point">The crash point of this write (see <see cref="CrashPoint"/>).</param>
    private protected async Task<T> WriteAsync<T>(string point, Func<DbConnection, DbTransaction, Task<T>> write, CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        var result = await write(connection, tx);
        ReachCrashPoint(point);
        await tx.CommitAsync(cancellationToken);
        return result;
    }

    private protected Task WriteAsync(string point, Func<DbConnection, DbTransaction, Task> write, CancellationToken cancellationToken) =>
        WriteAsync(point, async (connection, tx) =>
        {
            await write(connection, tx);
            return true;
        }, cancellationToken);

    /// <summary>One statement in a transaction of its own; returns how many rows it changed.</summary>
    private protected Task<int> ExecuteAsync(string point, string sql, CancellationToken cancellationToken, params (string, object?)[] parameters) =>
        WriteAsync(point, (connection, tx) => Statements.ExecuteAsync(connection, tx, sql, cancellationToken, parameters), cancellationToken);

    private protected void ReachCrashPoint(string point)
    {
        if (_crashPoints)
        {
            CrashPoint.Reach(point);
        }
    }
}
