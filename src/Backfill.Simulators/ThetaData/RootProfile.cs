namespace Backfill.Simulators.ThetaData;

/// <summary>What kind of product an option root is written on: it sets strike spacing, tick size and listings.</summary>
internal enum ProductKind
{
    Index,
    Etf,
    Stock,
}

/// <summary>An extra weekday expiration (besides Friday weeklies) and the first expiration date it was listed for.</summary>
internal readonly record struct WeekdayListing(DayOfWeek Day, DateOnly Since);

/// <summary>
/// How the simulator generates one option root: the underlying it follows, its price level around mid-2024, how it
/// moves with the broad market, and its listing rules. SPX and SPXW are not described here: they keep the
/// original SPX market (<see cref="OptionMarket"/>) so their bytes never change.
/// </summary>
internal sealed record RootProfile
{
    /// <summary>Friday 2024-06-14, where <see cref="Level"/> is anchored.</summary>
    public static readonly DateOnly LevelDate = new(2024, 6, 14);

    public required string Root { get; init; }

    /// <summary>Roots with the same underlying share one spot path (NDX and NDXP, RUT and RUTW).</summary>
    public required string Underlying { get; init; }

    public required ProductKind Kind { get; init; }

    /// <summary>Underlying price on <see cref="LevelDate"/> (before the seeded daily noise).</summary>
    public required double Level { get; init; }

    /// <summary>Exponent on the broad market's level: the underlying moves as (market / market at LevelDate)^Beta.</summary>
    public double Beta { get; init; } = 1.0;

    /// <summary>Implied volatility relative to the S&amp;P 500's.</summary>
    public double VolMultiplier { get; init; } = 1.0;

    public double DividendYield { get; init; }

    /// <summary>Monthlies are AM-settled (last trading day the session before), as NDX and RUT.</summary>
    public bool MonthlyAmSettled { get; init; }

    /// <summary>Only the standard monthlies (and their LEAPS) are listed under this root.</summary>
    public bool MonthliesOnly { get; init; }

    /// <summary>Monthlies are not listed under this root (PM-settled weekly roots such as NDXP and RUTW).</summary>
    public bool NoMonthlies { get; init; }

    public bool FridayWeeklies { get; init; } = true;

    /// <summary>End-of-quarter expirations (ETFs and the PM-settled index roots).</summary>
    public bool Quarterlies { get; init; }

    public IReadOnlyList<WeekdayListing> ExtraWeekdays { get; init; } = [];

    private static readonly DateOnly DailiesSince = new(2022, 11, 14);

    private static readonly Dictionary<string, RootProfile> Known = new[]
    {
        Etf("SPY", 540, beta: 1.0, vol: 1.0, dividend: 0.013,
            new WeekdayListing(DayOfWeek.Wednesday, new DateOnly(2016, 3, 2)),
            new WeekdayListing(DayOfWeek.Monday, new DateOnly(2018, 2, 26)),
            new WeekdayListing(DayOfWeek.Tuesday, DailiesSince),
            new WeekdayListing(DayOfWeek.Thursday, DailiesSince)),
        Etf("QQQ", 460, beta: 1.3, vol: 1.3, dividend: 0.006,
            new WeekdayListing(DayOfWeek.Wednesday, new DateOnly(2018, 11, 7)),
            new WeekdayListing(DayOfWeek.Monday, new DateOnly(2018, 11, 5)),
            new WeekdayListing(DayOfWeek.Tuesday, DailiesSince),
            new WeekdayListing(DayOfWeek.Thursday, DailiesSince)),
        Etf("IWM", 200, beta: 0.8, vol: 1.5, dividend: 0.012,
            new WeekdayListing(DayOfWeek.Wednesday, new DateOnly(2019, 1, 2)),
            new WeekdayListing(DayOfWeek.Monday, new DateOnly(2019, 1, 7))),
        Etf("DIA", 390, beta: 0.9, vol: 1.0, dividend: 0.017),
        new RootProfile { Root = "NDX", Underlying = "NDX", Kind = ProductKind.Index, Level = 19000, Beta = 1.3, VolMultiplier = 1.3, DividendYield = 0.007, MonthlyAmSettled = true, MonthliesOnly = true },
        new RootProfile { Root = "NDXP", Underlying = "NDX", Kind = ProductKind.Index, Level = 19000, Beta = 1.3, VolMultiplier = 1.3, DividendYield = 0.007, NoMonthlies = true, Quarterlies = true },
        new RootProfile { Root = "RUT", Underlying = "RUT", Kind = ProductKind.Index, Level = 2050, Beta = 0.8, VolMultiplier = 1.5, DividendYield = 0.012, MonthlyAmSettled = true, MonthliesOnly = true },
        new RootProfile { Root = "RUTW", Underlying = "RUT", Kind = ProductKind.Index, Level = 2050, Beta = 0.8, VolMultiplier = 1.5, DividendYield = 0.012, NoMonthlies = true, Quarterlies = true },
        Stock("AAPL", 190, beta: 1.2, vol: 1.9, dividend: 0.005),
        Stock("MSFT", 440, beta: 1.2, vol: 1.6, dividend: 0.007),
        Stock("NVDA", 125, beta: 1.8, vol: 3.6, dividend: 0.0003),
        Stock("AMZN", 185, beta: 1.3, vol: 2.2, dividend: 0.0),
        Stock("GOOGL", 175, beta: 1.2, vol: 2.0, dividend: 0.004),
        Stock("META", 500, beta: 1.4, vol: 2.6, dividend: 0.004),
        Stock("TSLA", 180, beta: 1.6, vol: 4.0, dividend: 0.0),
    }.ToDictionary(p => p.Root, StringComparer.Ordinal);

    /// <summary>The roots with a hand-set profile (every other valid root gets one from its name's hash).</summary>
    public static IEnumerable<string> KnownRoots => Known.Keys;

    /// <summary>
    /// The profile of <paramref name="root"/>: a hand-set one for well-known roots, else a single stock whose price
    /// (10 to 500), volatility and dividend follow deterministically from the root's name.
    /// </summary>
    public static RootProfile For(string root)
    {
        if (Known.TryGetValue(root, out var known))
        {
            return known;
        }

        var h = SimRandom.HashString(root);
        var level = Math.Exp(Math.Log(10) + (SimRandom.Fraction(SimRandom.Hash((long)h, 1)) * (Math.Log(500) - Math.Log(10))));
        return new RootProfile
        {
            Root = root,
            Underlying = root,
            Kind = ProductKind.Stock,
            Level = Math.Round(level, 2),
            Beta = 0.8 + (0.8 * SimRandom.Fraction(SimRandom.Hash((long)h, 2))),
            VolMultiplier = 1.5 + (1.5 * SimRandom.Fraction(SimRandom.Hash((long)h, 3))),
            DividendYield = Math.Round(0.03 * SimRandom.Fraction(SimRandom.Hash((long)h, 4)), 4),
            FridayWeeklies = SimRandom.Fraction(SimRandom.Hash((long)h, 5)) < 0.5,
        };
    }

    /// <summary>
    /// Strike spacings (1/10 cent) from the money outwards: near, then two middle bands, then far. Listing
    /// conventions by price: stocks $0.50/$1 below $25, $1/$2.50 below $100, $2.50/$5 up to a few hundred, wider above;
    /// ETFs $1 near the money ($0.50 when cheap), $5 and $10 further out; indexes 5 points near the money
    /// (10 for NDX-size levels), 25/50/100 further out.
    /// </summary>
    public int[] Spacings(double spot) => Kind switch
    {
        ProductKind.Etf => spot < 50 ? [500, 1000, 2500, 5000] : spot < 1000 ? [1000, 5000, 10_000, 25_000] : [5000, 10_000, 25_000, 50_000],
        ProductKind.Index => spot < 500 ? [1000, 5000, 10_000, 25_000]
            : spot < 3000 ? [5000, 10_000, 25_000, 50_000]
            : spot < 10_000 ? [5000, 25_000, 50_000, 100_000]
            : [10_000, 50_000, 100_000, 250_000],
        _ => spot < 25 ? [500, 1000, 2500, 5000]
            : spot < 100 ? [1000, 2500, 5000, 10_000]
            : spot < 300 ? [2500, 5000, 10_000, 20_000]
            : spot < 1000 ? [5000, 10_000, 25_000, 50_000]
            : [10_000, 25_000, 50_000, 100_000],
    };

    /// <summary>Minimum price increment of a quote: index options $0.05/$0.10 (at $3), penny-program ETFs $0.01, stocks $0.01/$0.05.</summary>
    public double TickSize(double theo) => Kind switch
    {
        ProductKind.Index => theo >= 3 ? 0.10 : 0.05,
        ProductKind.Etf => 0.01,
        _ => theo >= 3 ? 0.05 : 0.01,
    };

    /// <summary>Half the quoted spread around the theoretical value.</summary>
    public double HalfSpread(double theo, double tick) => Kind switch
    {
        ProductKind.Index => Math.Clamp((0.01 * theo) + 0.05, tick, 5.0),
        ProductKind.Etf => Math.Clamp((0.004 * theo) + 0.01, tick, 2.0),
        _ => Math.Clamp((0.008 * theo) + 0.02, tick, 3.0),
    };

    private static RootProfile Etf(string root, double level, double beta, double vol, double dividend, params WeekdayListing[] extra) =>
        new()
        {
            Root = root, Underlying = root, Kind = ProductKind.Etf, Level = level, Beta = beta, VolMultiplier = vol,
            DividendYield = dividend, Quarterlies = true, ExtraWeekdays = extra,
        };

    private static RootProfile Stock(string root, double level, double beta, double vol, double dividend) =>
        new() { Root = root, Underlying = root, Kind = ProductKind.Stock, Level = level, Beta = beta, VolMultiplier = vol, DividendYield = dividend };
}
