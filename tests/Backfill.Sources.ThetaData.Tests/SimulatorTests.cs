using System.Net;
using System.Text.Json;
using Backfill.Simulators.ThetaData;
using static Backfill.Sources.ThetaData.Tests.TestSupport;

namespace Backfill.Sources.ThetaData.Tests;

public sealed class SimulatorTests
{
    [Fact]
    public async Task Holiday_answers_472_no_data_with_the_v2_envelope()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(Small(), cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = sim.BaseAddress };
        using var response = await http.GetAsync("v2/bulk_hist/option/greeks?root=SPX&exp=20240719&start_date=20240704&end_date=20240704&ivl=60000", Ct);
        Assert.Equal(472, (int)response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        Assert.Equal("NO_DATA", doc.RootElement.GetProperty("header").GetProperty("error_type").GetString());
    }

    [Fact]
    public async Task Strikes_sit_on_the_exchange_grid_and_widen_away_from_the_money()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions(), cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = sim.BaseAddress };
        // The furthest listed monthly: strikes as listed today, a long time before expiry.
        var exp = (await ListAsync(http, "v2/list/expirations?root=SPX"))[^1];
        var strikes = await ListAsync(http, $"v2/list/strikes?root=SPX&exp={exp}");
        Assert.True(strikes.Count > 100, $"only {strikes.Count} strikes");
        Assert.All(strikes, k => Assert.Equal(0, k % 5000));
        var gaps = strikes.Zip(strikes.Skip(1), (a, b) => b - a).ToList();
        Assert.Contains(5000, gaps);
        Assert.Contains(gaps, g => g >= 50_000);
        Assert.All(gaps, g => Assert.Contains(g, new long[] { 5000, 10_000, 15_000, 20_000, 25_000, 50_000, 75_000, 100_000 }));
    }

    [Fact]
    public async Task Put_call_parity_holds_on_mids_within_the_spreads()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(Small(), cancellationToken: Ct);
        var (_, exp, rows) = await FirstTradedAsync(Client(sim));
        var pairs = rows.GroupBy(r => (r.StrikeMilli, r.MsOfDay)).Where(g => g.Count() == 2).ToList();
        Assert.NotEmpty(pairs);
        foreach (var pair in pairs)
        {
            var call = pair.Single(r => r.Right == 'C');
            var put = pair.Single(r => r.Right == 'P');
            var s = call.UnderlyingPrice;
            var k = call.StrikeMilli / 1000.0;
            var minutes = ((exp.DayNumber - Day.DayNumber) * 1440.0) + ((57_600_000 - call.MsOfDay) / 60_000.0);
            var years = Math.Max(minutes, 1) / (365.0 * 1440);
            var parity = (s * Math.Exp(-0.014 * years)) - (k * Math.Exp(-0.053 * years));
            var diff = ((call.Bid + call.Ask) / 2) - ((put.Bid + put.Ask) / 2);
            var tolerance = ((call.Ask - call.Bid + put.Ask - put.Bid) / 2) + 0.2;
            Assert.True(Math.Abs(diff - parity) <= tolerance, $"K={k} t={call.MsOfDay}: mids differ by {diff}, parity says {parity}");
            Assert.InRange(call.Delta, 0, 1);
            Assert.InRange(put.Delta, -1, 0);
        }
    }

    [Fact]
    public async Task Large_responses_page_with_absolute_next_page_urls()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(Small(tickLimit: 1000), cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = sim.BaseAddress };
        var exp = (await ListAsync(http, "v2/list/expirations?root=SPX")).Select(e => (int)e).First(e => e >= 20240612);
        using var response = await http.GetAsync($"v2/bulk_hist/option/greeks?root=SPX&exp={exp}&start_date=20240612&end_date=20240612&ivl=60000", Ct);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        var next = doc.RootElement.GetProperty("header").GetProperty("next_page").GetString();
        Assert.StartsWith(sim.BaseAddress + "v2/page/", next, StringComparison.Ordinal);
        var ticks = doc.RootElement.GetProperty("response").EnumerateArray().Sum(c => c.GetProperty("ticks").GetArrayLength());
        Assert.InRange(ticks, 1, 1000);
    }

    private static async Task<List<long>> ListAsync(HttpClient http, string url)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync(url, Ct));
        return doc.RootElement.GetProperty("response").EnumerateArray().Select(e => e.GetInt64()).ToList();
    }
}
