using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Ledger;
using Backfill.Sources.AlphaVantage;

namespace Backfill.Engine.Datasets.Ohlcv;

/// <summary>
/// The Alpha Vantage daily budget (<c>alphavantage.dailyBudget</c>) counted in the ledger's <c>request_budget</c> table, so it
/// carries across runs and processes sharing the ledger. The day is the New York (US/Eastern) calendar day: Alpha Vantage does
/// not document when its daily count resets; it is a US service, and counting by New York day keeps the budget aligned with the
/// trading day the runs fetch. Every HTTP request counts, retries included, before it is sent.
/// </summary>
public sealed class LedgerRequestBudget(ILedger ledger, int limit, TimeProvider? time = null) : IRequestBudget
{
    public const string Source = "alphavantage";
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Today in New York, the day the count is kept for.</summary>
    public DateOnly Today => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(_time.GetUtcNow(), NyseCalendar.Instance.TimeZone).DateTime);

    public int Limit => limit;

    public Task<int> UsedTodayAsync(CancellationToken cancellationToken) => ledger.GetRequestCountAsync(Source, Today, cancellationToken);

    public async Task TakeAsync(CancellationToken cancellationToken)
    {
        var day = Today;
        if (!await ledger.TryTakeRequestAsync(Source, day, limit, cancellationToken))
        {
            throw new QuotaExhaustedException(
                $"The daily budget of {limit} Alpha Vantage request(s) for {day:yyyy-MM-dd} (New York day; alphavantage.dailyBudget) is spent, " +
                "counted across runs in the ledger. Run the same command again tomorrow, or raise alphavantage.dailyBudget on a premium plan.");
        }
    }
}
