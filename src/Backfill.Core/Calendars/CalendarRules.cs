namespace Backfill.Core.Calendars;

/// <summary>
/// Date rules holiday calendars are built from, valid for any Gregorian year: the n-th or last weekday of a month,
/// Easter, and the nearest-weekday observance of a fixed-date holiday.
/// </summary>
public static class CalendarRules
{
    /// <summary>The <paramref name="n"/>-th <paramref name="dayOfWeek"/> of the month (n from 1).</summary>
    public static DateOnly NthWeekday(int year, int month, DayOfWeek dayOfWeek, int n)
    {
        var first = new DateOnly(year, month, 1);
        var offset = ((int)dayOfWeek - (int)first.DayOfWeek + 7) % 7;
        return first.AddDays(offset + (7 * (n - 1)));
    }

    /// <summary>The last <paramref name="dayOfWeek"/> of the month.</summary>
    public static DateOnly LastWeekday(int year, int month, DayOfWeek dayOfWeek)
    {
        var last = new DateOnly(year, month, DateTime.DaysInMonth(year, month));
        var back = ((int)last.DayOfWeek - (int)dayOfWeek + 7) % 7;
        return last.AddDays(-back);
    }

    /// <summary>Gregorian Easter Sunday (anonymous Gregorian computus, Meeus/Jones/Butcher).</summary>
    public static DateOnly EasterSunday(int year)
    {
        var a = year % 19;
        var b = year / 100;
        var c = year % 100;
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
        return new DateOnly(year, month, day);
    }

    /// <summary>The day a fixed-date holiday is observed: Friday before a Saturday, Monday after a Sunday.</summary>
    public static DateOnly NearestWeekday(DateOnly date) => date.DayOfWeek switch
    {
        DayOfWeek.Saturday => date.AddDays(-1),
        DayOfWeek.Sunday => date.AddDays(1),
        _ => date,
    };
}
