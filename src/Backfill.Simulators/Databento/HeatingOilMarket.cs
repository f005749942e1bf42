using Backfill.Core.Calendars;
using Backfill.Quant;
using Backfill.Sources.Databento.Cme;
using Backfill.Sources.Databento.Dbn;

namespace Backfill.Simulators.Databento;

/// <summary>
/// A deterministic NY Harbor ULSD market: a daily front price path (geometric random walk from the seed, around
/// $2.50/gal), a gently sloped futures curve, an at-the-money volatility that drifts between 25 % and 55 % with an
/// upside skew, and OH option settlements priced with Black-76 and rounded to the $0.0001 tick (never below one tick,
/// as CME settlements of far strikes are). Options without trades some days have no daily bar but still settle.
/// </summary>
internal sealed class HeatingOilMarket
{
    public const string FuturesRoot = "HO";
    public const string OptionRoot = "OH";
    public const double Rate = 0.04;
    public const decimal Tick = 0.0001m;

    private static readonly DateOnly PathStart = CmeEnergyCalendar.MinDate;
    private readonly double[] _logPrice;
    private readonly double[] _volatility;
    private readonly int _seed;
    private readonly decimal _strikeStep;

    public HeatingOilMarket(int seed, decimal strikeStep)
    {
        _seed = seed;
        _strikeStep = strikeStep <= 0 ? 0.05m : strikeStep;
        var days = CmeEnergyCalendar.MaxDate.DayNumber - PathStart.DayNumber + 1;
        _logPrice = new double[days];
        _volatility = new double[days];
        var random = new Random(seed);
        var log = Math.Log(2.5);
        var vol = 0.35;
        for (var i = 0; i < days; i++)
        {
            var shock = Gaussian(random);
            vol = Math.Clamp(vol + (0.02 * Gaussian(random)) + (0.01 * (0.38 - vol)), 0.25, 0.55);
            log += (vol / Math.Sqrt(365) * shock) + (0.002 * (Math.Log(2.5) - log));
            _logPrice[i] = log;
            _volatility[i] = vol;
        }
    }

    /// <summary>Contract months listed on <paramref name="date"/> (futures: 24 months from the front; options: 12).</summary>
    public IEnumerable<ContractMonth> ListedFutures(DateOnly date)
    {
        var front = CmeEnergyContracts.FrontFutures(date);
        for (var i = 0; i < 24; i++)
        {
            yield return front.AddMonths(i);
        }
    }

    public IEnumerable<ContractMonth> ListedOptionContracts(DateOnly date)
    {
        var contract = CmeEnergyContracts.FrontFutures(date);
        if (CmeEnergyContracts.OptionLastTrade(contract) < date)
        {
            contract = contract.AddMonths(1);
        }

        for (var i = 0; i < 12; i++)
        {
            yield return contract.AddMonths(i);
        }
    }

    /// <summary>Listed strikes: a fixed grid from $0.50 to $6.00 so a chosen option stays listed until it expires.</summary>
    public IEnumerable<decimal> Strikes()
    {
        for (var k = 0.50m; k <= 6.00m; k += _strikeStep)
        {
            yield return k;
        }
    }

    /// <summary>Futures settlement of <paramref name="contract"/> on <paramref name="date"/>, on the tick.</summary>
    public decimal FuturesSettlement(ContractMonth contract, DateOnly date)
    {
        var i = Index(date);
        var monthsOut = ((contract.Year * 12) + contract.Month) - ((date.Year * 12) + date.Month);
        var seasonal = 0.03 * Math.Cos(2 * Math.PI * (contract.Month - 1) / 12.0); // winter premium for heating oil
        var price = Math.Exp(_logPrice[i]) * (1 + seasonal - (0.004 * monthsOut));
        return OnTick(price);
    }

    public double AtTheMoneyVolatility(DateOnly date) => _volatility[Index(date)];

    /// <summary>Option settlement, or null once the option has expired.</summary>
    public decimal? OptionSettlement(ContractMonth contract, bool call, decimal strike, DateOnly date)
    {
        var expiry = CmeEnergyContracts.OptionLastTrade(contract);
        if (date > expiry)
        {
            return null;
        }

        var forward = (double)FuturesSettlement(contract, date);
        var k = (double)strike;
        var years = Math.Max(expiry.DayNumber - date.DayNumber, 0.5) / 365.0;
        var moneyness = Math.Log(k / forward);
        var sigma = AtTheMoneyVolatility(date) * (1 + (0.25 * Math.Abs(moneyness)) + (moneyness > 0 ? 0.1 * moneyness : 0));
        var price = Black76.Price(call ? OptionRight.Call : OptionRight.Put, forward, k, years, sigma, Rate);
        return Math.Max(OnTick(price), Tick);
    }

    /// <summary>Whether an instrument traded on <paramref name="date"/> (deep wings trade rarely), deterministic.</summary>
    public bool Traded(uint instrumentId, DateOnly date, decimal? premium)
    {
        var h = Mix((ulong)instrumentId, (ulong)date.DayNumber, (ulong)_seed);
        var chance = premium is { } p ? (p >= 0.01m ? 0.95 : 0.35) : 1.0;
        return (h % 10_000) / 10_000.0 < chance;
    }

    public static uint FuturesId(ContractMonth contract) => (uint)(100_000 + (contract.Year * 12) + contract.Month);

    public static uint OptionId(ContractMonth contract, bool call, decimal strike) =>
        (uint)(10_000_000 + (((contract.Year % 100 * 12) + contract.Month) * 200_000) + ((int)(strike * 10_000) * 2) + (call ? 0 : 1)) ;

    public static ulong Nanos(DateOnly date, int hour = 0, int minute = 0) =>
        DbnConstants.ToNanos(date) + (ulong)((hour * 3600L) + (minute * 60L)) * 1_000_000_000UL;

    private static int Index(DateOnly date)
    {
        var i = date.DayNumber - PathStart.DayNumber;
        if ((uint)i >= (uint)(CmeEnergyCalendar.MaxDate.DayNumber - PathStart.DayNumber + 1))
        {
            throw new ArgumentOutOfRangeException(nameof(date), date, "The simulated market covers 2010-2035 only.");
        }

        return i;
    }

    private static decimal OnTick(double price) => Math.Round((decimal)price / Tick, MidpointRounding.AwayFromZero) * Tick;

    private static double Gaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    private static ulong Mix(ulong a, ulong b, ulong c)
    {
        var h = (a * 0x9E3779B97F4A7C15UL) ^ (b + 0x632BE59BD9B4E019UL + (h0(c)));
        h ^= h >> 33;
        h *= 0xFF51AFD7ED558CCDUL;
        h ^= h >> 33;
        return h;

        static ulong h0(ulong x) => x * 0xC2B2AE3D27D4EB4FUL;
    }
}
