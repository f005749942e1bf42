using Backfill.Sources.Databento.Cme;

namespace Backfill.Sources.Databento.Tests;

public sealed class CmeEnergyContractsTests
{
    [Theory]
    [InlineData(2022, 2, "2022-01-31")]   // HOG2
    [InlineData(2022, 3, "2022-02-28")]   // HOH2
    [InlineData(2022, 1, "2021-12-31")]   // HOF2: New Year's Day on Saturday is not observed
    [InlineData(2025, 12, "2025-11-28")]  // day after Thanksgiving is a (short) business day
    [InlineData(2023, 5, "2023-04-28")]   // April 30 is a Sunday
    public void Futures_terminate_on_the_last_business_day_of_the_month_before(int year, int month, string expected)
    {
        Assert.Equal(DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), CmeEnergyContracts.FuturesLastTrade(new ContractMonth(year, month)));
    }

    [Theory]
    [InlineData(2022, 2, "2022-01-26")] // the reference output's last OHG2 price
    [InlineData(2022, 3, "2022-02-23")] // the reference output's last OHH2 price
    [InlineData(2025, 2, "2025-01-28")]
    public void Options_expire_three_business_days_before_the_futures(int year, int month, string expected)
    {
        Assert.Equal(DateOnly.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), CmeEnergyContracts.OptionLastTrade(new ContractMonth(year, month)));
    }

    [Fact]
    public void Front_futures_rolls_after_its_last_trading_day()
    {
        Assert.Equal(new ContractMonth(2022, 2), CmeEnergyContracts.FrontFutures(new DateOnly(2022, 1, 31)));
        Assert.Equal(new ContractMonth(2022, 3), CmeEnergyContracts.FrontFutures(new DateOnly(2022, 2, 1)));
    }

    [Fact]
    public void Symbols_follow_globex_and_parse_back_near_the_reference_date()
    {
        var symbol = CmeEnergyContracts.OptionSymbol("OH", new ContractMonth(2025, 9), call: true, 3.15m);
        Assert.Equal("OHU5 C31500", symbol);
        Assert.True(CmeEnergyContracts.TryParseOptionSymbol(symbol, "OH", new DateOnly(2025, 7, 1), out var contract, out var call, out var strike));
        Assert.Equal((new ContractMonth(2025, 9), true, 3.15m), (contract, call, strike));
        Assert.True(CmeEnergyContracts.TryParseFuturesSymbol("HOF0", "HO", new DateOnly(2029, 12, 15), out var next));
        Assert.Equal(new ContractMonth(2030, 1), next);
        Assert.False(CmeEnergyContracts.TryParseOptionSymbol("HOJ5-HOK5", "OH", new DateOnly(2025, 1, 1), out _, out _, out _));
    }
}
