using Backfill.Engine.Configuration;

namespace Backfill.Engine.Datasets;

/// <summary>A dataset whose vendor allows a fixed number of requests per period (ohlcv: Alpha Vantage's daily budget); <c>health</c> reports how much is left.</summary>
public interface IRequestBudgetReporter
{
    Task<RequestBudget> RequestBudgetAsync(DatasetHost host, EffectiveSettings settings, CancellationToken cancellationToken);
}

/// <summary>Requests counted against a vendor's budget in its current period (e.g. the vendor's day).</summary>
public sealed record RequestBudget(string Source, int Used, int Limit, string Period)
{
    public int Left => Math.Max(0, Limit - Used);
}
