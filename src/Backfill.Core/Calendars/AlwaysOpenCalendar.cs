using System.Globalization;

namespace Backfill.Core.Calendars;

/// <summary>
/// A market that never closes (crypto spot): every date from 2009-01-01 to 2100-12-31 is a session, in UTC.
/// </summary>
/// <remarks>
/// A session opens at 00:00 and runs to the end of the day. <see cref="TimeOnly"/> cannot express 24:00, so the
/// close is reported as <see cref="TimeOnly.MaxValue"/> (23:59:59.9999999): treat it as "end of day, exclusive of the
/// next midnight" and never as an early close. Everything is arithmetic on day numbers: no tables, O(1) except
/// <see cref="SessionsBetween"/>, which is O(n) in the days returned.
/// </remarks>
public sealed class AlwaysOpenCalendar : ITradingCalendar
{
    public static readonly DateOnly MinDate = new(2009, 1, 1);
    public static readonly DateOnly MaxDate = new(2100, 12, 31);

    private AlwaysOpenCalendar()
    {
    }

    /// <summary>The shared instance (stateless, so trivially thread-safe).</summary>
    public static AlwaysOpenCalendar Instance { get; } = new();

    public string Name => "24/7";

    public TimeZoneInfo TimeZone => TimeZoneInfo.Utc;

    public DateOnly FirstDate => MinDate;

    public DateOnly LastDate => MaxDate;

    public bool IsSession(DateOnly date)
    {
        Check(date, nameof(date));
        return true;
    }

    public IReadOnlyList<DateOnly> SessionsBetween(DateOnly from, DateOnly to)
    {
        var count = CountSessions(from, to);
        var result = new DateOnly[count];
        var first = from.DayNumber;
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = DateOnly.FromDayNumber(first + i);
        }

        return result;
    }

    public int CountSessions(DateOnly from, DateOnly to)
    {
        Check(from, nameof(from));
        Check(to, nameof(to));
        return Math.Max(0, to.DayNumber - from.DayNumber + 1);
    }

    public DateOnly NextSession(DateOnly date)
    {
        Check(date, nameof(date));
        if (date == MaxDate)
        {
            throw new ArgumentOutOfRangeException(nameof(date), date, $"{Name} has no session after {Iso(date)} within its range {Range}.");
        }

        return date.AddDays(1);
    }

    public DateOnly PreviousSession(DateOnly date)
    {
        Check(date, nameof(date));
        if (date == MinDate)
        {
            throw new ArgumentOutOfRangeException(nameof(date), date, $"{Name} has no session before {Iso(date)} within its range {Range}.");
        }

        return date.AddDays(-1);
    }

    public TimeOnly? OpenTime(DateOnly date)
    {
        Check(date, nameof(date));
        return TimeOnly.MinValue;
    }

    /// <summary>Always <see cref="TimeOnly.MaxValue"/>, meaning "end of day" (see the class remarks).</summary>
    public TimeOnly? CloseTime(DateOnly date)
    {
        Check(date, nameof(date));
        return TimeOnly.MaxValue;
    }

    public bool IsEarlyClose(DateOnly date)
    {
        Check(date, nameof(date));
        return false;
    }

    public string? ClosureReason(DateOnly date)
    {
        Check(date, nameof(date));
        return null;
    }

    private static string Range => $"{Iso(MinDate)}..{Iso(MaxDate)}";

    private static void Check(DateOnly date, string paramName)
    {
        if (date < MinDate || date > MaxDate)
        {
            throw new ArgumentOutOfRangeException(paramName, date,
                $"{Iso(date)} is outside the 24/7 calendar's supported range {Range}.");
        }
    }

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
