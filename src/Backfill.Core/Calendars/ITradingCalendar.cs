namespace Backfill.Core.Calendars;

/// <summary>
/// An exchange's trading sessions. Dates are exchange-local calendar dates; times are exchange-local wall
/// clock (use <see cref="TimeZone"/> to convert, never a fixed UTC offset: daylight saving shifts them).
/// </summary>
public interface ITradingCalendar
{
    /// <summary>ISO 10383 code or a short name: <c>XNYS</c>, <c>CMES</c>, <c>24/7</c>.</summary>
    string Name { get; }

    TimeZoneInfo TimeZone { get; }

    /// <summary>First date the calendar knows (inclusive).</summary>
    DateOnly FirstDate { get; }

    /// <summary>Last date the calendar knows (inclusive).</summary>
    DateOnly LastDate { get; }

    /// <summary>True when the exchange trades on <paramref name="date"/>. Throws outside the calendar's range.</summary>
    bool IsSession(DateOnly date);

    /// <summary>Sessions from <paramref name="from"/> to <paramref name="to"/>, both inclusive, ascending.</summary>
    IReadOnlyList<DateOnly> SessionsBetween(DateOnly from, DateOnly to);

    /// <summary>Number of sessions from <paramref name="from"/> to <paramref name="to"/>, both inclusive.</summary>
    int CountSessions(DateOnly from, DateOnly to);

    /// <summary>The first session strictly after <paramref name="date"/>.</summary>
    DateOnly NextSession(DateOnly date);

    /// <summary>The last session strictly before <paramref name="date"/>.</summary>
    DateOnly PreviousSession(DateOnly date);

    /// <summary>Local opening time of a session, or null when <paramref name="date"/> is not a session.</summary>
    TimeOnly? OpenTime(DateOnly date);

    /// <summary>Local closing time (13:00 on most early closes), or null when not a session.</summary>
    TimeOnly? CloseTime(DateOnly date);

    /// <summary>True for a session that closes before the regular time.</summary>
    bool IsEarlyClose(DateOnly date);

    /// <summary>Why <paramref name="date"/> is not a session ("Saturday", "Good Friday", "Hurricane Sandy"),
    /// or null when it is one. Used in error messages.</summary>
    string? ClosureReason(DateOnly date);
}
