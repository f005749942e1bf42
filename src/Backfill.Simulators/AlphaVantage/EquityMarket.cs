using System.Collections.Concurrent;
using Backfill.Core.Calendars;

namespace Backfill.Simulators.AlphaVantage;

/// <summary>A simulated daily bar with the adjusted fields (the simulator drops them for TIME_SERIES_DAILY).</summary>
public sealed record SimBar(DateOnly Date, decimal Open, decimal High, decimal Low, decimal Close, long Volume, decimal AdjustedClose, decimal Dividend, decimal Split);

/// <summary>
/// Deterministic daily bars on the NYSE calendar from 2005 to the simulated today: a seeded random walk per symbol, a few
/// splits (AAPL 7:1 2014-06-09 and 4:1 2020-08-31, TSLA 3:1 2022-08-25, KO 2:1 2012-08-13) and quarterly dividends for
/// the dividend payers, with adjusted closes computed backwards from the last bar exactly as the factors imply.
/// </summary>
public sealed class EquityMarket(int seed, DateOnly today)
{
    private static readonly Dictionary<(string, DateOnly), decimal> Splits = new()
    {
        [("AAPL", new DateOnly(2014, 6, 9))] = 7m,
        [("AAPL", new DateOnly(2020, 8, 31))] = 4m,
        [("TSLA", new DateOnly(2022, 8, 25))] = 3m,
        [("KO", new DateOnly(2012, 8, 13))] = 2m,
    };

    private static readonly HashSet<string> DividendPayers = new(StringComparer.Ordinal) { "AAPL", "MSFT", "IBM", "KO", "SPY" };

    private readonly ConcurrentDictionary<string, IReadOnlyList<SimBar>> _series = new(StringComparer.Ordinal);

    public DateOnly Today { get; } = today;

    public IReadOnlyList<SimBar> Series(string symbol) => _series.GetOrAdd(symbol, Build);

    private IReadOnlyList<SimBar> Build(string symbol)
    {
        var calendar = TradingCalendars.Get("XNYS");
        var first = new DateOnly(2005, 1, 3) < calendar.FirstDate ? calendar.FirstDate : new DateOnly(2005, 1, 3);
        var dates = calendar.SessionsBetween(first, Today);
        var random = new Random(HashCode.Combine(seed, StableHash(symbol)));
        var price = 20.0 + (StableHash(symbol) % 200);
        var raw = new List<(DateOnly Date, decimal O, decimal H, decimal L, decimal C, long V, decimal Div, decimal Split)>(dates.Count);
        var lastDividendQuarter = -1;
        foreach (var date in dates)
        {
            var split = Splits.TryGetValue((symbol, date), out var s) ? s : 1m;
            price /= (double)split;
            var open = price * (1 + ((random.NextDouble() - 0.5) * 0.01));
            var close = open * (1 + ((random.NextDouble() - 0.5) * 0.04));
            var high = Math.Max(open, close) * (1 + (random.NextDouble() * 0.01));
            var low = Math.Min(open, close) * (1 - (random.NextDouble() * 0.01));
            price = Math.Max(1.0, close);
            var quarter = (date.Year * 4) + ((date.Month - 1) / 3);
            var dividend = 0m;
            if (DividendPayers.Contains(symbol) && quarter != lastDividendQuarter && date.Day >= 10 && (date.Month % 3) == 2)
            {
                lastDividendQuarter = quarter;
                dividend = Math.Round((decimal)(price * 0.005), 4);
            }

            raw.Add((date, R(open), R(high), R(low), R(Math.Max(1.0, close)), (long)(1_000_000 + (random.NextDouble() * 9_000_000)), dividend, split));
        }

        // Adjusted closes backwards: factor(prev) = factor(next) / split(next) * (1 - dividend(next) / close(prev)).
        var result = new SimBar[raw.Count];
        var factor = 1.0m;
        for (var i = raw.Count - 1; i >= 0; i--)
        {
            var r = raw[i];
            var c = r.C;
            result[i] = new SimBar(r.Date, r.O, Math.Max(r.H, Math.Max(r.O, c)), Math.Min(r.L, Math.Min(r.O, c)), c, r.V, Math.Round(c * factor, 4), r.Div, r.Split);
            if (i > 0)
            {
                factor = factor / r.Split * (1 - (r.Div / raw[i - 1].C));
            }
        }

        return result;
    }

    private static decimal R(double value) => Math.Round((decimal)value, 4);

    private static int StableHash(string text)
    {
        var h = 17;
        foreach (var c in text)
        {
            h = unchecked((h * 31) + c);
        }

        return h & 0x7fffffff;
    }
}
