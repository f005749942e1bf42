namespace Backfill.Ledger.Model;

/// <summary>What <see cref="ILedger.PruneHistoryAsync"/> removed (or, in a dry run, would remove) from one table.</summary>
/// <param name="Table">The ledger table: <c>attempt_log</c>, <c>error_log</c> or <c>performance_metrics</c>.</param>
/// <param name="TimeColumn">The column a row's age is read from.</param>
/// <param name="Rows">Rows older than the cutoff.</param>
public sealed record PrunedRows(string Table, string TimeColumn, long Rows);
