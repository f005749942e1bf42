using Backfill.Ledger.Model;

namespace Backfill.Ledger.Sql;

/// <summary>What the monitoring reads (recent activity) and what <c>backfill alerts</c> remembers (<c>alert_state</c>).</summary>
public abstract partial class SqlLedger
{
    private const string AlertStateColumns = "alert_key, state, active_since, last_sent_at, last_sent_state, summary, updated_at";

    public Task<LedgerActivity> GetActivityAsync(string dataset, DateTimeOffset since, CancellationToken cancellationToken) => ReadAsync(async connection =>
    {
        var at = Rows.Time(since);
        var attempts = await Statements.QueryAsync(connection, null, """
            SELECT outcome, COUNT(*) FROM attempt_log WHERE dataset = @d AND ended_at >= @since AND outcome IS NOT NULL GROUP BY outcome;
            """, r => (r.GetString(0), (int)r.GetInt64(1)), cancellationToken, ("@d", dataset), ("@since", at));
        var errors = await Statements.QueryAsync(connection, null, """
            SELECT error_type, COUNT(*) FROM error_log WHERE dataset = @d AND occurred_at >= @since GROUP BY error_type;
            """, r => (r.GetString(0), (int)r.GetInt64(1)), cancellationToken, ("@d", dataset), ("@since", at));
        var requests = await Statements.ScalarLongAsync(connection, null, """
            SELECT COALESCE(SUM(api_requests), 0) FROM processing_log WHERE dataset = @d AND updated_at >= @since;
            """, cancellationToken, ("@d", dataset), ("@since", at));
        var last = await Statements.QueryAsync(connection, null, """
            SELECT MAX(completed_at) FROM processing_log WHERE dataset = @d AND status = 'success';
            """, r => Rows.ReadNullableTime(r, 0), cancellationToken, ("@d", dataset));
        return new LedgerActivity(dataset, since, attempts.ToDictionary(a => a.Item1, a => a.Item2, StringComparer.Ordinal),
            errors.ToDictionary(e => e.Item1, e => e.Item2, StringComparer.Ordinal), requests, last.Count == 0 ? null : last[0]);
    }, cancellationToken);

    public Task<IReadOnlyList<AlertStateRecord>> ListAlertStatesAsync(CancellationToken cancellationToken) =>
        QueryAsync($"SELECT {AlertStateColumns} FROM alert_state ORDER BY alert_key;", r => new AlertStateRecord(
            r.GetString(0), r.GetString(1), Rows.ReadNullableTime(r, 2), Rows.ReadNullableTime(r, 3),
            r.IsDBNull(4) ? null : r.GetString(4), r.GetString(5), Rows.ReadTime(r, 6)), cancellationToken);

    public Task SaveAlertStateAsync(AlertStateRecord state, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(state);
        return ExecuteAsync("ledger.alert", $"""
            INSERT INTO alert_state ({AlertStateColumns}) VALUES (@key, @state, @since, @sentAt, @sentState, @summary, @updated)
            ON CONFLICT (alert_key) DO UPDATE SET state = excluded.state, active_since = excluded.active_since,
                last_sent_at = excluded.last_sent_at, last_sent_state = excluded.last_sent_state, summary = excluded.summary,
                updated_at = excluded.updated_at;
            """, cancellationToken, ("@key", state.Key), ("@state", state.State), ("@since", Time(state.ActiveSince)),
            ("@sentAt", Time(state.LastSentAt)), ("@sentState", state.LastSentState), ("@summary", StoredMessage.Cut(state.Summary)),
            ("@updated", Rows.Time(state.UpdatedAt)));
    }

    private object? Time(DateTimeOffset? time) => time is { } t ? Rows.Time(t) : null;
}
