using Backfill.Core.Calendars;

namespace Backfill.Core.Tests.Calendars;

public sealed class AlwaysOpenCalendarTests
{
    private static readonly AlwaysOpenCalendar _always = AlwaysOpenCalendar.Instance;

    [Fact]
    public void Every_date_is_a_full_day_session_in_utc()
    {
        var day = new DateOnly(2024, 12, 25);
        Assert.Equal("24/7", _always.Name);
        Assert.Equal(TimeZoneInfo.Utc, _always.TimeZone);
        Assert.True(_always.IsSession(day));
        Assert.True(_always.IsSession(new DateOnly(2024, 3, 16)));
        Assert.Equal(TimeOnly.MinValue, _always.OpenTime(day));
        Assert.Equal(TimeOnly.MaxValue, _always.CloseTime(day));
        Assert.False(_always.IsEarlyClose(day));
        Assert.Null(_always.ClosureReason(day));
    }

    [Fact]
    public void Counts_and_lists_every_day()
    {
        Assert.Equal(366, _always.CountSessions(new DateOnly(2024, 1, 1), new DateOnly(2024, 12, 31)));
        var list = _always.SessionsBetween(new DateOnly(2024, 2, 27), new DateOnly(2024, 3, 1));
        Assert.Equal([new DateOnly(2024, 2, 27), new DateOnly(2024, 2, 28), new DateOnly(2024, 2, 29), new DateOnly(2024, 3, 1)], list);
        Assert.Empty(_always.SessionsBetween(new DateOnly(2024, 3, 1), new DateOnly(2024, 2, 1)));
    }

    [Fact]
    public void Next_and_previous_are_adjacent_days_within_the_range()
    {
        Assert.Equal(new DateOnly(2009, 1, 2), _always.NextSession(new DateOnly(2009, 1, 1)));
        Assert.Equal(new DateOnly(2100, 12, 30), _always.PreviousSession(new DateOnly(2100, 12, 31)));
        Assert.Throws<ArgumentOutOfRangeException>(() => _always.NextSession(new DateOnly(2100, 12, 31)));
        Assert.Throws<ArgumentOutOfRangeException>(() => _always.PreviousSession(new DateOnly(2009, 1, 1)));
    }

    [Fact]
    public void Dates_outside_the_range_throw_naming_the_range()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => _always.IsSession(new DateOnly(2008, 12, 31)));
        Assert.Contains("2009-01-01", ex.Message, StringComparison.Ordinal);
        Assert.Contains("2100-12-31", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => _always.CountSessions(new DateOnly(2020, 1, 1), new DateOnly(2101, 1, 1)));
    }
}
