using System.Text;
using Backfill.Core.Errors;

namespace Backfill.Sources.AlphaVantage.Tests;

public sealed class ValidationTests
{
    [Theory]
    [InlineData("AAPL")]
    [InlineData("brk.b")]
    [InlineData("BRK-B")]
    [InlineData("7203.T")]
    [InlineData(" msft ")]
    public void Accepts_real_tickers(string text) => Assert.True(TickerSymbol.TryParse(text, out _));

    [Theory]
    [InlineData("")]
    [InlineData(".")]
    [InlineData("-")]
    [InlineData("_")]
    [InlineData("..")]
    [InlineData("../etc")]
    [InlineData("A/B")]
    [InlineData("A\\B")]
    [InlineData("AB..C")]
    [InlineData("^GSPC")]
    [InlineData("EURUSD=X")]
    [InlineData("ABCDEFGHIJKLM")]
    [InlineData("A B")]
    [InlineData("A\0")]
    public void Refuses_path_traversal_and_junk(string text)
    {
        Assert.False(TickerSymbol.TryParse(text, out _));
        Assert.Throws<InvalidInputException>(() => TickerSymbol.Parse(text));
    }

    [Fact]
    public void Symbol_list_drops_duplicates_and_refuses_any_bad_entry()
    {
        Assert.Equal(["AAPL", "MSFT"], TickerSymbol.ParseList("aapl, MSFT,AAPL").Select(s => s.Value));
        Assert.Throws<InvalidInputException>(() => TickerSymbol.ParseList("AAPL,../x"));
        Assert.Throws<InvalidInputException>(() => TickerSymbol.ParseList(" , "));
    }

    [Theory]
    [InlineData(10, 11, 9, 10.5, 100, null)]
    [InlineData(10, 11, 10.2, 10.5, 100, "low")]
    [InlineData(10, 10.4, 9, 10.5, 100, "high")]
    [InlineData(10, 11, 9, 10.5, -1, "volume")]
    [InlineData(0, 11, 9, 10.5, 1, "positive")]
    public void Bar_sanity(double open, double high, double low, double close, long volume, string? problem)
    {
        var result = BarValidator.Check(new DailyBar(new DateOnly(2024, 1, 2), (decimal)open, (decimal)high, (decimal)low, (decimal)close, volume));
        if (problem is null)
        {
            Assert.Null(result);
        }
        else
        {
            Assert.Contains(problem, result, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Adjusted_factor_must_follow_splits()
    {
        var before = new DailyBar(new DateOnly(2020, 8, 28), 500, 510, 490, 500, 1, AdjustedClose: 125, DividendAmount: 0, SplitCoefficient: 1);
        var split = new DailyBar(new DateOnly(2020, 8, 31), 126, 130, 120, 128, 1, AdjustedClose: 128, DividendAmount: 0, SplitCoefficient: 4);
        Assert.Null(BarValidator.CheckAdjustments([before, split]));
        var unsplit = split with { SplitCoefficient = 1 };
        Assert.NotNull(BarValidator.CheckAdjustments([before, unsplit]));
    }

    [Fact]
    public void Insane_bars_are_rejected_not_returned()
    {
        var body = "timestamp,open,high,low,close,volume\r\n2024-01-03,10,11,9,10,5\r\n2024-01-02,10,9,9.5,10,5\r\n";
        var series = AlphaVantageParser.Parse(Encoding.UTF8.GetBytes(body), TickerSymbol.Parse("IBM"), DailyFunction.Daily, "k", TimeSpan.FromSeconds(1));
        Assert.Single(series.Bars);
        Assert.Single(series.Rejected);
    }

    [Theory]
    [InlineData("{\"Error Message\": \"Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY.\"}", typeof(InvalidSymbolException))]
    [InlineData("{\"Information\": \"We have detected your API key as SECRETKEY123 and our standard API rate limit is 25 requests per day. Please subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly remove all daily rate limits.\"}", typeof(QuotaExhaustedException))]
    [InlineData("{\"Note\": \"Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day. Please subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly remove all daily rate limits.\"}", typeof(QuotaExhaustedException))]
    [InlineData("{\"Information\": \"Thank you for using Alpha Vantage! Please consider spreading out your free API requests more sparingly (1 request per second). You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to lift the free key rate limit (25 requests per day) and instantly remove all daily rate limits.\"}", typeof(RateLimitedException))]
    [InlineData("{\"Note\": \"Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day. Please visit https://www.alphavantage.co/premium/ if you would like to target a higher API call frequency.\"}", typeof(RateLimitedException))]
    [InlineData("{\"Error Message\": \"the parameter apikey is invalid or missing. Please claim your free API key on (https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds.\"}", typeof(PermissionDeniedException))]
    [InlineData("{\"Information\": \"Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium endpoints\"}", typeof(PermissionDeniedException))]
    [InlineData("{\"Meta Data\": {}}", typeof(InvalidResponseException))]
    [InlineData("<html>oops</html>", typeof(InvalidResponseException))]
    [InlineData("{\"Meta Data\": {\"2. Symbol\": \"IBM\"}, \"Time Series (Daily)\": {\"2024-01-02\": {\"1. open\": \"x\"}}}", typeof(InvalidResponseException))]
    public void Error_bodies_map_to_typed_errors_and_are_redacted(string body, Type expected)
    {
        var e = Assert.ThrowsAny<BackfillException>(() => AlphaVantageParser.Parse(Encoding.UTF8.GetBytes(body), TickerSymbol.Parse("IBM"), DailyFunction.Daily, "SECRETKEY123", TimeSpan.FromSeconds(1)));
        Assert.IsType(expected, e);
        Assert.DoesNotContain("SECRETKEY123", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Burst_limit_waits_the_pacing_interval_and_legacy_note_a_minute()
    {
        var burst = (RateLimitedException)AlphaVantageErrors.Classify("Information", "Please consider spreading out your free API requests more sparingly (1 request per second).", "IBM", "k", TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(2), burst.RetryAfter);
        var legacy = (RateLimitedException)AlphaVantageErrors.Classify("Note", "Our standard API call frequency is 5 calls per minute and 500 calls per day.", "IBM", "k", TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(60), legacy.RetryAfter);
    }
}
