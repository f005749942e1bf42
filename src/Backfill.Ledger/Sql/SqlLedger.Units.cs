using System.Data.Common;
using Backfill.Ledger.Model;

namespace Backfill.Ledger.Sql;

/// <summary>Units and their leases: claim, heartbeat, progress, the end of an attempt, crash recovery, sub-units.</summary>
public abstract partial class SqlLedger
{
    /// <summary>The milliseconds from <c>started_at</c> to <c>@now</c>, in this database's date arithmetic.</summary>
    private protected abstract string DurationSinceStartSql { get; }

    /// <summary>
    /// <see cref="LedgerRows.UnitColumns"/> of dataset <c>@d</c> from <c>@from</c> to <c>@to</c> (null: open end) with status
    /// <c>@status</c> (null: any), by date.
    /// </summary>
    private protected abstract string ListUnitsSql { get; }

    /// <summary>
    /// One row for dataset <c>@d</c>: its first and last successful date, their rows and bytes (0 when none, as bigint), and the
    /// latest <c>updated_at</c>.
    /// </summary>
    private protected abstract string SummaryTotalsSql { get; }

    /// <summary><see cref="LedgerRows.SubUnitColumns"/> of unit (<c>@d</c>, <c>@date</c>), by sub-unit in byte order.</summary>
    private protected abstract string CompletedSubUnitsSql { get; }

    public abstract Task<UnitClaim?> TryClaimUnitAsync(
        string dataset, DateOnly date, string owner, TimeSpan lease, bool allowSuccessful, CancellationToken cancellationToken);

    public Task<int> RenewLeaseAsync(string owner, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = Now();
        return ExecuteAsync("ledger.renew", """
            UPDATE processing_log SET lease_expires_at = @lease, updated_at = @now
            WHERE owner = @owner AND status = 'processing';
            """, cancellationToken, ("@lease", Rows.Time(now + lease)), ("@now", Rows.Time(now)), ("@owner", owner));
    }

    public Task UpdateProgressAsync(string dataset, DateOnly date, string owner, int subUnitsTotal, int subUnitsDone, long apiRequests, CancellationToken cancellationToken) =>
        ExecuteAsync("ledger.progress", """
            UPDATE processing_log SET subunits_total = @total, subunits_done = @done, api_requests = @requests, updated_at = @now
            WHERE dataset = @d AND trade_date = @date AND owner = @owner;
            """, cancellationToken, ("@total", subUnitsTotal), ("@done", subUnitsDone), ("@requests", apiRequests),
            ("@now", Rows.Time(Now())), ("@d", dataset), ("@date", Rows.Date(date)), ("@owner", owner));

    public async Task CompleteUnitAsync(string dataset, DateOnly date, string owner, UnitSuccess success, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(success);
        var now = Now();
        await WriteAsync("ledger.complete", async (connection, tx) =>
        {
            var updated = await Statements.ExecuteAsync(connection, tx, """
                UPDATE processing_log SET status = 'success', owner = NULL, lease_expires_at = NULL, completed_at = @now,
                    duration_ms = @duration, file_path = @path, file_size = @size, file_sha256 = @sha, content_sha256 = @content,
                    row_count = @rows, subunits_total = @subunits, subunits_done = @subunits, api_requests = @requests,
                    peak_memory_bytes = @memory, quality_score = @quality, duplicates_dropped = @dups,
                    last_error_type = NULL, last_error_message = NULL, updated_at = @now
                WHERE dataset = @d AND trade_date = @date AND owner = @owner;
                """, cancellationToken,
                ("@now", Rows.Time(now)), ("@duration", success.DurationMs), ("@path", success.FilePath), ("@size", success.FileSize),
                ("@sha", success.FileSha256), ("@content", success.ContentSha256), ("@rows", success.RowCount),
                ("@subunits", success.SubUnitsTotal), ("@requests", success.ApiRequests), ("@memory", success.PeakMemoryBytes),
                ("@quality", success.QualityScore), ("@dups", success.DuplicatesDropped),
                ("@d", dataset), ("@date", Rows.Date(date)), ("@owner", owner));
            if (updated != 1)
            {
                throw new InvalidOperationException(
                    $"Unit {dataset} {date:yyyy-MM-dd} is not held by {owner}: its lease expired and another worker took it over.");
            }

            await EndAttemptAsync(connection, tx, dataset, date, owner, "success", null, now, cancellationToken);
            await Statements.ExecuteAsync(connection, tx, "DELETE FROM subunit_progress WHERE dataset = @d AND trade_date = @date;",
                cancellationToken, ("@d", dataset), ("@date", Rows.Date(date)));
        }, cancellationToken);
    }

    public Task FailUnitAsync(string dataset, DateOnly date, string owner, string errorType, string message, CancellationToken cancellationToken) =>
        EndUnitAsync(dataset, date, owner, UnitStatus.Failed, errorType, message, cancellationToken);

    public Task InterruptUnitAsync(string dataset, DateOnly date, string owner, string reason, CancellationToken cancellationToken) =>
        EndUnitAsync(dataset, date, owner, UnitStatus.Interrupted, "Interrupted", reason, cancellationToken);

    public abstract Task<IReadOnlyList<DateOnly>> RecoverExpiredAsync(string dataset, CancellationToken cancellationToken);

    public Task ResetUnitAsync(string dataset, DateOnly date, CancellationToken cancellationToken) =>
        ExecuteAsync("ledger.reset", """
            UPDATE processing_log SET file_path = NULL, file_size = NULL, file_sha256 = NULL, content_sha256 = NULL,
                row_count = NULL, subunits_done = 0, status = CASE WHEN status = 'processing' THEN status ELSE 'queued' END,
                updated_at = @now
            WHERE dataset = @d AND trade_date = @date;
            DELETE FROM subunit_progress WHERE dataset = @d AND trade_date = @date;
            """, cancellationToken, ("@now", Rows.Time(Now())), ("@d", dataset), ("@date", Rows.Date(date)));

    public Task<UnitRecord?> GetUnitAsync(string dataset, DateOnly date, CancellationToken cancellationToken) =>
        ReadAsync(connection => ReadUnitAsync(connection, null, dataset, date, cancellationToken), cancellationToken);

    public Task<IReadOnlyList<UnitRecord>> ListUnitsAsync(string dataset, DateOnly? from, DateOnly? to, UnitStatus? status, CancellationToken cancellationToken) =>
        QueryAsync(ListUnitsSql, Rows.Unit, cancellationToken,
            ("@d", dataset), ("@from", Rows.Date(from)), ("@to", Rows.Date(to)), ("@status", status?.ToDb()));

    public Task<LedgerSummary> GetSummaryAsync(string dataset, CancellationToken cancellationToken) => ReadAsync(async connection =>
    {
        var counts = Enum.GetValues<UnitStatus>().ToDictionary(s => s, _ => 0);
        var perStatus = await Statements.QueryAsync(connection, null, "SELECT status, COUNT(*) FROM processing_log WHERE dataset = @d GROUP BY status;",
            r => (Status: UnitStatusNames.FromDb(r.GetString(0)), Count: (int)r.GetInt64(1)), cancellationToken, ("@d", dataset));
        foreach (var (status, count) in perStatus)
        {
            counts[status] = count;
        }

        var totals = await Statements.QueryAsync(connection, null, SummaryTotalsSql,
            r => (First: Rows.ReadNullableDate(r, 0), Last: Rows.ReadNullableDate(r, 1), Rows: r.GetInt64(2), Bytes: r.GetInt64(3), LastActivity: Rows.ReadNullableTime(r, 4)),
            cancellationToken, ("@d", dataset));
        var (first, last, rows, bytes, lastActivity) = totals[0];
        var errors = (int)await Statements.ScalarLongAsync(connection, null, "SELECT COUNT(*) FROM error_log WHERE dataset = @d AND occurred_at >= @since;",
            cancellationToken, ("@d", dataset), ("@since", Rows.Time(Now().AddHours(-24))));
        return new LedgerSummary(dataset, counts, first, last, rows, bytes, lastActivity, errors);
    }, cancellationToken);

    public Task MarkSubUnitCompleteAsync(string dataset, DateOnly date, string subUnit, long rows, CancellationToken cancellationToken) =>
        ExecuteAsync("ledger.subunit", """
            INSERT INTO subunit_progress (dataset, trade_date, subunit, rows, completed_at) VALUES (@d, @date, @s, @rows, @now)
            ON CONFLICT (dataset, trade_date, subunit) DO UPDATE SET rows = excluded.rows, completed_at = excluded.completed_at;
            """, cancellationToken, ("@d", dataset), ("@date", Rows.Date(date)), ("@s", subUnit), ("@rows", rows), ("@now", Rows.Time(Now())));

    public Task<IReadOnlyList<SubUnitRecord>> GetCompletedSubUnitsAsync(string dataset, DateOnly date, CancellationToken cancellationToken) =>
        QueryAsync(CompletedSubUnitsSql, r => Rows.SubUnit(r, dataset, date), cancellationToken, ("@d", dataset), ("@date", Rows.Date(date)));

    /// <param name="lockClause">Appended to the SELECT: how this read locks the row, if it does.</param>
    private protected async Task<UnitRecord?> ReadUnitAsync(
        DbConnection connection, DbTransaction? tx, string dataset, DateOnly date, CancellationToken cancellationToken, string lockClause = "")
    {
        var units = await Statements.QueryAsync(connection, tx,
            $"SELECT {LedgerRows.UnitColumns} FROM processing_log WHERE dataset = @d AND trade_date = @date{lockClause};",
            Rows.Unit, cancellationToken, ("@d", dataset), ("@date", Rows.Date(date)));
        return units.Count == 0 ? null : units[0];
    }

    /// <summary>Opens attempt <paramref name="attempt"/> of a unit just claimed.</summary>
    private protected Task StartAttemptAsync(
        DbConnection connection, DbTransaction tx, string dataset, DateOnly date, int attempt, string owner, DateTimeOffset now, CancellationToken cancellationToken) =>
        Statements.ExecuteAsync(connection, tx, """
            INSERT INTO attempt_log (dataset, trade_date, attempt, owner, started_at) VALUES (@d, @date, @attempt, @owner, @now);
            """, cancellationToken, ("@d", dataset), ("@date", Rows.Date(date)), ("@attempt", attempt), ("@owner", owner), ("@now", Rows.Time(now)));

    private Task EndAttemptAsync(
        DbConnection connection, DbTransaction tx, string dataset, DateOnly date, string owner, string outcome, string? message, DateTimeOffset now,
        CancellationToken cancellationToken) =>
        Statements.ExecuteAsync(connection, tx, """
            UPDATE attempt_log SET ended_at = @now, outcome = @outcome, message = @message
            WHERE dataset = @d AND trade_date = @date AND owner = @owner AND ended_at IS NULL;
            """, cancellationToken, ("@now", Rows.Time(now)), ("@outcome", outcome), ("@message", message),
            ("@d", dataset), ("@date", Rows.Date(date)), ("@owner", owner));

    private Task EndUnitAsync(string dataset, DateOnly date, string owner, UnitStatus status, string errorType, string message, CancellationToken cancellationToken)
    {
        var now = Now();
        return WriteAsync("ledger.end", async (connection, tx) =>
        {
            await Statements.ExecuteAsync(connection, tx, $"""
                UPDATE processing_log SET status = @status, owner = NULL, lease_expires_at = NULL, completed_at = @now,
                    duration_ms = {DurationSinceStartSql},
                    last_error_type = @type, last_error_message = @message, updated_at = @now
                WHERE dataset = @d AND trade_date = @date AND owner = @owner;
                """, cancellationToken, ("@status", status.ToDb()), ("@now", Rows.Time(now)), ("@type", errorType), ("@message", StoredMessage.Cut(message)),
                ("@d", dataset), ("@date", Rows.Date(date)), ("@owner", owner));
            await EndAttemptAsync(connection, tx, dataset, date, owner, status.ToDb(), StoredMessage.Cut(message), now, cancellationToken);
        }, cancellationToken);
    }
}
