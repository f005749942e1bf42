namespace Backfill.Core.Calendars;

/// <summary>
/// New York Stock Exchange (XNYS) sessions from 1990-01-01 to 2035-12-31, regular hours 09:30-16:00 America/New_York.
/// </summary>
/// <remarks>
/// <para>Facts (rules, years, dates, times) come from the public <c>pandas_market_calendars</c> project
/// (github.com/rsheftel/pandas_market_calendars), files <c>pandas_market_calendars/holidays/nyse.py</c> (holiday and
/// early-close rules and the ad-hoc date lists) and <c>pandas_market_calendars/calendars/nyse.py</c> (which rule maps
/// to which close/open time), which itself cites the NYSE closings history
/// (Stocks.NYSE-Closings.pdf attached to that repository) and nyse.com. The equivalent files of the public
/// <c>exchange_calendars</c> project (exchange_calendars/xnys_holidays.py, exchange_calendar_xnys.py) could not be
/// read when this was written, so they were not cross-checked. No code was copied; see README.md in this folder.</para>
/// <para>Future years (up to 2035) follow the standing rules; ad-hoc closures such as days of mourning cannot be
/// predicted and must be added here when announced.</para>
/// </remarks>
public sealed class NyseCalendar : TableTradingCalendar
{
    public static readonly DateOnly MinDate = new(1990, 1, 1);
    public static readonly DateOnly MaxDate = new(2035, 12, 31);

    public static readonly TimeOnly RegularOpen = new(9, 30);
    public static readonly TimeOnly RegularClose = new(16, 0);

    /// <summary>Standard early close since 1993.</summary>
    public static readonly TimeOnly EarlyClose = new(13, 0);

    /// <summary>Standard early close before 1993.</summary>
    public static readonly TimeOnly EarlyClosePre1993 = new(14, 0);

    // Static initialisation is run once by the runtime under a lock, so this is a thread-safe lazy singleton
    // (the nested class defers building the tables until Instance is first read).
    private static class Holder
    {
        internal static readonly NyseCalendar Value = new();
    }

    private static readonly TimeZoneInfo _newYork = TimeZoneInfo.FindSystemTimeZoneById("America/New_York");

    private NyseCalendar()
        : base(MinDate, MaxDate, RegularClose, BuildClassifier())
    {
    }

    /// <summary>The shared, immutable instance.</summary>
    public static NyseCalendar Instance => Holder.Value;

    public override string Name => "XNYS";

    public override TimeZoneInfo TimeZone => _newYork;

    /// <summary>Holidays and one-off full-day closures on weekdays in <paramref name="year"/>, ascending, with their reason.</summary>
    public IReadOnlyList<(DateOnly Date, string Reason)> HolidaysIn(int year)
    {
        if (year < MinDate.Year || year > MaxDate.Year)
        {
            throw new ArgumentOutOfRangeException(nameof(year), year, $"XNYS calendar covers {MinDate.Year}..{MaxDate.Year} only.");
        }

        var list = new List<(DateOnly, string)>();
        var date = new DateOnly(year, 1, 1);
        var end = new DateOnly(year, 12, 31);
        for (; date <= end; date = date.AddDays(1))
        {
            if (date.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && ClosureReason(date) is { } reason)
            {
                list.Add((date, reason));
            }
        }

        return list;
    }

    private static Func<DateOnly, CalendarDay> BuildClassifier()
    {
        var closures = new Dictionary<DateOnly, string>();
        var closes = new Dictionary<DateOnly, TimeOnly>();
        var opens = new Dictionary<DateOnly, TimeOnly>();

        for (var year = MinDate.Year; year <= MaxDate.Year; year++)
        {
            AddRegularHolidays(year, closures);
            AddRegularEarlyCloses(year, closes);
        }

        AddOneOffClosures(closures);
        AddAdHocEarlyCloses(closes);
        AddAdHocLateOpens(opens);

        return date =>
        {
            if (date.DayOfWeek == DayOfWeek.Saturday)
            {
                return CalendarDay.Closed("Saturday");
            }

            if (date.DayOfWeek == DayOfWeek.Sunday)
            {
                return CalendarDay.Closed("Sunday");
            }

            if (closures.TryGetValue(date, out var reason))
            {
                return CalendarDay.Closed(reason);
            }

            var open = opens.TryGetValue(date, out var o) ? o : RegularOpen;
            var close = closes.TryGetValue(date, out var c) ? c : RegularClose;
            return CalendarDay.Session(open, close);
        };
    }

    // Regular holidays. Source: pandas_market_calendars, pandas_market_calendars/holidays/nyse.py
    // (USNewYearsDayNYSEpost1952, USMartinLutherKingJrAfter1998, USPresidentsDay, GoodFriday, USMemorialDay,
    // USJuneteenthAfter2022, USIndependenceDay, USLaborDayStarting1887, USThanksgivingDay, ChristmasNYSE).
    private static void AddRegularHolidays(int year, Dictionary<DateOnly, string> closures)
    {
        // New Year's Day: Sunday -> Monday; Saturday -> not observed (no Friday Dec 31 closure, e.g. 2005, 2011, 2022).
        var newYear = new DateOnly(year, 1, 1);
        if (newYear.DayOfWeek == DayOfWeek.Sunday)
        {
            closures.Add(newYear.AddDays(1), "New Year's Day (observed)");
        }
        else if (newYear.DayOfWeek != DayOfWeek.Saturday)
        {
            closures.Add(newYear, "New Year's Day");
        }

        // Martin Luther King Jr. Day: third Monday of January, first observed by the NYSE in 1998.
        if (year >= 1998)
        {
            closures.Add(CalendarRules.NthWeekday(year, 1, DayOfWeek.Monday, 3), "Martin Luther King Jr. Day");
        }

        // Washington's Birthday (Presidents' Day): third Monday of February (Monday rule since 1971).
        closures.Add(CalendarRules.NthWeekday(year, 2, DayOfWeek.Monday, 3), "Washington's Birthday");

        // Good Friday: two days before Gregorian Easter Sunday (closed every year since 1908).
        closures.Add(CalendarRules.EasterSunday(year).AddDays(-2), "Good Friday");

        // Memorial Day: last Monday of May (since 1971).
        closures.Add(CalendarRules.LastWeekday(year, 5, DayOfWeek.Monday), "Memorial Day");

        // Juneteenth: June 19 from 2022, nearest weekday (Saturday -> Friday, Sunday -> Monday).
        if (year >= 2022)
        {
            AddNearestWeekday(closures, new DateOnly(year, 6, 19), "Juneteenth");
        }

        // Independence Day: July 4, nearest weekday (since 1954).
        AddNearestWeekday(closures, new DateOnly(year, 7, 4), "Independence Day");

        // Labor Day: first Monday of September.
        closures.Add(CalendarRules.NthWeekday(year, 9, DayOfWeek.Monday, 1), "Labor Day");

        // Thanksgiving: fourth Thursday of November (since 1942).
        closures.Add(Thanksgiving(year), "Thanksgiving Day");

        // Christmas: December 25, nearest weekday (since 1954).
        AddNearestWeekday(closures, new DateOnly(year, 12, 25), "Christmas Day");
    }

    // Regular early closes. Source: pandas_market_calendars, holidays/nyse.py (MonTuesThursBeforeIndependenceDay,
    // FridayAfterIndependenceDayNYSEpre2013, WednesdayBeforeIndependenceDayPost2013,
    // DayAfterThanksgiving2pmEarlyCloseBefore1993, DayAfterThanksgiving1pmEarlyCloseInOrAfter1993,
    // ChristmasEvePost1999Early1pmClose) and calendars/nyse.py (special_closes: 13:00 vs 14:00 groups).
    // Rules that land on a holiday are harmless: closures win over hours when classifying.
    private static void AddRegularEarlyCloses(int year, Dictionary<DateOnly, TimeOnly> closes)
    {
        // Day before Independence Day: July 3 at 13:00 when it is a Monday, Tuesday or Thursday, from 1995.
        var july3 = new DateOnly(year, 7, 3);
        if (year >= 1995 && july3.DayOfWeek is DayOfWeek.Monday or DayOfWeek.Tuesday or DayOfWeek.Thursday)
        {
            closes[july3] = EarlyClose;
        }

        // July 4 on a Thursday: 1996-2012 the Friday after (July 5) closed at 13:00; from 2013 the Wednesday
        // before (July 3) closes at 13:00 and the Friday is a full day.
        var july5 = new DateOnly(year, 7, 5);
        if (year is >= 1996 and <= 2012 && july5.DayOfWeek == DayOfWeek.Friday)
        {
            closes[july5] = EarlyClose;
        }

        if (year >= 2013 && july3.DayOfWeek == DayOfWeek.Wednesday)
        {
            closes[july3] = EarlyClose;
        }

        // Day after Thanksgiving: not early before 1992; 14:00 in 1992; 13:00 from 1993.
        var dayAfterThanksgiving = Thanksgiving(year).AddDays(1);
        if (year == 1992)
        {
            closes[dayAfterThanksgiving] = EarlyClosePre1993;
        }
        else if (year >= 1993)
        {
            closes[dayAfterThanksgiving] = EarlyClose;
        }

        // Christmas Eve: 13:00 when a Monday-Thursday, from 1999 (earlier years are ad hoc, below).
        // On a Friday it is either the observed Christmas holiday (Christmas on Saturday) or, when Christmas is on a
        // Monday, handled by the weekend rule.
        var christmasEve = new DateOnly(year, 12, 24);
        if (year >= 1999 && christmasEve.DayOfWeek is >= DayOfWeek.Monday and <= DayOfWeek.Thursday)
        {
            closes[christmasEve] = EarlyClose;
        }
    }

    // One-off full-day closures 1990-2035. Source: pandas_market_calendars, holidays/nyse.py (NixonFuneral1994,
    // September11Closings2001, ReaganMourning2004, FordMourning2007, HurricaneSandyClosings2012,
    // GeorgeHWBushDeath2018, JimmyCarterDeath2025). Checked: that list has no other closure between 1990 and 2035
    // (the previous one, Hurricane Gloria, was 1985-09-27).
    private static void AddOneOffClosures(Dictionary<DateOnly, string> closures)
    {
        closures.Add(new DateOnly(1994, 4, 27), "Funeral of former President Nixon");
        closures.Add(new DateOnly(2001, 9, 11), "September 11 attacks");
        closures.Add(new DateOnly(2001, 9, 12), "September 11 attacks");
        closures.Add(new DateOnly(2001, 9, 13), "September 11 attacks");
        closures.Add(new DateOnly(2001, 9, 14), "September 11 attacks");
        closures.Add(new DateOnly(2004, 6, 11), "Day of mourning for former President Reagan");
        closures.Add(new DateOnly(2007, 1, 2), "Day of mourning for former President Ford");
        closures.Add(new DateOnly(2012, 10, 29), "Hurricane Sandy");
        closures.Add(new DateOnly(2012, 10, 30), "Hurricane Sandy");
        closures.Add(new DateOnly(2018, 12, 5), "Day of mourning for former President George H. W. Bush");
        closures.Add(new DateOnly(2025, 1, 9), "Day of mourning for former President Carter");
    }

    // Ad-hoc early closes 1990-2035. Source: pandas_market_calendars, holidays/nyse.py
    // (ChristmasEve2pmEarlyCloseAdhoc, ChristmasEve1pmEarlyCloseAdhoc, DayAfterChristmas1pmEarlyCloseAdhoc,
    // Snow230pmEarlyClose1994, Snow2pmEarlyClose1996, CircuitBreakerTriggered330pmEarlyClose1997,
    // SystemProb356pmEarlyClose2005). 1999-12-31 is deliberately absent: that source marks a 13:00 close as
    // disputed and not in the NYSE closings history.
    private static void AddAdHocEarlyCloses(Dictionary<DateOnly, TimeOnly> closes)
    {
        // Christmas Eve at 14:00 before 1993.
        closes[new DateOnly(1990, 12, 24)] = EarlyClosePre1993;
        closes[new DateOnly(1991, 12, 24)] = EarlyClosePre1993;
        closes[new DateOnly(1992, 12, 24)] = EarlyClosePre1993;

        // Christmas Eve at 13:00 1996-1998 (1993-1995 fell on Friday/weekend; 1999-12-24 was the observed holiday).
        closes[new DateOnly(1996, 12, 24)] = EarlyClose;
        closes[new DateOnly(1997, 12, 24)] = EarlyClose;
        closes[new DateOnly(1998, 12, 24)] = EarlyClose;

        // Friday after Christmas at 13:00.
        closes[new DateOnly(1997, 12, 26)] = EarlyClose;
        closes[new DateOnly(2003, 12, 26)] = EarlyClose;

        // Weather and market events.
        closes[new DateOnly(1994, 2, 11)] = new TimeOnly(14, 30); // snowstorm
        closes[new DateOnly(1996, 1, 8)] = new TimeOnly(14, 0);   // snow (also opened late, below)
        closes[new DateOnly(1997, 10, 27)] = new TimeOnly(15, 30); // circuit breaker triggered
        closes[new DateOnly(2005, 6, 1)] = new TimeOnly(15, 56);  // systems communication problem
    }

    // Ad-hoc late opens 1990-2035. Source: pandas_market_calendars, holidays/nyse.py and calendars/nyse.py
    // (special_opens / special_opens_adhoc).
    private static void AddAdHocLateOpens(Dictionary<DateOnly, TimeOnly> opens)
    {
        opens[new DateOnly(1990, 12, 27)] = new TimeOnly(9, 31);  // Con Edison transformer explosion
        opens[new DateOnly(1991, 1, 17)] = new TimeOnly(9, 31);   // troops in the Gulf
        opens[new DateOnly(1991, 2, 25)] = new TimeOnly(9, 31);   // troops in the Gulf
        opens[new DateOnly(1995, 12, 18)] = new TimeOnly(10, 30); // computer system troubles
        opens[new DateOnly(1996, 1, 8)] = new TimeOnly(11, 0);    // snow
        opens[new DateOnly(2001, 9, 17)] = new TimeOnly(9, 33);   // moment of silence, September 11
        opens[new DateOnly(2001, 10, 8)] = new TimeOnly(9, 31);   // moment of silence, Enduring Freedom
        opens[new DateOnly(2002, 9, 11)] = new TimeOnly(12, 0);   // first anniversary of September 11
        opens[new DateOnly(2003, 3, 20)] = new TimeOnly(9, 32);   // moment of silence, Iraqi Freedom
        opens[new DateOnly(2004, 6, 7)] = new TimeOnly(9, 32);    // moment of silence, President Reagan
        opens[new DateOnly(2006, 12, 27)] = new TimeOnly(9, 32);  // moment of silence, President Ford
    }

    private static void AddNearestWeekday(Dictionary<DateOnly, string> closures, DateOnly date, string name)
    {
        var observed = CalendarRules.NearestWeekday(date);
        closures.Add(observed, observed == date ? name : name + " (observed)");
    }

    private static DateOnly Thanksgiving(int year) => CalendarRules.NthWeekday(year, 11, DayOfWeek.Thursday, 4);
}
