using Backfill.Ledger.Model;

namespace Backfill.Ledger.Sql;

/// <summary>The error history: <c>error_log</c> rows by time, kind and trade date.</summary>
public abstract partial class SqlLedger
{
    /// <summary>
    /// <see cref="LedgerRows.ErrorColumns"/> of dataset <c>@d</c> with optional bounds <c>@since</c> (occurred at or after),
    /// <c>@type</c>, <c>@from</c> and <c>@to</c> (trade dates, inclusive), the newest <c>@limit</c>, oldest first.
    /// </summary>
    private protected abstract string ErrorHistorySql { get; }

    public Task<IReadOnlyList<ErrorRecord>> ListErrorHistoryAsync(string dataset, ErrorFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return QueryAsync(ErrorHistorySql, r => Rows.Error(r, dataset), cancellationToken,
            ("@d", dataset), ("@since", filter.Since is { } since ? Rows.Time(since) : null), ("@type", filter.ErrorType),
            ("@from", Rows.Date(filter.From)), ("@to", Rows.Date(filter.To)), ("@limit", filter.Limit));
    }
}
