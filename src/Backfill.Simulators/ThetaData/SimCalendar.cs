using Backfill.Core.Calendars;

namespace Backfill.Simulators.ThetaData;

/// <summary>
/// The simulator's own NYSE calendar: weekends and the main full-day holidays (plus the two national days of
/// mourning since 2016). Good enough to generate data; the product's calendar lives in Backfill.Core.
/// </summary>
internal static class SimCalendar
{
    public static bool IsSession(DateOnly d) =>
        d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !IsHoliday(d);

    public static DateOnly PreviousSession(DateOnly d)
    {
        do
        {
            d = d.AddDays(-1);
        }
        while (!IsSession(d));
        return d;
    }

    public static DateOnly SessionOnOrBefore(DateOnly d)
    {
        while (!IsSession(d))
        {
            d = d.AddDays(-1);
        }

        return d;
    }

    public static bool IsHoliday(DateOnly d)
    {
        var y = d.Year;
        if (d == new DateOnly(2018, 12, 5) || d == new DateOnly(2025, 1, 9))
        {
            return true;
        }

        // New Year's Day on a Saturday is not observed on the Friday before (NYSE rule).
        var newYear = new DateOnly(y, 1, 1);
        if (d == (newYear.DayOfWeek == DayOfWeek.Sunday ? newYear.AddDays(1) : newYear))
        {
            return true;
        }

        if (d == CalendarRules.NthWeekday(y, 1, DayOfWeek.Monday, 3) || d == CalendarRules.NthWeekday(y, 2, DayOfWeek.Monday, 3))
        {
            return true;
        }

        if (d == CalendarRules.EasterSunday(y).AddDays(-2))
        {
            return true;
        }

        if (d == CalendarRules.LastWeekday(y, 5, DayOfWeek.Monday) || d == CalendarRules.NthWeekday(y, 9, DayOfWeek.Monday, 1)
            || d == CalendarRules.NthWeekday(y, 11, DayOfWeek.Thursday, 4))
        {
            return true;
        }

        return (y >= 2022 && d == CalendarRules.NearestWeekday(new DateOnly(y, 6, 19)))
            || d == CalendarRules.NearestWeekday(new DateOnly(y, 7, 4))
            || d == CalendarRules.NearestWeekday(new DateOnly(y, 12, 25));
    }
}
