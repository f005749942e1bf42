using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Core.IO;
using Backfill.Quant;
using Backfill.Sources.Databento.Cme;

namespace Backfill.Engine.Datasets.Fop;

/// <summary>The option chosen on one roll date, with the numbers that justified it.</summary>
/// <param name="RollDate">First trading day of the selection month.</param>
/// <param name="ContractYear">Futures contract month of the option (year part).</param>
/// <param name="Expiration">Option's last trading day: it is followed up to and including this date.</param>
/// <param name="UnderlyingPrice">Settlement of the option's own futures contract on the roll date (F in Black-76).</param>
/// <param name="Candidates">Calls with a premium; <paramref name="SolverFailures"/> of them had no implied volatility.</param>
public sealed record FopSelection(
    DateOnly RollDate,
    int ContractYear,
    int ContractMonth,
    string Symbol,
    decimal Strike,
    DateOnly Expiration,
    string UnderlyingSymbol,
    decimal UnderlyingPrice,
    decimal OptionPrice,
    double ImpliedVolatility,
    double Delta,
    bool WithinTolerance,
    int Candidates,
    int SolverFailures);

/// <summary>
/// Chooses, on the first trading day of each month, the call on the futures contract <c>MonthsAhead</c> months out whose
/// Black-76 delta (from its own implied volatility, time to expiry ACT/365) is closest to the target. Selections are
/// facts about the past, so each is computed once and kept as JSON under <c>{temp}/fop/selections</c>.
/// </summary>
public sealed class FopSelector(FopMarketData data, FopStrategy strategy, string cacheDirectory)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };
    private static readonly ITradingCalendar Calendar = CmeEnergyCalendar.Instance;

    /// <summary>Requests made for selections not found in the cache.</summary>
    public int Computed { get; private set; }

    /// <summary>Roll dates whose selection may still be alive on <paramref name="date"/>, with their option contract.</summary>
    public IReadOnlyList<(DateOnly RollDate, ContractMonth Contract)> ActiveRolls(DateOnly date)
    {
        var list = new List<(DateOnly, ContractMonth)>();
        for (var back = strategy.MonthsAhead + 1; back >= 0; back--)
        {
            var month = ContractMonth.Of(date).AddMonths(-back);
            var firstDay = new DateOnly(month.Year, month.Month, 1);
            if (firstDay < Calendar.FirstDate)
            {
                continue;
            }

            var roll = Calendar.IsSession(firstDay) ? firstDay : Calendar.NextSession(firstDay);
            var contract = month.AddMonths(strategy.MonthsAhead);
            if (roll <= date && date <= CmeEnergyContracts.OptionLastTrade(contract))
            {
                list.Add((roll, contract));
            }
        }

        return list;
    }

    /// <summary>The cache folder of a temp root: <c>{temp}/fop/selections</c>.</summary>
    public static string CacheDirectoryFor(string tempRoot, string dataset = FopDataset.DatasetName) => Path.Combine(tempRoot, dataset, "selections");

    /// <summary>Where the selection of one roll date and contract is cached.</summary>
    public string CachePath(DateOnly rollDate, ContractMonth contract) =>
        Path.Combine(cacheDirectory, string.Create(CultureInfo.InvariantCulture, $"{rollDate:yyyy-MM-dd}_{contract.Year:D4}{contract.Month:D2}_{strategy.CacheKey}.json"));

    /// <summary>The cached selection, or null when it was never computed (or its cache entry is damaged). No request is made.</summary>
    public async Task<FopSelection?> TryCachedAsync(DateOnly rollDate, ContractMonth contract, CancellationToken cancellationToken)
    {
        var path = CachePath(rollDate, contract);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize<FopSelection>(await File.ReadAllTextAsync(path, cancellationToken), Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public async Task<FopSelection> SelectAsync(DateOnly rollDate, ContractMonth contract, CancellationToken cancellationToken)
    {
        var path = CachePath(rollDate, contract);
        if (File.Exists(path))
        {
            try
            {
                if (JsonSerializer.Deserialize<FopSelection>(await File.ReadAllTextAsync(path, cancellationToken), Json) is { } cached)
                {
                    return cached;
                }
            }
            catch (JsonException)
            {
                // A damaged cache entry is recomputed.
            }
        }

        var selection = await ComputeAsync(rollDate, contract, cancellationToken);
        OwnerOnly.CreateDirectory(cacheDirectory);
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await OwnerOnly.WriteNewFileAsync(temp, JsonSerializer.Serialize(selection, Json), cancellationToken);
        File.Move(temp, path, overwrite: true);
        Computed++;
        return selection;
    }

    private async Task<FopSelection> ComputeAsync(DateOnly rollDate, ContractMonth contract, CancellationToken cancellationToken)
    {
        var underlying = CmeEnergyContracts.FuturesSymbol(FopStrategy.FuturesRoot, contract);
        var chain = await data.LoadCallChainAsync(rollDate, contract, cancellationToken);
        if (chain.Count == 0)
        {
            throw new NoDataException($"No {CmeEnergyContracts.FuturesSymbol(FopStrategy.OptionRoot, contract)} calls are listed on {rollDate:yyyy-MM-dd}, so no option can be selected.");
        }

        var futures = await data.DailyPricesAsync([underlying], rollDate, cancellationToken);
        if (!futures.TryGetValue(underlying, out var forward))
        {
            throw new NoDataException($"{underlying} has no settlement or close on {rollDate:yyyy-MM-dd}, so deltas cannot be computed.");
        }

        var expiry = CmeEnergyContracts.OptionLastTrade(contract);
        var years = Math.Max(expiry.DayNumber - rollDate.DayNumber, 1) / 365.0;
        var quotes = chain.Where(c => c.Price is > 0)
            .Select(c => new OptionQuote(c.Symbol, OptionRight.Call, (double)c.Strike, (double)c.Price!.Value)).ToList();
        var result = DeltaSelection.Select(quotes, (double)forward.Price, years, strategy.RiskFreeRate, strategy.TargetDelta, strategy.DeltaTolerance);
        if (result.Chosen is not { } chosen)
        {
            throw new InvalidResponseException(
                $"None of the {quotes.Count} priced {CmeEnergyContracts.FuturesSymbol(FopStrategy.OptionRoot, contract)} calls on {rollDate:yyyy-MM-dd} has an implied volatility ({result.Failures} solver failures).");
        }

        var call = chain.First(c => c.Symbol == chosen.Quote.Symbol);
        return new FopSelection(rollDate, contract.Year, contract.Month, call.Symbol, call.Strike, expiry, underlying, forward.Price,
            call.Price!.Value, chosen.ImpliedVolatility, chosen.Delta, result.WithinTolerance, quotes.Count, result.Failures);
    }
}
