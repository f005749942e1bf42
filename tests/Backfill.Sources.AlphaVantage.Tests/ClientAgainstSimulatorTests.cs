using System.Text;
using Backfill.Core.Errors;
using Backfill.Simulators.AlphaVantage;

namespace Backfill.Sources.AlphaVantage.Tests;

public sealed class ClientAgainstSimulatorTests
{
    private const string Key = "SECRETKEY123";

    private static AlphaVantageClient Client(AlphaVantageSimulator sim, int budget = 25, RetryPolicyTable? retry = null) => new(new AlphaVantageClientOptions
    {
        BaseAddress = sim.BaseAddress,
        ApiKey = new AlphaVantageApiKey(Key),
        MinInterval = TimeSpan.FromMilliseconds(1),
        RequestBudget = budget,
        Retry = (retry ?? RetryPolicyTable.Default).WithDelayScale(0),
    });

    [Theory]
    [InlineData(DataType.Json, DailyFunction.Daily)]
    [InlineData(DataType.Csv, DailyFunction.Daily)]
    [InlineData(DataType.Json, DailyFunction.DailyAdjusted)]
    [InlineData(DataType.Csv, DailyFunction.DailyAdjusted)]
    public async Task Json_and_csv_give_the_same_bars(DataType type, DailyFunction function)
    {
        await using var sim = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions(), 0, TestContext.Current.CancellationToken);
        using var client = Client(sim);
        var series = await client.GetDailyAsync(TickerSymbol.Parse("aapl"), function, OutputSize.Compact, type, TestContext.Current.CancellationToken);
        Assert.Equal(100, series.Bars.Count);
        Assert.Empty(series.Rejected);
        var expected = sim.Market.Series("AAPL")[^1];
        var last = series.Bars[^1];
        Assert.Equal((expected.Date, expected.Open, expected.High, expected.Low, expected.Close, expected.Volume), (last.Date, last.Open, last.High, last.Low, last.Close, last.Volume));
        Assert.Equal(function == DailyFunction.DailyAdjusted ? expected.AdjustedClose : null, last.AdjustedClose);
    }

    [Fact]
    public async Task Full_adjusted_series_with_two_splits_and_dividends_is_consistent()
    {
        await using var sim = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions(), 0, TestContext.Current.CancellationToken);
        using var client = Client(sim);
        var series = await client.GetDailyAsync(TickerSymbol.Parse("AAPL"), DailyFunction.DailyAdjusted, OutputSize.Full, DataType.Json, TestContext.Current.CancellationToken);
        Assert.True(series.Bars.Count > 5000);
        Assert.Equal(2, series.Bars.Count(b => b.SplitCoefficient != 1m));
        Assert.Null(BarValidator.CheckAdjustments(series.Bars));
    }

    [Fact]
    public async Task Unknown_symbol_is_an_invalid_symbol_error_without_retry()
    {
        await using var sim = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions(), 0, TestContext.Current.CancellationToken);
        using var client = Client(sim);
        var e = await Assert.ThrowsAsync<InvalidSymbolException>(() => client.GetDailyAsync(TickerSymbol.Parse("ZZZZ"), DailyFunction.Daily, OutputSize.Compact, DataType.Csv, TestContext.Current.CancellationToken));
        Assert.Equal(ErrorKind.InvalidRequest, e.Kind);
        Assert.Equal(1, sim.Stats.Requests);
    }

    [Fact]
    public async Task Daily_quota_body_stops_without_retry_and_never_echoes_the_key()
    {
        await using var sim = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions { DailyLimit = 1 }, 0, TestContext.Current.CancellationToken);
        using var client = Client(sim);
        await client.GetDailyAsync(TickerSymbol.Parse("IBM"), DailyFunction.Daily, OutputSize.Compact, DataType.Json, TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<QuotaExhaustedException>(() => client.GetDailyAsync(TickerSymbol.Parse("IBM"), DailyFunction.Daily, OutputSize.Compact, DataType.Json, TestContext.Current.CancellationToken));
        Assert.DoesNotContain(Key, e.ToString(), StringComparison.Ordinal);
        Assert.Contains("[redacted]", e.Message, StringComparison.Ordinal);
        Assert.Equal(2, sim.Stats.Requests);
    }

    [Fact]
    public async Task Local_budget_refuses_before_asking()
    {
        await using var sim = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions(), 0, TestContext.Current.CancellationToken);
        using var client = Client(sim, budget: 1);
        await client.GetDailyAsync(TickerSymbol.Parse("IBM"), DailyFunction.Daily, OutputSize.Compact, DataType.Json, TestContext.Current.CancellationToken);
        await Assert.ThrowsAsync<QuotaExhaustedException>(() => client.GetDailyAsync(TickerSymbol.Parse("MSFT"), DailyFunction.Daily, OutputSize.Compact, DataType.Json, TestContext.Current.CancellationToken));
        Assert.Equal(1, sim.Stats.Requests);
    }

    [Fact]
    public async Task Burst_limit_and_503_faults_are_retried_until_data_arrives()
    {
        await using var sim = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions
        {
            Faults = new AlphaVantageFaultOptions { Probability = 0.5, Kinds = [AlphaVantageFaultKind.BurstLimit, AlphaVantageFaultKind.LegacyPerMinuteNote, AlphaVantageFaultKind.Unavailable503], Seed = 3 },
        }, 0, TestContext.Current.CancellationToken);
        var retry = RetryPolicyTable.Default.With(ErrorKind.RateLimited, new RetryPolicy(10, TimeSpan.Zero, TimeSpan.Zero, HonorRetryAfter: true))
            .With(ErrorKind.ServerError, new RetryPolicy(10, TimeSpan.Zero, TimeSpan.Zero));
        using var client = Client(sim, budget: 1000, retry);
        foreach (var symbol in new[] { "AAPL", "MSFT", "IBM", "KO", "SPY", "TSLA" })
        {
            var series = await client.GetDailyAsync(TickerSymbol.Parse(symbol), DailyFunction.Daily, OutputSize.Compact, DataType.Json, TestContext.Current.CancellationToken);
            Assert.Equal(100, series.Bars.Count);
        }

        Assert.True(sim.Stats.Faults > 0);
        Assert.Equal(sim.Stats.Faults, client.Retries);
    }

    [Fact]
    public async Task Free_key_gets_premium_notice_as_permission_denied()
    {
        await using var sim = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions { Premium = false }, 0, TestContext.Current.CancellationToken);
        using var client = Client(sim);
        var e = await Assert.ThrowsAsync<PermissionDeniedException>(() => client.GetDailyAsync(TickerSymbol.Parse("IBM"), DailyFunction.Daily, OutputSize.Full, DataType.Csv, TestContext.Current.CancellationToken));
        Assert.Contains("premium", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_key_is_refused_with_a_clear_message()
    {
        await using var sim = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions(), 0, TestContext.Current.CancellationToken);
        using var client = new AlphaVantageClient(new AlphaVantageClientOptions { BaseAddress = sim.BaseAddress, ApiKey = new AlphaVantageApiKey("demo"), MinInterval = TimeSpan.Zero });
        var e = await Assert.ThrowsAsync<PermissionDeniedException>(() => client.GetDailyAsync(TickerSymbol.Parse("IBM"), DailyFunction.Daily, OutputSize.Compact, DataType.Json, TestContext.Current.CancellationToken));
        Assert.Contains("ALPHA_VANTAGE_API_KEY", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connection_failure_message_never_carries_the_url_or_key()
    {
        using var client = new AlphaVantageClient(new AlphaVantageClientOptions
        {
            BaseAddress = new Uri("http://127.0.0.1:1/"), ApiKey = new AlphaVantageApiKey(Key), MinInterval = TimeSpan.Zero,
            Retry = RetryPolicyTable.Default.WithDelayScale(0),
        });
        var e = await Assert.ThrowsAsync<ConnectionFailedException>(() => client.GetDailyAsync(TickerSymbol.Parse("IBM"), DailyFunction.Daily, OutputSize.Compact, DataType.Json, TestContext.Current.CancellationToken));
        Assert.DoesNotContain(Key, e.ToString(), StringComparison.Ordinal);
        Assert.Equal("[redacted]", new AlphaVantageApiKey(Key).ToString());
    }

    [Fact]
    public void Pacing_waits_the_minimum_interval_between_requests()
    {
        // Checked through the query builder and options only: the interval itself is exercised by every test above (1 ms).
        Assert.Equal("query?function=TIME_SERIES_DAILY_ADJUSTED&symbol=BRK.B&outputsize=full&datatype=csv",
            AlphaVantageClient.Query(TickerSymbol.Parse("brk.b"), DailyFunction.DailyAdjusted, OutputSize.Full, DataType.Csv));
        Assert.DoesNotContain("apikey", Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(AlphaVantageClient.Query(TickerSymbol.Parse("IBM"), DailyFunction.Daily, OutputSize.Compact, DataType.Json))), StringComparison.Ordinal);
    }
}
