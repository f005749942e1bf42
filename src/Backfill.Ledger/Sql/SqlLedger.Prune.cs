using Backfill.Ledger.Model;

namespace Backfill.Ledger.Sql;

/// <summary>Removing old history: attempts, errors and metrics. Units and configuration are never pruned.</summary>
public abstract partial class SqlLedger
{
    /// <summary>
    /// The tables whose old rows may go and the time that makes a row old. An attempt is old when it ended before the
    /// cutoff: an attempt still open (its unit in processing, or left by a crash until recovery closes it) is kept.
    /// </summary>
    private static readonly (string Table, string Column)[] Prunable =
    [
        ("attempt_log", "ended_at"),
        ("error_log", "occurred_at"),
        ("performance_metrics", "recorded_at"),
    ];

    public async Task<IReadOnlyList<PrunedRows>> PruneHistoryAsync(DateTimeOffset olderThan, bool dryRun, CancellationToken cancellationToken)
    {
        var cutoff = Rows.Time(olderThan);
        if (dryRun)
        {
            return await ReadAsync(async connection =>
            {
                var counts = new List<PrunedRows>();
                foreach (var (table, column) in Prunable)
                {
                    var rows = await Statements.ScalarLongAsync(connection, null, $"SELECT COUNT(*) FROM {table} WHERE {column} < @cutoff;", cancellationToken, ("@cutoff", cutoff));
                    counts.Add(new PrunedRows(table, column, rows));
                }

                return counts;
            }, cancellationToken);
        }

        // One transaction: a kill leaves every table as it was or every table pruned.
        return await WriteAsync<IReadOnlyList<PrunedRows>>("ledger.prune", async (connection, tx) =>
        {
            var counts = new List<PrunedRows>();
            foreach (var (table, column) in Prunable)
            {
                var rows = await Statements.ExecuteAsync(connection, tx, $"DELETE FROM {table} WHERE {column} < @cutoff;", cancellationToken, ("@cutoff", cutoff));
                counts.Add(new PrunedRows(table, column, rows));
            }

            return counts;
        }, cancellationToken);
    }
}
