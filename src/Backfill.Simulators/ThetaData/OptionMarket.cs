using System.Collections.Concurrent;
using Backfill.Core.Calendars;

namespace Backfill.Simulators.ThetaData;

/// <summary>One generated greeks tick, before it is written in a wire format.</summary>
internal struct SimTick
{
    public int MsOfDay;
    public double Bid;
    public double Ask;
    public double Delta;
    public double Theta;
    public double Vega;
    public double Rho;
    public double Epsilon;
    public double Lambda;
    public double ImpliedVol;
    public double IvError;
    public double UnderlyingPrice;
}

internal readonly record struct SimContract(string Root, DateOnly Expiration, int StrikeMilli, char Right);

/// <summary>
/// A deterministic options market for any root: spot path, listed expirations, strikes on the exchange grid, and
/// quotes with greeks from Black-Scholes on a skewed smile. SPX (AM monthlies) and SPXW (PM weeklies and dailies)
/// follow the original SPX market exactly; every other root follows its <see cref="RootProfile"/> (price level,
/// strike spacing by price, listing rules). Everything is a pure function of the seed, the root and the date;
/// nothing is stored but small caches.
/// </summary>
internal sealed class OptionMarket
{
    /// <summary>09:30:00.000 ET.</summary>
    public const int OpenMs = 34_200_000;

    /// <summary>16:00:00.000 ET. Interval rows run from open to close inclusive: 391 one-minute points.</summary>
    public const int CloseMs = 57_600_000;

    public const int MinutesPerSession = 391;

    private static readonly DateOnly FirstDate = new(2016, 1, 1);
    private readonly int _seed;
    private readonly double _scale;
    private static readonly double AnchorAtLevelDate = Anchor(RootProfile.LevelDate);
    private readonly ConcurrentDictionary<DateOnly, double[]> _paths = new();
    private readonly ConcurrentDictionary<(string Underlying, DateOnly Date), double[]> _otherPaths = new();
    private readonly ConcurrentDictionary<string, RootProfile> _profiles = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SortedDictionary<DateOnly, ExpirationInfo>> _expirations = new(StringComparer.Ordinal);

    public OptionMarket(int seed, double scale)
    {
        _seed = seed;
        _scale = scale;
    }

    /// <summary>The roots a contract listing without a root covers.</summary>
    public static IReadOnlyList<string> Roots { get; } = ["SPX", "SPXW"];

    /// <summary>The roots the v2 root list names: SPX, SPXW and the hand-set profiles (any other valid root is served too).</summary>
    public static IReadOnlyList<string> ListedRoots { get; } = [.. Roots, .. RootProfile.KnownRoots.Order(StringComparer.Ordinal)];

    private readonly record struct ExpirationInfo(DateOnly ListedFrom, DateOnly LastTradeDate, bool AmSettled, bool Monthly);

    /// <summary>SPX and SPXW: the original SPX market, kept exactly.</summary>
    public static bool IsSpx(string root) => root is "SPX" or "SPXW";

    /// <summary>A root the simulator serves: 1 to 10 upper-case letters or digits, starting with a letter.</summary>
    public static bool IsValidRoot(string root) =>
        root.Length is >= 1 and <= 10 && char.IsAsciiLetterUpper(root[0]) && root.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c));

    public RootProfile Profile(string root) => _profiles.GetOrAdd(root, RootProfile.For);

    /// <summary>Every expiration of the root from 2016 on, up to what is listed today.</summary>
    public IReadOnlyList<DateOnly> AllExpirations(string root)
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var all = Expirations(root);
        var list = new List<DateOnly>(all.Count);
        foreach (var (exp, info) in all)
        {
            if (info.ListedFrom <= today)
            {
                list.Add(exp);
            }
        }

        return list;
    }

    public bool IsTraded(string root, DateOnly expiration, DateOnly date) =>
        SimCalendar.IsSession(date)
        && Expirations(root).TryGetValue(expiration, out var info)
        && date >= info.ListedFrom && date <= info.LastTradeDate;

    /// <summary>Sessions on which the expiration traded (for the dates list endpoint).</summary>
    public IReadOnlyList<DateOnly> TradedDates(string root, DateOnly expiration)
    {
        var result = new List<DateOnly>();
        if (!Expirations(root).TryGetValue(expiration, out var info))
        {
            return result;
        }

        var last = info.LastTradeDate;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        if (last > today)
        {
            last = today;
        }

        for (var d = info.ListedFrom < FirstDate ? FirstDate : info.ListedFrom; d <= last; d = d.AddDays(1))
        {
            if (SimCalendar.IsSession(d))
            {
                result.Add(d);
            }
        }

        return result;
    }

    /// <summary>
    /// Every contract of the known roots among <paramref name="roots"/> quoted on <paramref name="date"/> (the contract
    /// listing of a date): root by root, expirations ascending, then as <see cref="Contracts"/>. Unknown roots have none.
    /// </summary>
    public IEnumerable<SimContract> QuotedContracts(IEnumerable<string> roots, DateOnly date)
    {
        foreach (var root in roots.Where(IsValidRoot).Distinct(StringComparer.Ordinal))
        {
            foreach (var expiration in AllExpirations(root))
            {
                if (IsTraded(root, expiration, date))
                {
                    foreach (var contract in Contracts(root, expiration, date))
                    {
                        yield return contract;
                    }
                }
            }
        }
    }

    /// <summary>Contracts traded on <paramref name="date"/>: strikes ascending, call before put.</summary>
    public List<SimContract> Contracts(string root, DateOnly expiration, DateOnly date)
    {
        var strikes = Strikes(root, expiration, date);
        var list = new List<SimContract>(strikes.Count * 2);
        foreach (var k in strikes)
        {
            list.Add(new SimContract(root, expiration, k, 'C'));
            list.Add(new SimContract(root, expiration, k, 'P'));
        }

        return list;
    }

    /// <summary>
    /// Strikes (1/10 cent) on the real SPX grid: 5 points near the money, then 25, 50 and 100 further out, the
    /// range widening with time to expiry (more room on the put side). Scale below 1 keeps the strikes nearest
    /// the money.
    /// </summary>
    public List<int> Strikes(string root, DateOnly expiration, DateOnly date)
    {
        var result = new List<int>();
        if (!IsTraded(root, expiration, date))
        {
            return result;
        }

        var info = Expirations(root)[expiration];
        if (!IsSpx(root))
        {
            return ProductStrikes(root, info, date);
        }

        var s = SpotPath(root, date)[0];
        var v = AtmVol(root, date);
        var years = Math.Max((expiration.DayNumber - date.DayNumber) / 365.0, 2 / 365.0);
        var sd = s * v * Math.Sqrt(years);
        var widen = info.Monthly ? 1.3 : 1.0;
        var near = Math.Clamp(1.5 * sd, 0.01 * s, 0.05 * s) * widen;
        double Band(double sds, double min, double max) => Math.Clamp(sds * sd, min * s, max * s) * widen;
        var down25 = Band(3.5, 0.03, 0.3);
        var up25 = Band(2.5, 0.02, 0.2);
        var down50 = Band(5, 0.05, 0.5);
        var up50 = Band(3.5, 0.03, 0.3);
        var down100 = Math.Min(Band(8, 0.15, 0.8), 0.85 * s);
        var up100 = Band(5, 0.08, 0.6);
        var lo = (int)Math.Ceiling((s - down100) / 5) * 5;
        var hi = (int)Math.Floor((s + up100) / 5) * 5;
        for (var k = Math.Max(lo, 5); k <= hi; k += 5)
        {
            var dist = k - s;
            var spacing = Math.Abs(dist) <= near ? 5
                : (dist < 0 ? -dist <= down25 : dist <= up25) ? 25
                : (dist < 0 ? -dist <= down50 : dist <= up50) ? 50
                : 100;
            if (k % spacing == 0)
            {
                result.Add(k * 1000);
            }
        }

        if (_scale < 1.0 && result.Count > 4)
        {
            var keep = Math.Max(4, (int)Math.Round(result.Count * _scale));
            var atm = (int)Math.Round(s) * 1000;
            var nearest = result.OrderBy(k => Math.Abs(k - atm)).ThenBy(k => k).Take(keep).ToList();
            nearest.Sort();
            return nearest;
        }

        return result;
    }

    /// <summary>Spot of the root's underlying at each minute 09:30..16:00 (391 points).</summary>
    public double[] SpotPath(string root, DateOnly date) =>
        IsSpx(root) ? _paths.GetOrAdd(date, BuildPath) : _otherPaths.GetOrAdd((Profile(root).Underlying, date), key => BuildProductPath(Profile(root), key.Date));

    /// <summary>At-the-money implied volatility of the root on the day: the S&amp;P 500's scaled by the root's multiplier.</summary>
    public double AtmVol(string root, DateOnly date) => IsSpx(root) ? AtmVol(date) : AtmVol(date) * Profile(root).VolMultiplier;

    /// <summary>At-the-money implied volatility of the S&amp;P 500: a yearly regime with seeded daily noise.</summary>
    private double AtmVol(DateOnly date)
    {
        double regime = date.Year switch
        {
            <= 2016 => 0.14,
            2017 => 0.11,
            2018 => 0.16,
            2019 => 0.14,
            2020 => 0.28,
            2021 => 0.17,
            2022 => 0.25,
            2023 => 0.15,
            2024 => 0.13,
            _ => 0.17,
        };
        var rng = new SimRandom(SimRandom.Hash(_seed, date.DayNumber, 11));
        return regime * Math.Exp(0.15 * rng.NextNormal());
    }

    public static double Rate(DateOnly date) => date.Year switch
    {
        <= 2016 => 0.005,
        2017 => 0.01,
        2018 or 2019 => 0.02,
        2020 => 0.005,
        2021 => 0.001,
        2022 => 0.02,
        2023 => 0.05,
        2024 => 0.053,
        _ => 0.043,
    };

    public const double DividendYield = 0.014;

    /// <summary>Fills one tick of <paramref name="contract"/> at interval point <paramref name="msOfDay"/>.</summary>
    public void Tick(in SimContract contract, DateOnly date, int msOfDay, double spot, double atmVol, ref SimTick tick)
    {
        var info = Expirations(contract.Root)[contract.Expiration];
        var spx = IsSpx(contract.Root);
        var profile = spx ? null : Profile(contract.Root);
        var expiryMinutes = (contract.Expiration.DayNumber - date.DayNumber) * 1440.0
            + ((info.AmSettled ? OpenMs : CloseMs) - msOfDay) / 60_000.0;
        var t = Math.Max(expiryMinutes, 1.0) / (365.0 * 1440.0);
        var r = Rate(date);
        var q = profile?.DividendYield ?? DividendYield;
        var k = contract.StrikeMilli / 1000.0;
        var forward = spot * Math.Exp((r - q) * t);
        var atm = atmVol * (1 + (0.1 * (1 - Math.Exp(-4 * t))));
        var x = Math.Log(k / forward) / (atm * Math.Sqrt(Math.Max(t, 1.0 / 365)));
        var sigma = Math.Clamp(atm * (1 - (0.12 * x) + (0.02 * x * x)), Math.Max(0.4 * atm, 0.05), 4 * atm);
        var call = contract.Right == 'C';
        var bs = BlackScholes.Evaluate(call, spot, k, t, r, q, sigma);
        var theo = Math.Max(bs.Price, 0);
        var tickSize = profile?.TickSize(theo) ?? (theo >= 3 ? 0.10 : 0.05);
        var half = profile?.HalfSpread(theo, tickSize) ?? Math.Clamp((0.01 * theo) + 0.05, tickSize, 5.0);
        var bid = Math.Max(0, Math.Floor((theo - half) / tickSize) * tickSize);
        var ask = Math.Max(tickSize, Math.Ceiling((theo + half) / tickSize) * tickSize);
        var mid = (bid + ask) / 2;
        tick.MsOfDay = msOfDay;
        tick.Bid = Math.Round(bid, 2);
        tick.Ask = Math.Round(ask, 2);
        tick.Delta = Math.Round(bs.Delta, 4);
        tick.Theta = Math.Round(bs.Theta / 365, 4);
        tick.Vega = Math.Round(bs.Vega / 100, 4);
        tick.Rho = Math.Round(bs.Rho / 100, 4);
        tick.Epsilon = Math.Round(bs.Epsilon / 100, 4);
        tick.Lambda = Math.Round(bs.Delta * spot / Math.Max(mid, 0.025), 4);
        tick.ImpliedVol = Math.Round(sigma, 4);
        tick.IvError = Math.Round(Math.Min(Math.Abs(theo - mid) / Math.Max(mid, 0.05), 1.0) * 0.01, 4);
        tick.UnderlyingPrice = Math.Round(spot, 2);
    }

    private double[] BuildPath(DateOnly date)
    {
        var open = Anchor(date);
        var smooth = 0.0;
        var phases = new SimRandom(SimRandom.Hash(_seed, 3));
        for (var i = 1; i <= 4; i++)
        {
            var period = 40.0 * i * i;
            smooth += 0.02 / i * Math.Sin((2 * Math.PI * date.DayNumber / period) + (2 * Math.PI * phases.NextDouble()));
        }

        var rng = new SimRandom(SimRandom.Hash(_seed, date.DayNumber, 5));
        open *= Math.Exp(smooth + (0.006 * rng.NextNormal()));
        var perMinute = AtmVol(date) / Math.Sqrt(252.0 * 390.0);
        var path = new double[MinutesPerSession];
        path[0] = open;
        for (var i = 1; i < path.Length; i++)
        {
            path[i] = path[i - 1] * Math.Exp(perMinute * rng.NextNormal());
        }

        return path;
    }

    /// <summary>Yearly levels roughly anchored to history, interpolated day by day.</summary>
    private static double Anchor(DateOnly date)
    {
        static double Level(int year) => year switch
        {
            <= 2016 => 2000,
            2017 => 2300,
            2018 => 2700,
            2019 => 2800,
            2020 => 3200,
            2021 => 3900,
            2022 => 4700,
            2023 => 4700,
            2024 => 5500,
            2025 => 6000,
            _ => 6000 * Math.Pow(1.07, year - 2025),
        };
        var fraction = (date.DayOfYear - 1) / 365.0;
        return Level(date.Year) + ((Level(date.Year + 1) - Level(date.Year)) * fraction);
    }

    private SortedDictionary<DateOnly, ExpirationInfo> Expirations(string root) =>
        _expirations.GetOrAdd(root, BuildExpirations);

    private SortedDictionary<DateOnly, ExpirationInfo> BuildExpirations(string root)
    {
        if (!IsSpx(root))
        {
            return BuildProductExpirations(Profile(root));
        }

        var result = new SortedDictionary<DateOnly, ExpirationInfo>();
        var end = DateOnly.FromDateTime(DateTime.UtcNow).AddYears(4);
        var rootKey = (long)SimRandom.HashString(root);
        void Add(DateOnly exp, int listDaysAhead, bool am, bool monthly)
        {
            if (result.ContainsKey(exp))
            {
                return;
            }

            if (_scale < 1.0 && !(SimRandom.Fraction(SimRandom.Hash(_seed, rootKey, exp.DayNumber)) < Math.Max(_scale, 0.05)))
            {
                return;
            }

            var last = am ? SimCalendar.PreviousSession(exp) : exp;
            result[exp] = new ExpirationInfo(exp.AddDays(-listDaysAhead), last, am, monthly);
        }

        for (var month = new DateOnly(2016, 1, 1); month <= end; month = month.AddMonths(1))
        {
            var third = SimCalendar.SessionOnOrBefore(CalendarRules.NthWeekday(month.Year, month.Month, DayOfWeek.Friday, 3));
            var leaps = month.Month is 6 or 12 ? 3 * 365 : 366;
            if (root == "SPX")
            {
                // AM-settled: the exercise value comes from Friday's opening prints; the last trading day is the day before.
                Add(third, leaps, am: true, monthly: true);
            }
            else
            {
                Add(third, month.Month == 12 ? 3 * 365 : 366, am: false, monthly: true);
            }
        }

        if (root == "SPX")
        {
            return result;
        }

        for (var d = new DateOnly(2016, 1, 4); d <= end; d = d.AddDays(1))
        {
            var quarterEnd = d.Month % 3 == 0 && d.AddDays(1).Month != d.Month;
            if (quarterEnd)
            {
                Add(SimCalendar.SessionOnOrBefore(d), 366, am: false, monthly: false);
            }

            switch (d.DayOfWeek)
            {
                case DayOfWeek.Friday:
                    Add(SimCalendar.SessionOnOrBefore(d), 8 * 7, am: false, monthly: false);
                    break;
                case DayOfWeek.Wednesday when d >= new DateOnly(2016, 2, 24) && SimCalendar.IsSession(d):
                case DayOfWeek.Monday when d >= new DateOnly(2016, 8, 15) && SimCalendar.IsSession(d):
                case DayOfWeek.Tuesday when d >= new DateOnly(2022, 4, 19) && SimCalendar.IsSession(d):
                case DayOfWeek.Thursday when d >= new DateOnly(2022, 5, 12) && SimCalendar.IsSession(d):
                    Add(d, 6 * 7, am: false, monthly: false);
                    break;
                default:
                    break;
            }
        }

        return result;
    }

    /// <summary>
    /// Strikes of a non-SPX root on its product's grid (<see cref="RootProfile.Spacings"/>): the finest spacing near
    /// the money, coarser ones further out, the range widening with time to expiry (more room on the put side).
    /// Scale below 1 keeps the strikes nearest the money.
    /// </summary>
    private List<int> ProductStrikes(string root, ExpirationInfo info, DateOnly date)
    {
        var profile = Profile(root);
        var s = SpotPath(root, date)[0];
        var v = AtmVol(root, date);
        var years = Math.Max((info.LastTradeDate.DayNumber - date.DayNumber + 1) / 365.0, 2 / 365.0);
        var sd = s * v * Math.Sqrt(years);
        var widen = info.Monthly ? 1.3 : 1.0;
        double Band(double sds, double min, double max) => Math.Clamp(sds * sd, min * s, max * s) * widen;
        var near = Band(2.5, 0.06, 0.15);
        var downMid = Band(4.5, 0.12, 0.35);
        var upMid = Band(3.5, 0.1, 0.3);
        var downWide = Band(6, 0.2, 0.5);
        var upWide = Band(4.5, 0.15, 0.45);
        var downFar = Math.Min(Band(9, 0.3, 0.85), 0.9 * s);
        var upFar = Band(6, 0.25, 1.0);
        var spacings = profile.Spacings(s);
        var grid = spacings.Aggregate(Gcd);
        var spotMilli = s * 1000;
        var lo = Math.Max((long)Math.Ceiling((spotMilli - (downFar * 1000)) / grid) * grid, grid);
        var hi = (long)Math.Floor((spotMilli + (upFar * 1000)) / grid) * grid;
        var result = new List<int>();
        for (var k = lo; k <= hi; k += grid)
        {
            var dist = (k - spotMilli) / 1000;
            var band = Math.Abs(dist) <= near ? 0
                : (dist < 0 ? -dist <= downMid : dist <= upMid) ? 1
                : (dist < 0 ? -dist <= downWide : dist <= upWide) ? 2
                : 3;
            if (k % spacings[band] == 0)
            {
                result.Add((int)k);
            }
        }

        if (_scale < 1.0 && result.Count > 4)
        {
            var keep = Math.Max(4, (int)Math.Round(result.Count * _scale));
            var atm = Math.Round(spotMilli);
            var nearest = result.OrderBy(k => Math.Abs(k - atm)).ThenBy(k => k).Take(keep).ToList();
            nearest.Sort();
            return nearest;
        }

        return result;

        static int Gcd(int a, int b) => b == 0 ? a : Gcd(b, a % b);
    }

    /// <summary>
    /// The underlying's minute path: the profile's level, moved with the broad market's yearly anchor to the power
    /// of its beta, with its own seeded slow swings, daily gap and intraday noise.
    /// </summary>
    private double[] BuildProductPath(RootProfile profile, DateOnly date)
    {
        var key = (long)SimRandom.HashString(profile.Underlying);
        var open = profile.Level * Math.Pow(Anchor(date) / AnchorAtLevelDate, profile.Beta);
        var smooth = 0.0;
        var phases = new SimRandom(SimRandom.Hash(_seed, key, 3));
        for (var i = 1; i <= 4; i++)
        {
            var period = 40.0 * i * i;
            smooth += 0.02 * profile.Beta / i * Math.Sin((2 * Math.PI * date.DayNumber / period) + (2 * Math.PI * phases.NextDouble()));
        }

        var rng = new SimRandom(SimRandom.Hash(_seed, key, date.DayNumber, 5));
        open *= Math.Exp(smooth + (0.006 * profile.VolMultiplier * rng.NextNormal()));
        var perMinute = AtmVol(profile.Root, date) / Math.Sqrt(252.0 * 390.0);
        var path = new double[MinutesPerSession];
        path[0] = open;
        for (var i = 1; i < path.Length; i++)
        {
            path[i] = path[i - 1] * Math.Exp(perMinute * rng.NextNormal());
        }

        return path;
    }

    /// <summary>
    /// Listings of a non-SPX root: standard monthlies on the third Friday (the Thursday before on a holiday; AM-settled
    /// roots stop trading the session before), listed a year ahead, and January LEAPS about 29 months ahead; end-of-quarter
    /// expirations for ETFs and PM index roots; Friday weeklies listed about six weeks ahead; and the extra weekday
    /// expirations of the profile (SPY and QQQ: every weekday since November 2022) listed about four weeks ahead.
    /// </summary>
    private SortedDictionary<DateOnly, ExpirationInfo> BuildProductExpirations(RootProfile profile)
    {
        var result = new SortedDictionary<DateOnly, ExpirationInfo>();
        var end = DateOnly.FromDateTime(DateTime.UtcNow).AddYears(4);
        var rootKey = (long)SimRandom.HashString(profile.Root);
        void Add(DateOnly exp, int listDaysAhead, bool am, bool monthly)
        {
            if (result.ContainsKey(exp))
            {
                return;
            }

            if (_scale < 1.0 && !(SimRandom.Fraction(SimRandom.Hash(_seed, rootKey, exp.DayNumber)) < Math.Max(_scale, 0.05)))
            {
                return;
            }

            var last = am ? SimCalendar.PreviousSession(exp) : exp;
            result[exp] = new ExpirationInfo(exp.AddDays(-listDaysAhead), last, am, monthly);
        }

        if (!profile.NoMonthlies)
        {
            for (var month = new DateOnly(2016, 1, 1); month <= end; month = month.AddMonths(1))
            {
                var third = SimCalendar.SessionOnOrBefore(CalendarRules.NthWeekday(month.Year, month.Month, DayOfWeek.Friday, 3));
                Add(third, month.Month == 1 ? 880 : 366, am: profile.MonthlyAmSettled, monthly: true);
            }
        }

        if (profile.MonthliesOnly)
        {
            return result;
        }

        for (var d = new DateOnly(2016, 1, 4); d <= end; d = d.AddDays(1))
        {
            var quarterEnd = d.Month % 3 == 0 && d.AddDays(1).Month != d.Month;
            if (quarterEnd && profile.Quarterlies)
            {
                Add(SimCalendar.SessionOnOrBefore(d), 366, am: false, monthly: false);
            }

            if (d.DayOfWeek == DayOfWeek.Friday)
            {
                if (profile.FridayWeeklies)
                {
                    Add(SimCalendar.SessionOnOrBefore(d), 6 * 7, am: false, monthly: false);
                }

                continue;
            }

            foreach (var extra in profile.ExtraWeekdays)
            {
                if (d.DayOfWeek == extra.Day && d >= extra.Since && SimCalendar.IsSession(d))
                {
                    Add(d, 4 * 7, am: false, monthly: false);
                }
            }
        }

        return result;
    }
}
