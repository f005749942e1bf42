namespace Backfill.Core.Calendars;

/// <summary>
/// Regular trading hours of a US-listed option class on a date (exchange-local wall clock, America/New_York),
/// built on the NYSE calendar: sessions, holidays and early closes are the stock market's. Equity options and most
/// ETF options close with the stocks (16:00, 13:00 on early-close days); cash-settled index options and a set of
/// ETF options trade 15 minutes longer (16:15, 13:15). PM-settled index options stop with the stocks on their
/// expiration day. Sources and the list of late-closing classes: <c>src/Backfill.Core/Calendars/README.md</c>.
/// </summary>
public static class OptionSessions
{
    /// <summary>How much longer the late-closing classes trade than the stocks.</summary>
    public static readonly TimeSpan LateCloseExtension = TimeSpan.FromMinutes(15);

    // Cash-settled index option classes (Cboe Rule 5.1: index options trade 9:30 to 16:15).
    private static readonly HashSet<string> IndexRoots = new(StringComparer.Ordinal)
    {
        "SPX", "SPXW", "XSP", "NDX", "NDXP", "XND", "RUT", "RUTW", "MRUT", "OEX", "XEO", "DJX", "VIX", "VIXW",
    };

    // PM-settled index classes: on their expiration day they stop at the stock market's close (the settlement print).
    private static readonly HashSet<string> PmSettledIndexRoots = new(StringComparer.Ordinal)
    {
        "SPXW", "XSP", "NDXP", "XND", "RUTW", "MRUT",
    };

    // ETF (exchange-traded product) option classes that trade until 16:15 ET, as listed by the exchanges' "select ETPs".
    private static readonly HashSet<string> LateEtfRoots = new(StringComparer.Ordinal)
    {
        "DIA", "EEM", "EFA", "FXI", "IWM", "IWN", "IWO", "IWV", "IYR", "KBE", "KRE", "LQD", "MDY", "OEF", "QQQ",
        "SPY", "SVXY", "TLT", "UNG", "UUP", "UVXY", "VXX", "XHB", "XLB", "XLE", "XLF", "XLI", "XLK", "XLP", "XLU",
        "XLV", "XLY", "XME", "XRT",
    };

    /// <summary>The session rules of option root <paramref name="root"/> (case-insensitive).</summary>
    public static OptionProductSessions For(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var upper = root.Trim().ToUpperInvariant();
        var kind = IndexRoots.Contains(upper) ? OptionProductKind.Index
            : LateEtfRoots.Contains(upper) ? OptionProductKind.LateClosingEtf
            : OptionProductKind.EquityOrEtf;
        return new OptionProductSessions(upper, kind, PmSettledIndexRoots.Contains(upper), NyseCalendar.Instance);
    }
}

/// <summary>Which closing rule an option class follows.</summary>
public enum OptionProductKind
{
    /// <summary>Options on stocks and on most ETFs: the stock market's hours.</summary>
    EquityOrEtf,

    /// <summary>ETF options that trade 15 minutes after the stocks close (SPY, QQQ, IWM, DIA, ...).</summary>
    LateClosingEtf,

    /// <summary>Cash-settled index options: 15 minutes after the stocks close.</summary>
    Index,
}

/// <summary>One day's regular session of an option class: open and close, exchange-local (America/New_York).</summary>
public readonly record struct OptionSession(DateOnly Date, TimeOnly Open, TimeOnly Close)
{
    public TimeSpan Length => Close - Open;

    /// <summary>
    /// Bars of <paramref name="intervalMs"/> that start inside the session, counting only the part up to
    /// <paramref name="cutoff"/> when given (a data source that stops earlier, e.g. the terminal's regular hours).
    /// </summary>
    public int Bars(int intervalMs, TimeOnly? cutoff = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(intervalMs);
        var end = cutoff is { } c && c < Close ? c : Close;
        var span = end - Open;
        return span <= TimeSpan.Zero ? 0 : (int)(span.Ticks / TimeSpan.FromMilliseconds(intervalMs).Ticks);
    }
}

/// <summary>The session rules of one option class (see <see cref="OptionSessions.For"/>).</summary>
public sealed class OptionProductSessions
{
    private readonly ITradingCalendar _calendar;

    internal OptionProductSessions(string root, OptionProductKind kind, bool pmSettledIndex, ITradingCalendar calendar)
    {
        Root = root;
        Kind = kind;
        PmSettledIndex = pmSettledIndex;
        _calendar = calendar;
    }

    public string Root { get; }

    public OptionProductKind Kind { get; }

    /// <summary>A PM-settled index class: on an expiration day its expiring series stop at the stock market's close.</summary>
    public bool PmSettledIndex { get; }

    /// <summary>Whether the class trades 15 minutes after the stock market's close.</summary>
    public bool ClosesLate => Kind != OptionProductKind.EquityOrEtf;

    /// <summary>
    /// The regular session on <paramref name="date"/>, or null when the NYSE does not trade that day. With
    /// <paramref name="expiration"/> equal to the date, a PM-settled index series closes with the stocks.
    /// </summary>
    public OptionSession? On(DateOnly date, DateOnly? expiration = null)
    {
        if (!_calendar.IsSession(date) || _calendar.OpenTime(date) is not { } open || _calendar.CloseTime(date) is not { } stockClose)
        {
            return null;
        }

        var expiring = expiration == date && PmSettledIndex;
        var close = ClosesLate && !expiring ? stockClose.Add(OptionSessions.LateCloseExtension) : stockClose;
        return new OptionSession(date, open, close);
    }
}
