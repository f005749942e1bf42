using Backfill.Ledger.Model;
using Backfill.Sources.Databento.Cme;
using Backfill.Sources.Databento.Dbn;
using Backfill.Sources.Databento.Http;

namespace Backfill.Engine.Datasets.Fop;

/// <summary>Estimates for one planned date; <paramref name="CostUsd"/> is null when the vendor could not be asked.</summary>
public sealed record FopPlanDate(DateOnly Date, long Requests, long Rows, long Bytes, double Seconds, decimal? CostUsd);

/// <summary>One <c>metadata.get_cost</c> query the estimate asked and its answer (USD).</summary>
public sealed record FopCostQuery(string Purpose, GetRangeRequest Request, decimal CostUsd);

/// <summary>A dry-run plan: per-date estimates, the cost queries behind them, and the totals.</summary>
public sealed record FopPlan(
    IReadOnlyList<FopPlanDate> Dates,
    IReadOnlyList<FopCostQuery> CostQueries,
    int SelectionsToCompute,
    int SelectionsCached,
    string Basis)
{
    /// <summary>Total estimated cost in USD, or null when the vendor was not asked or refused.</summary>
    public decimal? TotalCostUsd => Dates.Any(d => d.CostUsd is null) ? null : Dates.Sum(d => d.CostUsd!.Value);

    public long TotalRequests => Dates.Sum(d => d.Requests);

    public long TotalRows => Dates.Sum(d => d.Rows);

    public long TotalBytes => Dates.Sum(d => d.Bytes);

    public double TotalSeconds => Dates.Sum(d => d.Seconds);
}

/// <summary>
/// Plans a run of the <c>fop</c> dataset without downloading data. Rows per date are exact (one per selection alive
/// that date). Requests, bytes and time come from the ledger's recent successful dates when there are some, otherwise
/// from the request pattern (one statistics request per date, three per roll-date selection not cached yet). The cost
/// comes from Databento's <c>metadata.get_cost</c>, asked for the queries the run will make:
/// <list type="bullet">
/// <item>per selection still to compute: the roll date's <c>OH.OPT</c> definitions (exact), the settlements of the
/// whole <c>OH.OPT</c> parent over [R, R+2) (an upper bound: the run asks only one contract month's calls), and the
/// underlying futures' settlements (exact);</item>
/// <item>per month of planned dates: the settlements of the front futures and of the cached selections alive
/// (exact); settlements of selections not known yet are priced like those symbol-days, in proportion.</item>
/// </list>
/// The daily-bar fallback (<c>ohlcv-1d</c>, only when a settlement is missing) is not priced.
/// </summary>
public sealed class FopPlanner(FopStrategy strategy, string selectionCache)
{
    private const int RequestsPerSelection = 3;

    /// <summary>Rows and selections per date, without asking the vendor.</summary>
    public async Task<FopPlan> PlanAsync(
        IReadOnlyList<DateOnly> dates, IReadOnlyList<UnitRecord> history, DatabentoHistoricalClient? client, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dates);
        ArgumentNullException.ThrowIfNull(history);
        var selector = new FopSelector(null!, strategy, selectionCache);
        var ordered = dates.Distinct().Order().ToList();

        // Which selections each date needs, and which of them are cached.
        var perDate = new Dictionary<DateOnly, List<(DateOnly Roll, ContractMonth Contract)>>();
        var known = new Dictionary<(DateOnly, ContractMonth), FopSelection?>();
        foreach (var date in ordered)
        {
            var rolls = selector.ActiveRolls(date).ToList();
            perDate[date] = rolls;
            foreach (var roll in rolls)
            {
                if (!known.ContainsKey(roll))
                {
                    known[roll] = await selector.TryCachedAsync(roll.RollDate, roll.Contract, cancellationToken);
                }
            }
        }

        // A cached selection may have expired before a date its roll covers by calendar month; it is not alive there.
        bool Alive(DateOnly date, (DateOnly Roll, ContractMonth Contract) roll) =>
            known[roll] is not { } s || date <= s.Expiration;

        var toCompute = known.Where(k => k.Value is null).Select(k => k.Key).ToHashSet();
        var firstUse = new Dictionary<(DateOnly, ContractMonth), DateOnly>();
        foreach (var date in ordered)
        {
            foreach (var roll in perDate[date].Where(toCompute.Contains))
            {
                firstUse.TryAdd(roll, date);
            }
        }

        var recent = history.Where(u => u.Status == UnitStatus.Success).OrderBy(u => u.TradeDate).TakeLast(20).ToList();
        var basis = recent.Count == 0
            ? "the request pattern (no fop date processed yet; time assumes 0.5 s per request)"
            : $"the average of the last {recent.Count} processed fop date(s)";
        double avgBytes = recent.Count == 0 ? 16_000 : recent.Average(u => (double)(u.FileSize ?? 0)) * 2; // the Parquet file and its CSV
        double avgSecondsPerRequest = recent.Count == 0 ? 0.5
            : recent.Sum(u => (u.DurationMs ?? 0) / 1000.0) / Math.Max(1, recent.Sum(u => u.ApiRequests ?? 1));

        var costs = client is null ? null : await CostsAsync(client, ordered, perDate, known, toCompute, firstUse, Alive, cancellationToken);
        var result = new List<FopPlanDate>();
        foreach (var date in ordered)
        {
            var rows = Math.Max(1, perDate[date].Count(r => Alive(date, r)));
            var newSelections = firstUse.Count(f => f.Value == date);
            var requests = 1L + (RequestsPerSelection * newSelections);
            result.Add(new FopPlanDate(date, requests, rows, (long)avgBytes, Math.Round(requests * avgSecondsPerRequest, 2),
                costs is null ? null : costs.Value.PerDate.GetValueOrDefault(date)));
        }

        return new FopPlan(result, costs?.Queries ?? [], toCompute.Count, known.Count - toCompute.Count, basis);
    }

    private static async Task<(Dictionary<DateOnly, decimal> PerDate, List<FopCostQuery> Queries)?> CostsAsync(
        DatabentoHistoricalClient client,
        List<DateOnly> ordered,
        Dictionary<DateOnly, List<(DateOnly Roll, ContractMonth Contract)>> perDate,
        Dictionary<(DateOnly, ContractMonth), FopSelection?> known,
        HashSet<(DateOnly, ContractMonth)> toCompute,
        Dictionary<(DateOnly, ContractMonth), DateOnly> firstUse,
        Func<DateOnly, (DateOnly, ContractMonth), bool> alive,
        CancellationToken cancellationToken)
    {
        var perDateCost = ordered.ToDictionary(d => d, _ => 0m);
        var queries = new List<FopCostQuery>();

        async Task<decimal> AskAsync(string purpose, GetRangeRequest request)
        {
            var cost = await client.GetCostAsync(request, cancellationToken);
            queries.Add(new FopCostQuery(purpose, request, cost));
            return cost;
        }

        foreach (var (roll, contract) in toCompute.OrderBy(r => r.Item1))
        {
            var underlying = CmeEnergyContracts.FuturesSymbol(FopStrategy.FuturesRoot, contract);
            var cost = await AskAsync($"selection {roll:yyyy-MM-dd}: OH.OPT definitions",
                GetRangeRequest.ForDates(FopStrategy.Dataset, ["OH.OPT"], DbnSchema.Definition, DbnSType.Parent, roll, roll.AddDays(1)));
            cost += await AskAsync($"selection {roll:yyyy-MM-dd}: chain settlements (upper bound: whole OH.OPT parent)",
                GetRangeRequest.ForDates(FopStrategy.Dataset, ["OH.OPT"], DbnSchema.Statistics, DbnSType.Parent, roll, roll.AddDays(2)));
            cost += await AskAsync($"selection {roll:yyyy-MM-dd}: {underlying} settlement",
                GetRangeRequest.ForDates(FopStrategy.Dataset, [underlying], DbnSchema.Statistics, DbnSType.RawSymbol, roll, roll.AddDays(2)));
            perDateCost[firstUse[(roll, contract)]] += cost;
        }

        foreach (var month in ordered.GroupBy(d => (d.Year, d.Month)))
        {
            var days = month.ToList();
            var symbols = new SortedSet<string>(StringComparer.Ordinal);
            var knownSymbolDays = new Dictionary<DateOnly, int>();
            var unknownSymbolDays = new Dictionary<DateOnly, int>();
            foreach (var date in days)
            {
                symbols.Add(CmeEnergyContracts.FuturesSymbol(FopStrategy.FuturesRoot, CmeEnergyContracts.FrontFutures(date)));
                var cached = perDate[date].Where(r => alive(date, r) && known[r] is not null).Select(r => known[r]!.Symbol).ToList();
                symbols.UnionWith(cached);
                knownSymbolDays[date] = 1 + cached.Count;
                unknownSymbolDays[date] = perDate[date].Count(r => known[r] is null);
            }

            var cost = await AskAsync($"prices {days[0]:yyyy-MM}: settlements of {symbols.Count} known symbol(s)",
                GetRangeRequest.ForDates(FopStrategy.Dataset, [.. symbols], DbnSchema.Statistics, DbnSType.RawSymbol, days[0], days[^1].AddDays(2)));
            var knownTotal = knownSymbolDays.Values.Sum();
            var perSymbolDay = knownTotal == 0 ? 0m : cost / knownTotal;
            foreach (var date in days)
            {
                perDateCost[date] += perSymbolDay * (knownSymbolDays[date] + unknownSymbolDays[date]);
            }
        }

        return (perDateCost, queries);
    }
}
