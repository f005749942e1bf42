using Backfill.Sources.Databento.Cme;
using Backfill.Sources.Databento.Dbn;
using Backfill.Sources.Databento.Http;

namespace Backfill.Engine.Datasets.Fop;

/// <summary>A daily price and where it came from: <c>settlement</c> (statistics, stat_type 3) or <c>close</c> (ohlcv-1d).</summary>
public sealed record DailyPrice(decimal Price, string Source);

/// <summary>A call listed on the selection date with its settlement (null when none was published).</summary>
public sealed record ChainCall(string Symbol, decimal Strike, uint InstrumentId, DateOnly Expiration, decimal? Price);

/// <summary>
/// The market data the <c>fop</c> dataset needs, as Databento queries: option chains from definitions, daily prices
/// from settlement statistics with the daily bar's close as fallback. Settlements are matched by their
/// <c>ts_ref</c> trading date, not by when they were published.
/// </summary>
public sealed class FopMarketData(DatabentoHistoricalClient client)
{
    public DatabentoHistoricalClient Client => client;

    /// <summary>Calls of <paramref name="contract"/> listed on <paramref name="date"/>, with their settlement that date.</summary>
    public async Task<IReadOnlyList<ChainCall>> LoadCallChainAsync(DateOnly date, ContractMonth contract, CancellationToken cancellationToken)
    {
        var prefix = CmeEnergyContracts.FuturesSymbol(FopStrategy.OptionRoot, contract) + " C";
        var definitions = await client.GetRangeAsync(
            GetRangeRequest.ForDates(FopStrategy.Dataset, ["OH.OPT"], DbnSchema.Definition, DbnSType.Parent, date, date.AddDays(1)),
            r => r is DbnDefinition d && d.InstrumentClass == 'C' && d.RawSymbol.StartsWith(prefix, StringComparison.Ordinal),
            cancellationToken);
        var calls = new Dictionary<string, DbnDefinition>(StringComparer.Ordinal);
        foreach (DbnDefinition d in definitions.Records)
        {
            calls[d.RawSymbol] = d; // a later definition of the same symbol supersedes an earlier one
        }

        if (calls.Count == 0)
        {
            return [];
        }

        var prices = await SettlementsAsync([.. calls.Keys], date, cancellationToken);
        return [.. calls.Values
            .Select(d => new ChainCall(d.RawSymbol, DbnConstants.ToDecimal(d.StrikePrice) ?? 0m, d.InstrumentId,
                DbnConstants.ToTime(d.Expiration) is { } e ? DateOnly.FromDateTime(e.UtcDateTime) : CmeEnergyContracts.OptionLastTrade(contract),
                prices.TryGetValue(d.RawSymbol, out var p) ? p.Price : null))
            .Where(c => c.Strike > 0)
            .OrderBy(c => c.Strike)];
    }

    /// <summary>Settlement of each symbol on <paramref name="date"/>, falling back to the daily bar's close.</summary>
    public async Task<IReadOnlyDictionary<string, DailyPrice>> DailyPricesAsync(IReadOnlyList<string> symbols, DateOnly date, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, DailyPrice>(await SettlementsAsync(symbols, date, cancellationToken), StringComparer.Ordinal);
        var missing = symbols.Where(s => !result.ContainsKey(s)).Distinct(StringComparer.Ordinal).ToList();
        if (missing.Count == 0)
        {
            return result;
        }

        var bars = await client.GetRangeAsync(
            GetRangeRequest.ForDates(FopStrategy.Dataset, missing, DbnSchema.Ohlcv1D, DbnSType.RawSymbol, date, date.AddDays(1)),
            r => r is DbnOhlcv, cancellationToken);
        var names = SymbolsById(bars.Metadata, date);
        foreach (DbnOhlcv bar in bars.Records)
        {
            if (names.TryGetValue(bar.InstrumentId, out var symbol) && DbnConstants.ToUtcDate(bar.Header.TsEvent) == date
                && DbnConstants.ToDecimal(bar.Close) is { } close)
            {
                result[symbol] = new DailyPrice(close, "close");
            }
        }

        return result;
    }

    private async Task<Dictionary<string, DailyPrice>> SettlementsAsync(IReadOnlyList<string> symbols, DateOnly date, CancellationToken cancellationToken)
    {
        var result = new Dictionary<string, DailyPrice>(StringComparer.Ordinal);
        foreach (var chunk in symbols.Distinct(StringComparer.Ordinal).Chunk(2000))
        {
            // Settlements of a trade date are published that evening (UTC) and may be re-published the next morning.
            var batch = await client.GetRangeAsync(
                GetRangeRequest.ForDates(FopStrategy.Dataset, chunk, DbnSchema.Statistics, DbnSType.RawSymbol, date, date.AddDays(2)),
                r => r is DbnStat { StatType: DbnStatType.SettlementPrice } s && s.TsRef != DbnConstants.UndefinedTimestamp && DbnConstants.ToUtcDate(s.TsRef) == date,
                cancellationToken);
            var names = SymbolsById(batch.Metadata, date);
            foreach (DbnStat stat in batch.Records)
            {
                if (names.TryGetValue(stat.InstrumentId, out var symbol) && DbnConstants.ToDecimal(stat.Price) is { } price)
                {
                    result[symbol] = new DailyPrice(price, "settlement"); // the last (final) update wins
                }
            }
        }

        return result;
    }

    /// <summary>Instrument id → requested raw symbol on <paramref name="date"/>, from the metadata's symbology mappings.</summary>
    public static Dictionary<uint, string> SymbolsById(DbnMetadata metadata, DateOnly date)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var map = new Dictionary<uint, string>();
        foreach (var mapping in metadata.Mappings)
        {
            foreach (var interval in mapping.Intervals)
            {
                if (interval.StartDate <= date && date < interval.EndDate && uint.TryParse(interval.Symbol, out var id))
                {
                    map[id] = mapping.RawSymbol;
                }
            }
        }

        return map;
    }
}
