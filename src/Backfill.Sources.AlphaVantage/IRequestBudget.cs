namespace Backfill.Sources.AlphaVantage;

/// <summary>Requests allowed beyond one client's life (e.g. a day's count persisted across runs).</summary>
public interface IRequestBudget
{
    /// <summary>Counts one request, or throws <see cref="Core.Errors.QuotaExhaustedException"/> when the budget is spent.</summary>
    Task TakeAsync(CancellationToken cancellationToken);
}
