using Backfill.Core.Calendars;

namespace Backfill.Core.Tests.Calendars;

public sealed class TradingCalendarsTests
{
    [Theory]
    [InlineData("XNYS")]
    [InlineData("xnys")]
    [InlineData("NYSE")]
    [InlineData("nyse")]
    public void Nyse_names_resolve_case_insensitively(string name)
    {
        Assert.Same(NyseCalendar.Instance, TradingCalendars.Get(name));
    }

    [Theory]
    [InlineData("24/7")]
    [InlineData("ALWAYS_OPEN")]
    [InlineData("always_open")]
    [InlineData("Crypto")]
    public void Always_open_names_resolve_case_insensitively(string name)
    {
        Assert.Same(AlwaysOpenCalendar.Instance, TradingCalendars.Get(name));
    }

    [Fact]
    public void Unknown_name_throws_listing_the_known_names()
    {
        var ex = Assert.Throws<ArgumentException>(() => TradingCalendars.Get("XLON"));
        Assert.Contains("'XLON'", ex.Message, StringComparison.Ordinal);
        foreach (var known in new[] { "XNYS", "NYSE", "24/7", "ALWAYS_OPEN", "CRYPTO" })
        {
            Assert.Contains(known, ex.Message, StringComparison.Ordinal);
        }

        Assert.False(TradingCalendars.TryGet("LSE", out var none));
        Assert.Null(none);
    }
}
