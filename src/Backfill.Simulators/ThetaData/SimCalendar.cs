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

        if (d == NthWeekday(y, 1, DayOfWeek.Monday, 3) || d == NthWeekday(y, 2, DayOfWeek.Monday, 3))
        {
            return true;
        }

        if (d == Easter(y).AddDays(-2))
        {
            return true;
        }

        if (d == LastWeekday(y, 5, DayOfWeek.Monday) || d == NthWeekday(y, 9, DayOfWeek.Monday, 1)
            || d == NthWeekday(y, 11, DayOfWeek.Thursday, 4))
        {
            return true;
        }

        return (y >= 2022 && d == Observed(new DateOnly(y, 6, 19)))
            || d == Observed(new DateOnly(y, 7, 4))
            || d == Observed(new DateOnly(y, 12, 25));
    }

    private static DateOnly Observed(DateOnly d) => d.DayOfWeek switch
    {
        DayOfWeek.Saturday => d.AddDays(-1),
        DayOfWeek.Sunday => d.AddDays(1),
        _ => d,
    };

    public static DateOnly NthWeekday(int year, int month, DayOfWeek day, int n)
    {
        var first = new DateOnly(year, month, 1);
        var offset = ((int)day - (int)first.DayOfWeek + 7) % 7;
        return first.AddDays(offset + (7 * (n - 1)));
    }

    private static DateOnly LastWeekday(int year, int month, DayOfWeek day)
    {
        var last = new DateOnly(year, month, DateTime.DaysInMonth(year, month));
        var offset = ((int)last.DayOfWeek - (int)day + 7) % 7;
        return last.AddDays(-offset);
    }

    private static DateOnly Easter(int y)
    {
        // Anonymous Gregorian algorithm.
        var a = y % 19;
        var b = y / 100;
        var c = y % 100;
        var d = b / 4;
        var e = b % 4;
        var f = (b + 8) / 25;
        var g = (b - f + 1) / 3;
        var h = ((19 * a) + b - d - g + 15) % 30;
        var i = c / 4;
        var k = c % 4;
        var l = (32 + (2 * e) + (2 * i) - h - k) % 7;
        var m = (a + (11 * h) + (22 * l)) / 451;
        var month = (h + l - (7 * m) + 114) / 31;
        var day = ((h + l - (7 * m) + 114) % 31) + 1;
        return new DateOnly(y, month, day);
    }
}
