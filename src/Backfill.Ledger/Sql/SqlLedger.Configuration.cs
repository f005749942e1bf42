using Backfill.Ledger.Model;

namespace Backfill.Ledger.Sql;

/// <summary>Stored configuration with its history, and the vendors' daily request budget.</summary>
public abstract partial class SqlLedger
{
    /// <summary><see cref="LedgerRows.ConfigColumns"/> of dataset <c>@d</c> and key <c>@k</c> (null: every key), by key in byte order.</summary>
    private protected abstract string ConfigSql { get; }

    /// <summary><see cref="LedgerRows.ConfigChangeColumns"/> of dataset <c>@d</c> and key <c>@k</c> (null: every key), oldest first.</summary>
    private protected abstract string ConfigHistorySql { get; }

    /// <summary>
    /// What keeps two writers of key (<c>@d</c>, <c>@k</c>) from taking the same next version, run first in the write; null
    /// when the write transaction already keeps every other writer out.
    /// </summary>
    private protected abstract string? ConfigKeyLockSql { get; }

    public async Task<ConfigEntry?> GetConfigAsync(string dataset, string key, CancellationToken cancellationToken)
    {
        var all = await QueryAsync(ConfigSql, r => Rows.Config(r, dataset), cancellationToken, ("@d", dataset), ("@k", key));
        return all.Count == 0 ? null : all[0];
    }

    public Task<IReadOnlyList<ConfigEntry>> ListConfigAsync(string dataset, CancellationToken cancellationToken) =>
        QueryAsync(ConfigSql, r => Rows.Config(r, dataset), cancellationToken, ("@d", dataset), ("@k", null));

    /// <remarks>
    /// Versions count per key and keep counting after a delete, so the history never repeats a version. Storing the value
    /// already stored changes nothing and records nothing.
    /// </remarks>
    public async Task SetConfigAsync(string dataset, string key, string? value, string changedBy, CancellationToken cancellationToken)
    {
        var now = Rows.Time(Now());
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        if (ConfigKeyLockSql is { } lockKey)
        {
            await Statements.ExecuteAsync(connection, tx, lockKey, cancellationToken, ("@d", dataset), ("@k", key));
        }

        var stored = await Statements.QueryAsync(connection, tx, "SELECT value, version FROM configuration WHERE dataset = @d AND key = @k;",
            r => (Value: r.GetString(0), Version: r.GetInt32(1)), cancellationToken, ("@d", dataset), ("@k", key));
        string? old = null;
        var version = 0;
        if (stored.Count > 0)
        {
            (old, version) = stored[0];
        }

        if (old == value)
        {
            return;
        }

        if (version == 0)
        {
            version = (int)await Statements.ScalarLongAsync(connection, tx,
                "SELECT COALESCE(MAX(version), 0) FROM configuration_history WHERE dataset = @d AND key = @k;",
                cancellationToken, ("@d", dataset), ("@k", key));
        }

        var next = version + 1;
        var write = value is null
            ? "DELETE FROM configuration WHERE dataset = @d AND key = @k;"
            : """
              INSERT INTO configuration (dataset, key, value, version, updated_at, updated_by) VALUES (@d, @k, @v, @version, @now, @by)
              ON CONFLICT (dataset, key) DO UPDATE SET value = excluded.value, version = excluded.version,
                  updated_at = excluded.updated_at, updated_by = excluded.updated_by;
              """;
        await Statements.ExecuteAsync(connection, tx, write, cancellationToken,
            ("@d", dataset), ("@k", key), ("@v", value), ("@version", next), ("@now", now), ("@by", changedBy));
        await Statements.ExecuteAsync(connection, tx, """
            INSERT INTO configuration_history (dataset, key, old_value, new_value, version, changed_at, changed_by)
            VALUES (@d, @k, @old, @v, @version, @now, @by);
            """, cancellationToken, ("@d", dataset), ("@k", key), ("@old", old), ("@v", value), ("@version", next), ("@now", now), ("@by", changedBy));
        ReachCrashPoint("ledger.config");
        await tx.CommitAsync(cancellationToken);
    }

    public Task<IReadOnlyList<ConfigChange>> GetConfigHistoryAsync(string dataset, string? key, CancellationToken cancellationToken) =>
        QueryAsync(ConfigHistorySql, r => Rows.ConfigChange(r, dataset), cancellationToken, ("@d", dataset), ("@k", key));

    /// <remarks>
    /// One insert-or-increment that only increments below the limit: atomic across processes, so concurrent takes never
    /// exceed it. The columns carry the table's name because <c>excluded</c> (the proposed row) has the same ones.
    /// </remarks>
    public async Task<bool> TryTakeRequestAsync(string source, DateOnly day, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(limit);
        return limit > 0 && await ExecuteAsync("ledger.budget", """
            INSERT INTO request_budget (source, budget_day, requests, updated_at) VALUES (@s, @day, 1, @now)
            ON CONFLICT (source, budget_day) DO UPDATE SET requests = request_budget.requests + 1, updated_at = excluded.updated_at
            WHERE request_budget.requests < @limit;
            """, cancellationToken, ("@s", source), ("@day", Rows.Date(day)), ("@now", Rows.Time(Now())), ("@limit", limit)) == 1;
    }

    public async Task<int> GetRequestCountAsync(string source, DateOnly day, CancellationToken cancellationToken) =>
        (int)await ScalarLongAsync("SELECT requests FROM request_budget WHERE source = @s AND budget_day = @day;",
            cancellationToken, ("@s", source), ("@day", Rows.Date(day)));
}
