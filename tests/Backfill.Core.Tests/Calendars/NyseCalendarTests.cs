using Backfill.Core.Calendars;

namespace Backfill.Core.Tests.Calendars;

public sealed class NyseCalendarTests
{
    private static readonly NyseCalendar _nyse = NyseCalendar.Instance;

    private static DateOnly D(string iso) => DateOnly.ParseExact(iso, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Describes_the_new_york_stock_exchange()
    {
        Assert.Equal("XNYS", _nyse.Name);
        Assert.Equal(new DateOnly(1990, 1, 1), _nyse.FirstDate);
        Assert.Equal(new DateOnly(2035, 12, 31), _nyse.LastDate);
        var summer = _nyse.TimeZone.GetUtcOffset(new DateTime(2024, 7, 1, 12, 0, 0, DateTimeKind.Unspecified));
        var winter = _nyse.TimeZone.GetUtcOffset(new DateTime(2024, 1, 15, 12, 0, 0, DateTimeKind.Unspecified));
        Assert.Equal(TimeSpan.FromHours(-4), summer);
        Assert.Equal(TimeSpan.FromHours(-5), winter);
    }

    [Fact]
    public async Task Instance_is_a_singleton_across_threads()
    {
        var ct = TestContext.Current.CancellationToken;
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => NyseCalendar.Instance, ct)));
        Assert.All(results, r => Assert.Same(_nyse, r));
    }

    [Fact]
    public void Regular_weekday_is_a_full_session()
    {
        var day = D("2024-03-12");
        Assert.True(_nyse.IsSession(day));
        Assert.Equal(new TimeOnly(9, 30), _nyse.OpenTime(day));
        Assert.Equal(new TimeOnly(16, 0), _nyse.CloseTime(day));
        Assert.False(_nyse.IsEarlyClose(day));
        Assert.Null(_nyse.ClosureReason(day));
    }

    [Theory]
    [InlineData("2024-03-16", "Saturday")]
    [InlineData("2024-03-17", "Sunday")]
    public void Weekends_are_closed_and_say_why(string date, string reason)
    {
        Assert.False(_nyse.IsSession(D(date)));
        Assert.Equal(reason, _nyse.ClosureReason(D(date)));
        Assert.Null(_nyse.OpenTime(D(date)));
        Assert.Null(_nyse.CloseTime(D(date)));
        Assert.False(_nyse.IsEarlyClose(D(date)));
    }

    [Theory]
    [InlineData("1990-04-13")]
    [InlineData("2000-04-21")]
    [InlineData("2008-03-21")]
    [InlineData("2019-04-19")]
    [InlineData("2024-03-29")]
    [InlineData("2025-04-18")]
    [InlineData("2035-03-23")]
    public void Good_friday_is_closed(string date)
    {
        Assert.False(_nyse.IsSession(D(date)));
        Assert.Equal("Good Friday", _nyse.ClosureReason(D(date)));
    }

    [Theory]
    [InlineData(1990, "1990-04-15")]
    [InlineData(2000, "2000-04-23")]
    [InlineData(2008, "2008-03-23")]
    [InlineData(2011, "2011-04-24")]
    [InlineData(2019, "2019-04-21")]
    [InlineData(2038, "2038-04-25")]
    [InlineData(2285, "2285-03-22")]
    public void Easter_follows_the_gregorian_computus(int year, string easter)
    {
        Assert.Equal(D(easter), CalendarRules.EasterSunday(year));
    }

    [Fact]
    public void Juneteenth_is_a_holiday_from_2022_only()
    {
        Assert.True(_nyse.IsSession(D("2021-06-18")));           // June 19, 2021 was a Saturday: no holiday yet
        Assert.Equal("Juneteenth (observed)", _nyse.ClosureReason(D("2022-06-20"))); // Sunday -> Monday
        Assert.Equal("Juneteenth", _nyse.ClosureReason(D("2023-06-19")));
        Assert.Equal("Juneteenth (observed)", _nyse.ClosureReason(D("2027-06-18"))); // Saturday -> Friday
    }

    [Theory]
    [InlineData("1999-12-31")]
    [InlineData("2004-12-31")]
    [InlineData("2010-12-31")]
    [InlineData("2021-12-31")]
    [InlineData("2032-12-31")]
    public void New_year_on_saturday_is_not_observed_on_friday(string friday)
    {
        Assert.Equal(DayOfWeek.Friday, D(friday).DayOfWeek);
        Assert.True(_nyse.IsSession(D(friday)));
        Assert.Equal(new TimeOnly(16, 0), _nyse.CloseTime(D(friday)));
    }

    [Theory]
    [InlineData("1995-01-02")]
    [InlineData("2006-01-02")]
    [InlineData("2012-01-02")]
    [InlineData("2017-01-02")]
    [InlineData("2023-01-02")]
    public void New_year_on_sunday_is_observed_on_monday(string monday)
    {
        Assert.Equal("New Year's Day (observed)", _nyse.ClosureReason(D(monday)));
    }

    [Fact]
    public void Martin_luther_king_day_is_a_holiday_from_1998_only()
    {
        Assert.True(_nyse.IsSession(D("1997-01-20")));
        Assert.Equal("Martin Luther King Jr. Day", _nyse.ClosureReason(D("1998-01-19")));
        Assert.Equal("Martin Luther King Jr. Day", _nyse.ClosureReason(D("2024-01-15")));
    }

    [Theory]
    [InlineData("2020-07-03", "Independence Day (observed)")] // Saturday -> Friday
    [InlineData("2021-07-05", "Independence Day (observed)")] // Sunday -> Monday
    [InlineData("2024-07-04", "Independence Day")]
    [InlineData("2021-12-24", "Christmas Day (observed)")]    // Saturday -> Friday
    [InlineData("2022-12-26", "Christmas Day (observed)")]    // Sunday -> Monday
    [InlineData("1999-12-24", "Christmas Day (observed)")]
    [InlineData("2024-12-25", "Christmas Day")]
    [InlineData("2024-02-19", "Washington's Birthday")]
    [InlineData("2024-05-27", "Memorial Day")]
    [InlineData("2024-09-02", "Labor Day")]
    [InlineData("2024-11-28", "Thanksgiving Day")]
    public void Holidays_follow_nyse_observance_rules(string date, string reason)
    {
        Assert.Equal(reason, _nyse.ClosureReason(D(date)));
    }

    [Theory]
    [InlineData("1994-04-27", "Funeral of former President Nixon")]
    [InlineData("2001-09-11", "September 11 attacks")]
    [InlineData("2001-09-12", "September 11 attacks")]
    [InlineData("2001-09-13", "September 11 attacks")]
    [InlineData("2001-09-14", "September 11 attacks")]
    [InlineData("2004-06-11", "Day of mourning for former President Reagan")]
    [InlineData("2007-01-02", "Day of mourning for former President Ford")]
    [InlineData("2012-10-29", "Hurricane Sandy")]
    [InlineData("2012-10-30", "Hurricane Sandy")]
    [InlineData("2018-12-05", "Day of mourning for former President George H. W. Bush")]
    [InlineData("2025-01-09", "Day of mourning for former President Carter")]
    public void One_off_closures_are_closed_with_their_reason(string date, string reason)
    {
        Assert.False(_nyse.IsSession(D(date)));
        Assert.Equal(reason, _nyse.ClosureReason(D(date)));
    }

    [Theory]
    [InlineData("2024-11-29", 13, 0)]
    [InlineData("2019-11-29", 13, 0)]
    [InlineData("1993-11-26", 13, 0)]
    [InlineData("1992-11-27", 14, 0)]
    public void Day_after_thanksgiving_closes_at_13(string date, int hour, int minute)
    {
        Assert.True(_nyse.IsEarlyClose(D(date)));
        Assert.Equal(new TimeOnly(hour, minute), _nyse.CloseTime(D(date)));
    }

    [Fact]
    public void Day_after_thanksgiving_was_a_full_day_before_1992()
    {
        Assert.False(_nyse.IsEarlyClose(D("1991-11-29")));
        Assert.Equal(new TimeOnly(16, 0), _nyse.CloseTime(D("1990-11-23")));
    }

    [Theory]
    [InlineData("1990-12-24", 14)]
    [InlineData("1991-12-24", 14)]
    [InlineData("1992-12-24", 14)]
    [InlineData("1996-12-24", 13)]
    [InlineData("1998-12-24", 13)]
    [InlineData("2001-12-24", 13)]
    [InlineData("2020-12-24", 13)]
    [InlineData("2024-12-24", 13)]
    [InlineData("1997-12-26", 13)]
    [InlineData("2003-12-26", 13)]
    public void Christmas_eve_closes_early(string date, int hour)
    {
        Assert.True(_nyse.IsEarlyClose(D(date)));
        Assert.Equal(new TimeOnly(hour, 0), _nyse.CloseTime(D(date)));
    }

    [Theory]
    [InlineData("2008-12-26")]
    [InlineData("2014-12-26")]
    [InlineData("2025-12-26")]
    public void Friday_after_christmas_is_a_full_day_in_recent_years(string date)
    {
        Assert.True(_nyse.IsSession(D(date)));
        Assert.False(_nyse.IsEarlyClose(D(date)));
    }

    [Theory]
    [InlineData("1995-07-03", true)]  // Monday
    [InlineData("2018-07-03", true)]  // Tuesday
    [InlineData("2014-07-03", true)]  // Thursday
    [InlineData("1990-07-03", false)] // Tuesday, before the 1995 rule
    [InlineData("1996-07-05", true)]  // July 4 on Thursday, before 2013: Friday after
    [InlineData("2002-07-05", true)]
    [InlineData("2002-07-03", false)]
    [InlineData("2013-07-03", true)]  // from 2013: Wednesday before
    [InlineData("2019-07-03", true)]
    [InlineData("2019-07-05", false)]
    [InlineData("2024-07-03", true)]
    [InlineData("2024-07-05", false)]
    [InlineData("2015-07-02", false)] // July 4 on Saturday: no early close on Thursday
    [InlineData("2022-07-01", false)] // July 4 on Monday: Friday is a full day
    public void Day_before_independence_day_closes_at_13_by_the_historical_rules(string date, bool early)
    {
        Assert.True(_nyse.IsSession(D(date)));
        Assert.Equal(early, _nyse.IsEarlyClose(D(date)));
        Assert.Equal(early ? new TimeOnly(13, 0) : new TimeOnly(16, 0), _nyse.CloseTime(D(date)));
    }

    [Theory]
    [InlineData("1994-02-11", 14, 30)]
    [InlineData("1996-01-08", 14, 0)]
    [InlineData("1997-10-27", 15, 30)]
    [InlineData("2005-06-01", 15, 56)]
    public void Unscheduled_early_closes_keep_their_time(string date, int hour, int minute)
    {
        Assert.True(_nyse.IsEarlyClose(D(date)));
        Assert.Equal(new TimeOnly(hour, minute), _nyse.CloseTime(D(date)));
    }

    [Theory]
    [InlineData("2002-09-11", 12, 0)]
    [InlineData("2001-09-17", 9, 33)]
    [InlineData("1996-01-08", 11, 0)]
    public void Late_opens_keep_their_time(string date, int hour, int minute)
    {
        Assert.Equal(new TimeOnly(hour, minute), _nyse.OpenTime(D(date)));
    }

    [Fact]
    public void Early_closes_in_2024_are_the_three_scheduled_ones()
    {
        var early = _nyse.SessionsBetween(D("2024-01-01"), D("2024-12-31")).Where(_nyse.IsEarlyClose).ToArray();
        Assert.Equal([D("2024-07-03"), D("2024-11-29"), D("2024-12-24")], early);
    }

    // Oracle: counted by hand (weekdays in the year minus weekday holidays and closures), from the rules in
    // pandas_market_calendars holidays/nyse.py; independent of this implementation.
    // e.g. 2024: 262 weekdays - 10 holidays = 252; 2001: 261 - 9 - 4 (September 11) = 248.
    [Theory]
    [InlineData(1990, 253)]
    [InlineData(2001, 248)]
    [InlineData(2012, 250)]
    [InlineData(2019, 252)]
    [InlineData(2020, 253)]
    [InlineData(2021, 252)]
    [InlineData(2022, 251)]
    [InlineData(2023, 250)]
    [InlineData(2024, 252)]
    [InlineData(2025, 250)]
    [InlineData(2026, 251)]
    public void Session_counts_per_year_match_the_reference(int year, int sessions)
    {
        var from = new DateOnly(year, 1, 1);
        var to = new DateOnly(year, 12, 31);
        Assert.Equal(sessions, _nyse.CountSessions(from, to));
        Assert.Equal(sessions, _nyse.SessionsBetween(from, to).Count);
    }

    [Fact]
    public void Holidays_of_2024_are_the_published_list()
    {
        Assert.Equal(
            [
                (D("2024-01-01"), "New Year's Day"),
                (D("2024-01-15"), "Martin Luther King Jr. Day"),
                (D("2024-02-19"), "Washington's Birthday"),
                (D("2024-03-29"), "Good Friday"),
                (D("2024-05-27"), "Memorial Day"),
                (D("2024-06-19"), "Juneteenth"),
                (D("2024-07-04"), "Independence Day"),
                (D("2024-09-02"), "Labor Day"),
                (D("2024-11-28"), "Thanksgiving Day"),
                (D("2024-12-25"), "Christmas Day"),
            ],
            _nyse.HolidaysIn(2024));
    }

    [Fact]
    public void Holidays_of_2025_include_the_carter_day_of_mourning()
    {
        Assert.Equal(
            [
                D("2025-01-01"), D("2025-01-09"), D("2025-01-20"), D("2025-02-17"), D("2025-04-18"), D("2025-05-26"),
                D("2025-06-19"), D("2025-07-04"), D("2025-09-01"), D("2025-11-27"), D("2025-12-25"),
            ],
            _nyse.HolidaysIn(2025).Select(h => h.Date));
    }

    [Fact]
    public void Holidays_of_2001_include_september_11()
    {
        Assert.Equal(
            [
                D("2001-01-01"), D("2001-01-15"), D("2001-02-19"), D("2001-04-13"), D("2001-05-28"), D("2001-07-04"),
                D("2001-09-03"), D("2001-09-11"), D("2001-09-12"), D("2001-09-13"), D("2001-09-14"), D("2001-11-22"),
                D("2001-12-25"),
            ],
            _nyse.HolidaysIn(2001).Select(h => h.Date));
    }

    [Fact]
    public void Holidays_of_2026_follow_the_standing_rules()
    {
        Assert.Equal(
            [
                (D("2026-01-01"), "New Year's Day"),
                (D("2026-01-19"), "Martin Luther King Jr. Day"),
                (D("2026-02-16"), "Washington's Birthday"),
                (D("2026-04-03"), "Good Friday"),
                (D("2026-05-25"), "Memorial Day"),
                (D("2026-06-19"), "Juneteenth"),
                (D("2026-07-03"), "Independence Day (observed)"),
                (D("2026-09-07"), "Labor Day"),
                (D("2026-11-26"), "Thanksgiving Day"),
                (D("2026-12-25"), "Christmas Day"),
            ],
            _nyse.HolidaysIn(2026));
        var early = _nyse.SessionsBetween(D("2026-01-01"), D("2026-12-31")).Where(_nyse.IsEarlyClose).ToArray();
        Assert.Equal([D("2026-11-27"), D("2026-12-24")], early);
    }

    [Fact]
    public void Sessions_between_returns_a_copy_the_caller_may_change()
    {
        var first = (DateOnly[])_nyse.SessionsBetween(D("2024-01-01"), D("2024-01-31"));
        first[0] = DateOnly.MinValue;
        Assert.Equal(D("2024-01-02"), _nyse.SessionsBetween(D("2024-01-01"), D("2024-01-31"))[0]);
    }

    [Theory]
    [InlineData("2024-03-28", "2024-04-01")] // Good Friday weekend
    [InlineData("2024-03-29", "2024-04-01")]
    [InlineData("2024-03-30", "2024-04-01")]
    [InlineData("2001-09-10", "2001-09-17")] // September 11 closures
    [InlineData("2012-10-26", "2012-10-31")] // Hurricane Sandy
    [InlineData("2021-12-23", "2021-12-27")] // Christmas observed on Friday
    [InlineData("2022-12-30", "2023-01-03")] // New Year observed on Monday
    [InlineData("1990-01-01", "1990-01-02")] // first date is a holiday
    [InlineData("2035-12-28", "2035-12-31")] // last date is a session
    public void Next_session_skips_holiday_weekends(string date, string next)
    {
        Assert.Equal(D(next), _nyse.NextSession(D(date)));
    }

    [Theory]
    [InlineData("2024-04-01", "2024-03-28")]
    [InlineData("2024-03-31", "2024-03-28")]
    [InlineData("2001-09-17", "2001-09-10")]
    [InlineData("2012-10-31", "2012-10-26")]
    [InlineData("2021-12-27", "2021-12-23")]
    [InlineData("2023-01-03", "2022-12-30")]
    [InlineData("1990-01-03", "1990-01-02")]
    [InlineData("2035-12-31", "2035-12-28")]
    public void Previous_session_skips_holiday_weekends(string date, string previous)
    {
        Assert.Equal(D(previous), _nyse.PreviousSession(D(date)));
    }

    [Fact]
    public void Next_and_previous_session_fail_at_the_range_edges()
    {
        var next = Assert.Throws<ArgumentOutOfRangeException>(() => _nyse.NextSession(D("2035-12-31")));
        Assert.Contains("2035-12-31", next.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => _nyse.PreviousSession(D("1990-01-02")));
        Assert.Throws<ArgumentOutOfRangeException>(() => _nyse.PreviousSession(D("1990-01-01")));
    }

    [Theory]
    [InlineData("1989-12-31")]
    [InlineData("2036-01-01")]
    [InlineData("0001-01-01")]
    public void Dates_outside_the_range_throw_naming_the_range(string date)
    {
        var d = D(date);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => _nyse.IsSession(d));
        Assert.Contains("1990-01-01", ex.Message, StringComparison.Ordinal);
        Assert.Contains("2035-12-31", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => _nyse.ClosureReason(d));
        Assert.Throws<ArgumentOutOfRangeException>(() => _nyse.OpenTime(d));
        Assert.Throws<ArgumentOutOfRangeException>(() => _nyse.CloseTime(d));
        Assert.Throws<ArgumentOutOfRangeException>(() => _nyse.IsEarlyClose(d));
        Assert.Throws<ArgumentOutOfRangeException>(() => _nyse.NextSession(d));
        Assert.Throws<ArgumentOutOfRangeException>(() => _nyse.PreviousSession(d));
        Assert.Throws<ArgumentOutOfRangeException>(() => _nyse.CountSessions(d, D("2000-01-01")));
        Assert.Throws<ArgumentOutOfRangeException>(() => _nyse.SessionsBetween(D("2000-01-01"), d));
    }

    [Fact]
    public void Reversed_range_is_empty()
    {
        Assert.Equal(0, _nyse.CountSessions(D("2024-12-31"), D("2024-01-01")));
        Assert.Empty(_nyse.SessionsBetween(D("2024-12-31"), D("2024-01-01")));
    }

    [Fact]
    public void Single_day_range_counts_that_day_only_if_it_is_a_session()
    {
        Assert.Equal(1, _nyse.CountSessions(D("2024-03-28"), D("2024-03-28")));
        Assert.Equal(0, _nyse.CountSessions(D("2024-03-29"), D("2024-03-29")));
    }

    [Fact]
    public void Tables_agree_with_day_by_day_checks_over_the_whole_range()
    {
        var all = _nyse.SessionsBetween(_nyse.FirstDate, _nyse.LastDate);
        var count = 0;
        var previous = DateOnly.MinValue;
        for (var d = _nyse.FirstDate; d <= _nyse.LastDate; d = d.AddDays(1))
        {
            var isSession = _nyse.IsSession(d);
            Assert.Equal(isSession, _nyse.ClosureReason(d) is null);
            Assert.Equal(isSession, _nyse.CloseTime(d) is not null);
            if (isSession)
            {
                Assert.Equal(d, all[count]);
                if (previous != DateOnly.MinValue)
                {
                    Assert.Equal(previous, _nyse.PreviousSession(d));
                    Assert.Equal(d, _nyse.NextSession(previous));
                }

                previous = d;
                count++;
            }
        }

        Assert.Equal(count, all.Count);
        Assert.Equal(count, _nyse.CountSessions(_nyse.FirstDate, _nyse.LastDate));
        Assert.Equal(count, _nyse.SessionCount);
    }

    [Fact]
    public void Count_matches_the_list_for_arbitrary_ranges()
    {
        var random = new Random(12345);
        var span = _nyse.LastDate.DayNumber - _nyse.FirstDate.DayNumber;
        for (var i = 0; i < 500; i++)
        {
            var a = _nyse.FirstDate.AddDays(random.Next(span + 1));
            var b = _nyse.FirstDate.AddDays(random.Next(span + 1));
            var (from, to) = a <= b ? (a, b) : (b, a);
            var list = _nyse.SessionsBetween(from, to);
            Assert.Equal(list.Count, _nyse.CountSessions(from, to));
            if (list.Count > 0)
            {
                Assert.True(list[0] >= from && list[^1] <= to);
            }
        }
    }
}
