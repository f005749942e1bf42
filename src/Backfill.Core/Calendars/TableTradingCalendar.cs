using System.Globalization;

namespace Backfill.Core.Calendars;

/// <summary>What a calendar rule says about one date: closed with a reason, or a session with its hours.</summary>
/// <param name="ClosureReason">Why the exchange is closed, or null for a session.</param>
/// <param name="Open">Local opening time of a session (ignored when closed).</param>
/// <param name="Close">Local closing time of a session (ignored when closed).</param>
public readonly record struct CalendarDay(string? ClosureReason, TimeOnly Open, TimeOnly Close)
{
    public static CalendarDay Closed(string reason) => new(reason, default, default);

    public static CalendarDay Session(TimeOnly open, TimeOnly close) => new(null, open, close);
}

/// <summary>
/// A calendar whose every date in a fixed range is classified once, at construction, into flat per-date tables:
/// a closure-reason index, open and close minutes, and a prefix count of sessions. Afterwards
/// <see cref="IsSession"/>, <see cref="CountSessions"/>, <see cref="NextSession"/> and
/// <see cref="PreviousSession"/> are O(1) and <see cref="SessionsBetween"/> is a single array copy.
/// The tables are never written after construction, so instances are safe to share between threads.
/// </summary>
/// <remarks>
/// Times are stored as whole minutes after local midnight, so sessions must open and close on a minute.
/// A new exchange (e.g. CME) only needs to supply the range, its regular close and a classification function.
/// </remarks>
public abstract class TableTradingCalendar : ITradingCalendar
{
    private readonly int _firstDayNumber;
    private readonly byte[] _reasonIndex;      // 0 = session; otherwise 1 + index into _reasons
    private readonly string[] _reasons;
    private readonly ushort[] _openMinute;     // meaningful on sessions only
    private readonly ushort[] _closeMinute;    // meaningful on sessions only
    private readonly int[] _sessionsBefore;    // _sessionsBefore[i] = sessions on days [0, i); length = days + 1
    private readonly DateOnly[] _sessions;     // all sessions, ascending
    private readonly ushort _regularCloseMinute;

    /// <param name="firstDate">First date covered (inclusive).</param>
    /// <param name="lastDate">Last date covered (inclusive).</param>
    /// <param name="regularClose">The usual close; a session closing earlier is an early close.</param>
    /// <param name="classify">Classifies one date; called once per date, in order, during construction.</param>
    protected TableTradingCalendar(DateOnly firstDate, DateOnly lastDate, TimeOnly regularClose, Func<DateOnly, CalendarDay> classify)
    {
        ArgumentNullException.ThrowIfNull(classify);
        if (lastDate < firstDate)
        {
            throw new ArgumentException("The last date must not precede the first date.", nameof(lastDate));
        }

        FirstDate = firstDate;
        LastDate = lastDate;
        _firstDayNumber = firstDate.DayNumber;
        _regularCloseMinute = ToMinute(regularClose);

        var days = lastDate.DayNumber - firstDate.DayNumber + 1;
        _reasonIndex = new byte[days];
        _openMinute = new ushort[days];
        _closeMinute = new ushort[days];
        _sessionsBefore = new int[days + 1];
        var sessions = new List<DateOnly>(days);
        var reasons = new List<string>();
        var reasonIds = new Dictionary<string, byte>(StringComparer.Ordinal);

        for (var i = 0; i < days; i++)
        {
            var date = DateOnly.FromDayNumber(_firstDayNumber + i);
            var day = classify(date);
            _sessionsBefore[i] = sessions.Count;
            if (day.ClosureReason is { } reason)
            {
                if (!reasonIds.TryGetValue(reason, out var id))
                {
                    if (reasons.Count == byte.MaxValue)
                    {
                        throw new InvalidOperationException("Too many distinct closure reasons for one calendar.");
                    }

                    reasons.Add(reason);
                    id = (byte)reasons.Count;
                    reasonIds.Add(reason, id);
                }

                _reasonIndex[i] = id;
            }
            else
            {
                if (day.Close <= day.Open)
                {
                    throw new InvalidOperationException($"Session {Iso(date)} closes before it opens.");
                }

                _openMinute[i] = ToMinute(day.Open);
                _closeMinute[i] = ToMinute(day.Close);
                sessions.Add(date);
            }
        }

        _sessionsBefore[days] = sessions.Count;
        _sessions = sessions.ToArray();
        _reasons = reasons.ToArray();
    }

    public abstract string Name { get; }

    public abstract TimeZoneInfo TimeZone { get; }

    public DateOnly FirstDate { get; }

    public DateOnly LastDate { get; }

    /// <summary>Total number of sessions in the calendar's range.</summary>
    public int SessionCount => _sessions.Length;

    public bool IsSession(DateOnly date) => _reasonIndex[IndexOf(date, nameof(date))] == 0;

    public IReadOnlyList<DateOnly> SessionsBetween(DateOnly from, DateOnly to)
    {
        var (start, end) = SessionSlice(from, to);
        return end <= start ? [] : _sessions.AsSpan(start, end - start).ToArray();
    }

    public int CountSessions(DateOnly from, DateOnly to)
    {
        var (start, end) = SessionSlice(from, to);
        return Math.Max(0, end - start);
    }

    public DateOnly NextSession(DateOnly date)
    {
        var k = _sessionsBefore[IndexOf(date, nameof(date)) + 1];
        if (k >= _sessions.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(date), date, $"{Name} has no session after {Iso(date)} within its range {RangeText}.");
        }

        return _sessions[k];
    }

    public DateOnly PreviousSession(DateOnly date)
    {
        var k = _sessionsBefore[IndexOf(date, nameof(date))];
        if (k == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(date), date, $"{Name} has no session before {Iso(date)} within its range {RangeText}.");
        }

        return _sessions[k - 1];
    }

    public TimeOnly? OpenTime(DateOnly date)
    {
        var i = IndexOf(date, nameof(date));
        return _reasonIndex[i] == 0 ? FromMinute(_openMinute[i]) : null;
    }

    public TimeOnly? CloseTime(DateOnly date)
    {
        var i = IndexOf(date, nameof(date));
        return _reasonIndex[i] == 0 ? FromMinute(_closeMinute[i]) : null;
    }

    public bool IsEarlyClose(DateOnly date)
    {
        var i = IndexOf(date, nameof(date));
        return _reasonIndex[i] == 0 && _closeMinute[i] < _regularCloseMinute;
    }

    public string? ClosureReason(DateOnly date)
    {
        var id = _reasonIndex[IndexOf(date, nameof(date))];
        return id == 0 ? null : _reasons[id - 1];
    }

    public override string ToString() => $"{Name} {RangeText}";

    private string RangeText => $"{Iso(FirstDate)}..{Iso(LastDate)}";

    /// <summary>Half-open slice [start, end) of <see cref="_sessions"/> covering from..to.</summary>
    private (int Start, int End) SessionSlice(DateOnly from, DateOnly to)
    {
        var a = IndexOf(from, nameof(from));
        var b = IndexOf(to, nameof(to));
        return (_sessionsBefore[a], _sessionsBefore[b + 1]);
    }

    private int IndexOf(DateOnly date, string paramName)
    {
        var i = date.DayNumber - _firstDayNumber;
        if ((uint)i >= (uint)_reasonIndex.Length)
        {
            throw new ArgumentOutOfRangeException(paramName, date,
                $"{Iso(date)} is outside the {Name} calendar's supported range {RangeText}.");
        }

        return i;
    }

    private static ushort ToMinute(TimeOnly time)
    {
        if (time.Second != 0 || time.Millisecond != 0 || time.Microsecond != 0 || time.Nanosecond != 0)
        {
            throw new ArgumentException($"Session times must fall on a whole minute, got {time:O}.", nameof(time));
        }

        return (ushort)((time.Hour * 60) + time.Minute);
    }

    private static TimeOnly FromMinute(ushort minute) => new(minute / 60, minute % 60);

    private static string Iso(DateOnly date) => date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}
