namespace Backfill.Core.Calendars;

/// <summary>
/// Trade dates of CME Globex energy futures and options (NYMEX: HO, CL, RB, NG and their options) from 2010-01-01 to
/// 2035-12-31, America/Chicago. A session here is a <em>trade date with a daily settlement</em>: the Globex session of a
/// trade date opens at 17:00 CT the evening before and closes at 16:00 CT (settlements are published that afternoon).
/// </summary>
/// <remarks>
/// <para>Sources: the CME Group holiday calendar (cmegroup.com/tools-information/holiday-calendar.html) as encoded in the
/// public <c>pandas_market_calendars</c> project, file <c>pandas_market_calendars/calendars/cme_globex_energy_and_metals.py</c>
/// (regular holidays New Year's Day, Good Friday, Christmas; abbreviated sessions on Martin Luther King Jr. Day,
/// Presidents' Day, Memorial Day, Juneteenth from 2022, Independence Day, Labor Day and Thanksgiving; an early
/// close at 12:45 CT on the day after Thanksgiving). Facts only; no code was copied.</para>
/// <para>On the abbreviated US-holiday sessions CME publishes no settlement for that date and trades are cleared on the
/// next trade date, so those dates are not sessions of this calendar (the Databento options puller's reference output
/// also has no rows on them: 2021-12-24, 2022-01-17, 2022-02-21). Weekend-observance follows the same rules as the
/// NYSE: Saturday holidays move to Friday and Sunday holidays to Monday, except New Year's Day on a Saturday, which is
/// not observed (CME traded on 2021-12-31).</para>
/// <para><see cref="OpenTime"/> reports 00:00: a session of this interface cannot start the evening before its date.
/// One-off closures (days of mourning, storms) are not included: add them here when needed.</para>
/// </remarks>
public sealed class CmeEnergyCalendar : TableTradingCalendar
{
    public static readonly DateOnly MinDate = new(2010, 1, 1);
    public static readonly DateOnly MaxDate = new(2035, 12, 31);

    public static readonly TimeOnly RegularClose = new(16, 0);

    /// <summary>Close on the day after Thanksgiving.</summary>
    public static readonly TimeOnly EarlyClose = new(12, 45);

    private static readonly TimeZoneInfo _chicago = TimeZoneInfo.FindSystemTimeZoneById("America/Chicago");

    private static class Holder
    {
        internal static readonly CmeEnergyCalendar Value = new();
    }

    private CmeEnergyCalendar()
        : base(MinDate, MaxDate, RegularClose, BuildClassifier())
    {
    }

    /// <summary>The shared, immutable instance.</summary>
    public static CmeEnergyCalendar Instance => Holder.Value;

    public override string Name => "CMES";

    public override TimeZoneInfo TimeZone => _chicago;

    private static Func<DateOnly, CalendarDay> BuildClassifier()
    {
        var closures = new Dictionary<DateOnly, string>();
        var early = new HashSet<DateOnly>();
        for (var year = MinDate.Year; year <= MaxDate.Year; year++)
        {
            var newYear = new DateOnly(year, 1, 1);
            if (newYear.DayOfWeek == DayOfWeek.Sunday)
            {
                closures[newYear.AddDays(1)] = "New Year's Day (observed)";
            }
            else if (newYear.DayOfWeek != DayOfWeek.Saturday)
            {
                closures[newYear] = "New Year's Day";
            }

            const string NoSettlement = " (abbreviated Globex session, no settlement)";
            closures[CalendarRules.NthWeekday(year, 1, DayOfWeek.Monday, 3)] = "Martin Luther King Jr. Day" + NoSettlement;
            closures[CalendarRules.NthWeekday(year, 2, DayOfWeek.Monday, 3)] = "Presidents' Day" + NoSettlement;
            closures[CalendarRules.EasterSunday(year).AddDays(-2)] = "Good Friday";
            closures[CalendarRules.LastWeekday(year, 5, DayOfWeek.Monday)] = "Memorial Day" + NoSettlement;
            if (year >= 2022)
            {
                AddNearestWeekday(closures, new DateOnly(year, 6, 19), "Juneteenth" + NoSettlement);
            }

            AddNearestWeekday(closures, new DateOnly(year, 7, 4), "Independence Day" + NoSettlement);
            closures[CalendarRules.NthWeekday(year, 9, DayOfWeek.Monday, 1)] = "Labor Day" + NoSettlement;
            var thanksgiving = CalendarRules.NthWeekday(year, 11, DayOfWeek.Thursday, 4);
            closures[thanksgiving] = "Thanksgiving Day" + NoSettlement;
            early.Add(thanksgiving.AddDays(1));
            AddNearestWeekday(closures, new DateOnly(year, 12, 25), "Christmas Day");
        }

        return date =>
        {
            if (date.DayOfWeek == DayOfWeek.Saturday)
            {
                return CalendarDay.Closed("Saturday");
            }

            if (date.DayOfWeek == DayOfWeek.Sunday)
            {
                return CalendarDay.Closed("Sunday (the Globex evening session belongs to Monday's trade date)");
            }

            if (closures.TryGetValue(date, out var reason))
            {
                return CalendarDay.Closed(reason);
            }

            return CalendarDay.Session(TimeOnly.MinValue, early.Contains(date) ? EarlyClose : RegularClose);
        };
    }

    private static void AddNearestWeekday(Dictionary<DateOnly, string> closures, DateOnly date, string name)
    {
        switch (date.DayOfWeek)
        {
            case DayOfWeek.Saturday:
                closures[date.AddDays(-1)] = name + " (observed)";
                break;
            case DayOfWeek.Sunday:
                closures[date.AddDays(1)] = name + " (observed)";
                break;
            default:
                closures[date] = name;
                break;
        }
    }
}
