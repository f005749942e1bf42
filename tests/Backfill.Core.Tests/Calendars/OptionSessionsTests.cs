using Backfill.Core.Calendars;

namespace Backfill.Core.Tests.Calendars;

public sealed class OptionSessionsTests
{
    private static readonly DateOnly Regular = new(2024, 6, 12);
    private static readonly DateOnly DayAfterThanksgiving = new(2024, 11, 29);
    private static readonly DateOnly ChristmasEve = new(2024, 12, 24);

    [Theory]
    [InlineData("SPX", OptionProductKind.Index)]
    [InlineData("spxw", OptionProductKind.Index)]
    [InlineData("NDX", OptionProductKind.Index)]
    [InlineData("RUT", OptionProductKind.Index)]
    [InlineData("SPY", OptionProductKind.LateClosingEtf)]
    [InlineData("QQQ", OptionProductKind.LateClosingEtf)]
    [InlineData("IWM", OptionProductKind.LateClosingEtf)]
    [InlineData("DIA", OptionProductKind.LateClosingEtf)]
    [InlineData("AAPL", OptionProductKind.EquityOrEtf)]
    [InlineData("GLD", OptionProductKind.EquityOrEtf)]
    [InlineData("ZZZZ", OptionProductKind.EquityOrEtf)]
    public void Each_root_has_its_product_kind(string root, OptionProductKind kind) =>
        Assert.Equal(kind, OptionSessions.For(root).Kind);

    [Theory]
    [InlineData("SPX", 16, 15)]
    [InlineData("NDX", 16, 15)]
    [InlineData("RUT", 16, 15)]
    [InlineData("SPY", 16, 15)]
    [InlineData("QQQ", 16, 15)]
    [InlineData("IWM", 16, 15)]
    [InlineData("AAPL", 16, 0)]
    public void A_regular_day_opens_at_9_30_and_closes_by_product(string root, int hour, int minute)
    {
        var session = OptionSessions.For(root).On(Regular);
        Assert.NotNull(session);
        Assert.Equal(new TimeOnly(9, 30), session.Value.Open);
        Assert.Equal(new TimeOnly(hour, minute), session.Value.Close);
    }

    [Theory]
    [InlineData("SPXW", 13, 15)]
    [InlineData("SPY", 13, 15)]
    [InlineData("RUT", 13, 15)]
    [InlineData("AAPL", 13, 0)]
    [InlineData("XOM", 13, 0)]
    public void Early_close_days_close_at_13_00_for_stocks_and_13_15_for_late_classes(string root, int hour, int minute)
    {
        foreach (var day in new[] { DayAfterThanksgiving, ChristmasEve })
        {
            var session = OptionSessions.For(root).On(day);
            Assert.NotNull(session);
            Assert.Equal(new TimeOnly(9, 30), session.Value.Open);
            Assert.Equal(new TimeOnly(hour, minute), session.Value.Close);
        }
    }

    [Fact]
    public void Holidays_and_weekends_have_no_session()
    {
        Assert.Null(OptionSessions.For("SPX").On(new DateOnly(2024, 11, 28)));
        Assert.Null(OptionSessions.For("SPY").On(new DateOnly(2024, 12, 25)));
        Assert.Null(OptionSessions.For("AAPL").On(new DateOnly(2024, 6, 15)));
    }

    [Fact]
    public void Pm_settled_index_series_stop_with_the_stocks_on_their_expiration_day()
    {
        var spxw = OptionSessions.For("SPXW");
        Assert.Equal(new TimeOnly(16, 0), spxw.On(Regular, expiration: Regular)!.Value.Close);
        Assert.Equal(new TimeOnly(16, 15), spxw.On(Regular, expiration: Regular.AddDays(2))!.Value.Close);
        Assert.Equal(new TimeOnly(13, 0), spxw.On(ChristmasEve, expiration: ChristmasEve)!.Value.Close);

        // AM-settled SPX monthlies stop the day before; SPY is not cash-settled: no exception for either.
        Assert.Equal(new TimeOnly(16, 15), OptionSessions.For("SPX").On(Regular, expiration: Regular)!.Value.Close);
        Assert.Equal(new TimeOnly(16, 15), OptionSessions.For("SPY").On(Regular, expiration: Regular)!.Value.Close);
    }

    [Fact]
    public void Bars_count_the_intervals_that_start_in_the_session_up_to_a_cutoff()
    {
        var index = OptionSessions.For("SPX").On(Regular)!.Value;
        var stock = OptionSessions.For("AAPL").On(Regular)!.Value;
        Assert.Equal(TimeSpan.FromMinutes(405), index.Length);
        Assert.Equal(405, index.Bars(60_000));
        Assert.Equal(390, stock.Bars(60_000));
        Assert.Equal(78, stock.Bars(300_000));

        // The terminal's regular hours stop at 16:00: an index class then has the stocks' bar count.
        Assert.Equal(390, index.Bars(60_000, cutoff: new TimeOnly(16, 0)));

        // Early close: 3 h 45 min for the index, 3 h 30 min for the stock; a 16:00 cutoff changes nothing.
        var indexShort = OptionSessions.For("SPX").On(DayAfterThanksgiving)!.Value;
        var stockShort = OptionSessions.For("AAPL").On(DayAfterThanksgiving)!.Value;
        Assert.Equal(225, indexShort.Bars(60_000, cutoff: new TimeOnly(16, 0)));
        Assert.Equal(210, stockShort.Bars(60_000, cutoff: new TimeOnly(16, 0)));
    }

    [Fact]
    public void A_blank_root_is_refused() =>
        Assert.Throws<ArgumentException>(() => OptionSessions.For(" "));
}
