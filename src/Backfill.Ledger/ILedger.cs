using Backfill.Ledger.Model;

namespace Backfill.Ledger;

/// <summary>
/// The record of every unit, attempt, error, metric and configuration value. One implementation per
/// database (SQLite by default; PostgreSQL for teams); both are safe for several processes at once.
/// </summary>
public interface ILedger : IAsyncDisposable
{
    /// <summary>Where the ledger lives, without credentials (for messages).</summary>
    string Description { get; }

    /// <summary>Creates or upgrades the schema. Idempotent; safe when two processes start together.</summary>
    /// <exception cref="LedgerSchemaTooNewException">A newer backfill migrated the ledger; nothing was read or changed.</exception>
    Task MigrateAsync(CancellationToken cancellationToken);

    /// <summary>The schema version after <see cref="MigrateAsync"/>.</summary>
    Task<int> GetSchemaVersionAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Claims a unit for <paramref name="owner"/> with a lease. Fails (null) when another owner holds an
    /// unexpired lease or the unit already succeeded (unless <paramref name="allowSuccessful"/>). A unit found
    /// in <c>processing</c> with an expired lease is taken over and reported as resumed.
    /// </summary>
    Task<UnitClaim?> TryClaimUnitAsync(
        string dataset, DateOnly date, string owner, TimeSpan lease, bool allowSuccessful, CancellationToken cancellationToken);

    /// <summary>Extends the lease of units <paramref name="owner"/> holds. Returns how many were extended.</summary>
    Task<int> RenewLeaseAsync(string owner, TimeSpan lease, CancellationToken cancellationToken);

    /// <summary>Updates progress counters of a claimed unit.</summary>
    Task UpdateProgressAsync(string dataset, DateOnly date, string owner, int subUnitsTotal, int subUnitsDone, long apiRequests, CancellationToken cancellationToken);

    Task CompleteUnitAsync(string dataset, DateOnly date, string owner, UnitSuccess success, CancellationToken cancellationToken);

    Task FailUnitAsync(string dataset, DateOnly date, string owner, string errorType, string message, CancellationToken cancellationToken);

    /// <summary>Leaves a claimed unit resumable (Ctrl-C, stop request).</summary>
    Task InterruptUnitAsync(string dataset, DateOnly date, string owner, string reason, CancellationToken cancellationToken);

    /// <summary>
    /// Marks every unit in <c>processing</c> whose lease expired as <c>interrupted</c> (crash recovery).
    /// Returns the dates recovered.
    /// </summary>
    Task<IReadOnlyList<DateOnly>> RecoverExpiredAsync(string dataset, CancellationToken cancellationToken);

    /// <summary>Forgets a unit's output and sub-units (before a forced re-run or after a failed-output cleanup).</summary>
    Task ResetUnitAsync(string dataset, DateOnly date, CancellationToken cancellationToken);

    Task<UnitRecord?> GetUnitAsync(string dataset, DateOnly date, CancellationToken cancellationToken);

    /// <summary>Units of a dataset in a date range (inclusive; null = open end), ascending by date.</summary>
    Task<IReadOnlyList<UnitRecord>> ListUnitsAsync(string dataset, DateOnly? from, DateOnly? to, UnitStatus? status, CancellationToken cancellationToken);

    Task<LedgerSummary> GetSummaryAsync(string dataset, CancellationToken cancellationToken);

    Task MarkSubUnitCompleteAsync(string dataset, DateOnly date, string subUnit, long rows, CancellationToken cancellationToken);

    Task<IReadOnlyList<SubUnitRecord>> GetCompletedSubUnitsAsync(string dataset, DateOnly date, CancellationToken cancellationToken);

    Task RecordErrorAsync(ErrorRecord error, CancellationToken cancellationToken);

    Task<IReadOnlyList<ErrorRecord>> ListErrorsAsync(string dataset, DateOnly? date, int limit, CancellationToken cancellationToken);

    Task RecordMetricsAsync(IReadOnlyList<MetricRecord> metrics, CancellationToken cancellationToken);

    Task<IReadOnlyList<MetricRecord>> ListMetricsAsync(string dataset, DateOnly? date, CancellationToken cancellationToken);

    Task<ConfigEntry?> GetConfigAsync(string dataset, string key, CancellationToken cancellationToken);

    Task<IReadOnlyList<ConfigEntry>> ListConfigAsync(string dataset, CancellationToken cancellationToken);

    /// <summary>Stores a value (null deletes it) and records the change with who made it.</summary>
    Task SetConfigAsync(string dataset, string key, string? value, string changedBy, CancellationToken cancellationToken);

    Task<IReadOnlyList<ConfigChange>> GetConfigHistoryAsync(string dataset, string? key, CancellationToken cancellationToken);

    /// <summary>
    /// Counts one request of a vendor <paramref name="source"/> on <paramref name="day"/> (the vendor's own day) if fewer than
    /// <paramref name="limit"/> are counted; false when that day's budget is spent. Atomic across processes.
    /// </summary>
    Task<bool> TryTakeRequestAsync(string source, DateOnly day, int limit, CancellationToken cancellationToken);

    /// <summary>Requests counted for <paramref name="source"/> on <paramref name="day"/>.</summary>
    Task<int> GetRequestCountAsync(string source, DateOnly day, CancellationToken cancellationToken);

    /// <summary>Checks the database's own integrity (SQLite <c>PRAGMA integrity_check</c>).</summary>
    Task<string> CheckIntegrityAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the history older than <paramref name="olderThan"/>: attempts that ended before it, errors and metrics
    /// recorded before it, in one transaction. Units (<c>processing_log</c>), sub-units and configuration are never
    /// touched. With <paramref name="dryRun"/> nothing is deleted and the counts say what would be.
    /// </summary>
    Task<IReadOnlyList<PrunedRows>> PruneHistoryAsync(DateTimeOffset olderThan, bool dryRun, CancellationToken cancellationToken);

    /// <summary>The <c>error_log</c> rows of <paramref name="dataset"/> that <paramref name="filter"/> selects: the newest <see cref="ErrorFilter.Limit"/>, oldest first.</summary>
    Task<IReadOnlyList<ErrorRecord>> ListErrorHistoryAsync(string dataset, ErrorFilter filter, CancellationToken cancellationToken);

    /// <summary>
    /// Attempts that ended, errors recorded and vendor requests of units updated at or after <paramref name="since"/>, and
    /// the completion time of the newest success: a handful of indexed aggregates, cheap enough for every scrape.
    /// </summary>
    Task<LedgerActivity> GetActivityAsync(string dataset, DateTimeOffset since, CancellationToken cancellationToken);

    /// <summary>Every alert <c>backfill alerts</c> has seen (<c>alert_state</c>), by key.</summary>
    Task<IReadOnlyList<AlertStateRecord>> ListAlertStatesAsync(CancellationToken cancellationToken);

    /// <summary>Stores an alert's state, replacing the one with the same key.</summary>
    Task SaveAlertStateAsync(AlertStateRecord state, CancellationToken cancellationToken);
}
