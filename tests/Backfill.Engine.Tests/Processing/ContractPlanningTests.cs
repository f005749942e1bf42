using Backfill.Core.Errors;
using Backfill.Engine.Processing;
using Backfill.Simulators.ThetaData;
using Backfill.Sources.ThetaData;
using Backfill.Sources.ThetaData.Greeks;

namespace Backfill.Engine.Tests.Processing;

/// <summary>
/// The spx day asks the terminal only for expirations that were quoted on the date (its contract listing), on v2 and
/// v3, and falls back to the expiration lists when the listing is refused; the file is the same either way.
/// </summary>
public sealed class ContractPlanningTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(ThetaApiVersion.V2)]
    [InlineData(ThetaApiVersion.V3)]
    public async Task The_listing_names_exactly_the_expirations_that_hold_data_on_the_date(ThetaApiVersion api)
    {
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, 0, Ct);
        using var client = (ThetaDataClientBase)ThetaDataClientFactory.Create(new ThetaDataClientOptions
        {
            BaseAddress = sim.BaseAddress, ApiVersion = api, Retry = EngineFixture.FastRetry,
        });
        var day = EngineFixture.Day;
        var quoted = await client.ListQuotedExpirationsAsync(["SPX", "SPXW"], day, null, Ct);
        Assert.NotNull(quoted);
        Assert.Equal(["SPX", "SPXW"], quoted.Keys.Order());
        foreach (var root in new[] { "SPX", "SPXW" })
        {
            var all = (await client.ListExpirationsAsync(root, Ct)).Where(e => e >= day && e.DayNumber - day.DayNumber <= 45).ToList();
            var listed = quoted[root];
            Assert.NotEmpty(listed);
            Assert.All(listed, e => Assert.True(e >= day, $"{root} {e} expired before {day}"));
            foreach (var expiration in all)
            {
                var rows = 0;
                try
                {
                    await foreach (var _ in client.StreamGreeksAsync(new OptionGreeksRequest(root, expiration, day), null, Ct))
                    {
                        rows++;
                    }
                }
                catch (NoDataException)
                {
                }

                Assert.True(listed.Contains(expiration) == (rows > 0), $"{root} {expiration:yyyy-MM-dd}: listed {listed.Contains(expiration)}, {rows} rows");
            }
        }
    }

    [Fact]
    public async Task A_day_asks_for_its_quoted_expirations_only_and_records_what_it_planned()
    {
        await using var f = await EngineFixture.StartAsync();
        var outcome = await f.ProcessAsync();
        Assert.True(outcome.Kind == UnitOutcomeKind.Success, outcome.Message);
        var metrics = (await f.Ledger.ListMetricsAsync("spx", EngineFixture.Day, Ct)).ToDictionary(m => m.Name, m => m.Value);
        Assert.Equal(1, metrics["planned_from_contract_listing"]);
        Assert.Equal(metrics["expirations_listed"], metrics["expirations_requested"]);
        Assert.Equal(metrics["expirations_listed"], metrics["expirations_nonempty"]);
        Assert.Equal(0, metrics["expirations_no_data"]);
        // One listing, then one request per quoted expiration: nothing asked that holds nothing.
        Assert.Equal(1 + (long)metrics["expirations_requested"], f.Simulator.Stats.TotalRequests);
        Assert.Equal(outcome.SubUnits, (int)metrics["expirations_listed"]);
    }

    [Fact]
    public async Task A_refused_listing_falls_back_to_the_expiration_lists_with_the_same_bytes()
    {
        await using var planned = await EngineFixture.StartAsync();
        Assert.Equal(UnitOutcomeKind.Success, (await planned.ProcessAsync()).Kind);
        var expected = await File.ReadAllBytesAsync(planned.OutputFile, Ct);

        await using var f = await EngineFixture.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02, ContractListing = false });
        var outcome = await f.ProcessAsync();
        Assert.True(outcome.Kind == UnitOutcomeKind.Success, outcome.Message);
        Assert.Equal(expected, await File.ReadAllBytesAsync(f.OutputFile, Ct));
        var metrics = (await f.Ledger.ListMetricsAsync("spx", EngineFixture.Day, Ct)).ToDictionary(m => m.Name, m => m.Value);
        Assert.Equal(0, metrics["planned_from_contract_listing"]);
        Assert.True(metrics["expirations_requested"] > metrics["expirations_nonempty"], "the expiration lists name expirations with no data on the date");
        var refused = Assert.Single(await f.Ledger.ListErrorsAsync("spx", EngineFixture.Day, 100, Ct), e => e.SubUnit == "contracts");
        Assert.Equal(nameof(ErrorKind.PermissionDenied), refused.ErrorType);
        Assert.Contains("planned from the expiration lists instead", refused.Message, StringComparison.Ordinal);
    }
}
