using Backfill.Ledger.Model;

namespace Backfill.Ledger.Sql;

/// <summary>The error log and performance metrics.</summary>
public abstract partial class SqlLedger
{
    /// <summary><see cref="LedgerRows.ErrorColumns"/> of dataset <c>@d</c> on <c>@date</c> (null: any date), newest first, at most <c>@limit</c>.</summary>
    private protected abstract string ListErrorsSql { get; }

    /// <summary><see cref="LedgerRows.MetricColumns"/> of dataset <c>@d</c> on <c>@date</c> (null: any date), in the order recorded.</summary>
    private protected abstract string ListMetricsSql { get; }

    public async Task RecordErrorAsync(ErrorRecord error, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(error);
        var at = error.OccurredAt == default ? Now() : error.OccurredAt;
        await ExecuteAsync("ledger.error", """
            INSERT INTO error_log (dataset, trade_date, subunit, error_type, message, attempt, status_code, will_retry, occurred_at)
            VALUES (@d, @date, @s, @type, @message, @attempt, @status, @retry, @at);
            """, cancellationToken, ("@d", error.Dataset), ("@date", Rows.Date(error.TradeDate)), ("@s", error.SubUnit),
            ("@type", error.ErrorType), ("@message", StoredMessage.Cut(error.Message)), ("@attempt", error.Attempt),
            ("@status", error.StatusCode), ("@retry", Rows.Flag(error.WillRetry)), ("@at", Rows.Time(at)));
    }

    public Task<IReadOnlyList<ErrorRecord>> ListErrorsAsync(string dataset, DateOnly? date, int limit, CancellationToken cancellationToken) =>
        QueryAsync(ListErrorsSql, r => Rows.Error(r, dataset), cancellationToken, ("@d", dataset), ("@date", Rows.Date(date)), ("@limit", limit));

    public async Task RecordMetricsAsync(IReadOnlyList<MetricRecord> metrics, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        if (metrics.Count == 0)
        {
            return;
        }

        await WriteAsync("ledger.metrics", async (connection, tx) =>
        {
            foreach (var m in metrics)
            {
                var at = m.RecordedAt == default ? Now() : m.RecordedAt;
                await Statements.ExecuteAsync(connection, tx, """
                    INSERT INTO performance_metrics (dataset, trade_date, metric, value, unit, recorded_at) VALUES (@d, @date, @m, @v, @u, @at);
                    """, cancellationToken, ("@d", m.Dataset), ("@date", Rows.Date(m.TradeDate)), ("@m", m.Name), ("@v", m.Value), ("@u", m.Unit), ("@at", Rows.Time(at)));
            }
        }, cancellationToken);
    }

    public Task<IReadOnlyList<MetricRecord>> ListMetricsAsync(string dataset, DateOnly? date, CancellationToken cancellationToken) =>
        QueryAsync(ListMetricsSql, r => Rows.Metric(r, dataset), cancellationToken, ("@d", dataset), ("@date", Rows.Date(date)));
}
