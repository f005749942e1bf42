using Backfill.Core.Calendars;

namespace Backfill.Core.Tests.Calendars;

public sealed class CmeEnergyCalendarTests
{
    private static readonly ITradingCalendar Cme = TradingCalendars.Get("CMES");

    [Theory]
    [InlineData("2021-12-24", false)] // Christmas observed (the reference output has no row)
    [InlineData("2022-01-17", false)] // MLK: abbreviated session, no settlement (no row in the reference output)
    [InlineData("2022-02-21", false)] // Presidents' Day (no row in the reference output)
    [InlineData("2021-12-31", true)]  // New Year's Day on a Saturday is not observed
    [InlineData("2022-04-15", false)] // Good Friday
    [InlineData("2022-06-20", false)] // Juneteenth observed
    [InlineData("2021-06-18", true)]  // no Juneteenth before 2022
    [InlineData("2024-11-29", true)]  // day after Thanksgiving: early close
    [InlineData("2025-01-09", true)]  // NYSE closed (Carter) but not this calendar
    [InlineData("2025-01-05", false)] // Sunday
    public void Settlement_days_follow_the_cme_holiday_rules(string date, bool session)
    {
        Assert.Equal(session, Cme.IsSession(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public void Day_after_thanksgiving_closes_early_in_chicago()
    {
        var day = new DateOnly(2024, 11, 29);
        Assert.True(Cme.IsEarlyClose(day));
        Assert.Equal(new TimeOnly(12, 45), Cme.CloseTime(day));
        Assert.Equal("America/Chicago", Cme.TimeZone.Id);
        Assert.Same(Cme, TradingCalendars.Get("cme"));
    }
}
