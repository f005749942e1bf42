using Backfill.Core.Errors;
using Backfill.Simulators.Databento;
using Backfill.Sources.Databento.Dbn;
using Backfill.Sources.Databento.Http;

namespace Backfill.Sources.Databento.Tests;

public sealed class ClientAgainstSimulatorTests
{
    private const string Key = "db-SECRETKEY0123456789abcdef";
    private static readonly DateOnly Day = new(2025, 1, 2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DatabentoHistoricalClient Client(DatabentoSimulator sim, string key = Key) => new(new DatabentoClientOptions
    {
        BaseAddress = sim.BaseAddress,
        ApiKey = new DatabentoApiKey(key),
        Retry = RetryPolicyTable.Default.WithDelayScale(0.001),
    });

    [Fact]
    public async Task Get_range_streams_zstd_dbn_with_symbology()
    {
        await using var sim = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions { RequiredApiKey = Key }, 0, Ct);
        using var client = Client(sim);
        var batch = await client.GetRangeAsync(
            GetRangeRequest.ForDates("GLBX.MDP3", ["HOH5", "OHH5 C24000"], DbnSchema.Statistics, DbnSType.RawSymbol, Day, Day.AddDays(1)), cancellationToken: Ct);
        Assert.Equal(3, batch.Metadata.Version);
        Assert.Equal(2, batch.Records.Count);
        Assert.All(batch.Records, r => Assert.Equal(DbnStatType.SettlementPrice, Assert.IsType<DbnStat>(r).StatType));
        Assert.Equal(2, batch.Metadata.Mappings.Count);
        Assert.True(batch.BytesReceived > 0);
    }

    [Fact]
    public async Task Parent_definitions_list_the_chain()
    {
        await using var sim = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions(), 0, Ct);
        using var client = Client(sim);
        var batch = await client.GetRangeAsync(
            GetRangeRequest.ForDates("GLBX.MDP3", ["OH.OPT"], DbnSchema.Definition, DbnSType.Parent, Day, Day.AddDays(1)),
            r => r is DbnDefinition { InstrumentClass: 'C' }, Ct);
        var calls = batch.Records.Cast<DbnDefinition>().ToList();
        Assert.Contains(calls, d => d.RawSymbol == "OHH5 C24000" && DbnConstants.ToDecimal(d.StrikePrice) == 2.40m && d.Underlying == "HOH5");
    }

    [Fact]
    public async Task Wrong_key_is_permission_denied_and_the_key_never_appears_in_the_message()
    {
        await using var sim = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions { RequiredApiKey = Key }, 0, Ct);
        using var client = Client(sim, "db-WRONGKEY0000000000000000000");
        var e = await Assert.ThrowsAsync<PermissionDeniedException>(() => client.GetRangeAsync(
            GetRangeRequest.ForDates("GLBX.MDP3", ["HOH5"], DbnSchema.Statistics, DbnSType.RawSymbol, Day, Day.AddDays(1)), cancellationToken: Ct));
        Assert.Equal(401, e.StatusCode);
        Assert.DoesNotContain("WRONGKEY", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, client.Stats.Requests); // never retried
        Assert.DoesNotContain("SECRETKEY", new DatabentoApiKey(Key).ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_after_end_is_an_invalid_request_with_the_vendor_case()
    {
        await using var sim = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions(), 0, Ct);
        using var client = Client(sim);
        var e = await Assert.ThrowsAsync<InvalidRequestException>(() => client.GetRangeAsync(
            GetRangeRequest.ForDates("GLBX.MDP3", ["HOH5"], DbnSchema.Statistics, DbnSType.RawSymbol, Day, Day), cancellationToken: Ct));
        Assert.Equal(422, e.StatusCode);
        Assert.Contains("data_time_range_start_on_or_after_end", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(DatabentoFaultKind.RateLimit429)]
    [InlineData(DatabentoFaultKind.ServerError500)]
    [InlineData(DatabentoFaultKind.ResetMidBody)]
    [InlineData(DatabentoFaultKind.CorruptBody)]
    public async Task Every_request_faulted_ends_in_the_typed_error_after_the_table_retries(DatabentoFaultKind kind)
    {
        await using var sim = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions
        {
            Faults = new DatabentoFaultOptions { Probability = 1, Kinds = [kind] },
        }, 0, Ct);
        using var client = Client(sim);
        var e = await Assert.ThrowsAnyAsync<BackfillException>(() => client.GetRangeAsync(
            GetRangeRequest.ForDates("GLBX.MDP3", ["HOH5"], DbnSchema.Statistics, DbnSType.RawSymbol, Day, Day.AddDays(1)), cancellationToken: Ct));
        var expected = kind switch
        {
            DatabentoFaultKind.RateLimit429 => ErrorKind.RateLimited,
            DatabentoFaultKind.ServerError500 => ErrorKind.ServerError,
            DatabentoFaultKind.ResetMidBody => e.Kind, // a reset surfaces as a broken connection or a truncated body
            _ => ErrorKind.InvalidResponse,
        };
        Assert.Equal(expected, e.Kind);
        Assert.Contains(e.Kind, new[] { ErrorKind.RateLimited, ErrorKind.ServerError, ErrorKind.ConnectionFailed, ErrorKind.InvalidResponse });
        Assert.Equal(RetryPolicyTable.Default.For(e.Kind).MaxAttempts, client.Stats.Requests);
        if (kind == DatabentoFaultKind.RateLimit429)
        {
            Assert.Equal(TimeSpan.FromSeconds(1), ((RateLimitedException)e).RetryAfter);
        }
    }

    [Fact]
    public async Task Occasional_faults_are_absorbed_by_retries()
    {
        await using var sim = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions
        {
            Faults = new DatabentoFaultOptions { Probability = 0.3, Kinds = [DatabentoFaultKind.RateLimit429, DatabentoFaultKind.Unavailable503], Seed = 3 },
        }, 0, Ct);
        using var client = Client(sim);
        for (var i = 0; i < 5; i++)
        {
            var batch = await client.GetRangeAsync(
                GetRangeRequest.ForDates("GLBX.MDP3", ["HOH5"], DbnSchema.Statistics, DbnSType.RawSymbol, Day, Day.AddDays(1)), cancellationToken: Ct);
            Assert.Single(batch.Records);
        }

        Assert.True(client.Stats.Retries > 0);
    }

    [Fact]
    public async Task Get_cost_returns_dollars()
    {
        await using var sim = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions(), 0, Ct);
        using var client = Client(sim);
        var cost = await client.GetCostAsync(
            GetRangeRequest.ForDates("GLBX.MDP3", ["HOH5", "HOJ5"], DbnSchema.Statistics, DbnSType.RawSymbol, Day, Day.AddDays(1)), Ct);
        Assert.Equal(0.0002m, cost);
    }
}
