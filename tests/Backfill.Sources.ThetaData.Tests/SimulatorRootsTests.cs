using System.Globalization;
using System.Net;
using System.Text.Json;
using Backfill.Core.Calendars;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Simulators.ThetaData;
using static Backfill.Sources.ThetaData.Tests.TestSupport;

namespace Backfill.Sources.ThetaData.Tests;

/// <summary>The simulator serves any option root with a realistic chain, not only SPX and SPXW.</summary>
public sealed class SimulatorRootsTests
{
    private static readonly ThetaDataSimulatorOptions Full = new();

    [Theory]
    [InlineData("SPY", 540, 1000)]
    [InlineData("QQQ", 460, 1000)]
    [InlineData("IWM", 200, 1000)]
    [InlineData("AAPL", 190, 2500)]
    [InlineData("NDXP", 19000, 10_000)]
    [InlineData("RUTW", 2050, 5000)]
    public async Task A_root_lists_strikes_around_its_spot_on_its_product_grid(string root, double level, int nearSpacingMilli)
    {
        await using var sim = await ThetaDataSimulator.StartAsync(Full, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = sim.BaseAddress };
        var contracts = await V2ContractsAsync(http, root, Day);
        Assert.NotEmpty(contracts);
        Assert.All(contracts, c => Assert.Equal(root, c.Root));

        // The nearest weekly: the underlying trades near the root's level, strikes bracket it on the near spacing.
        var exp = contracts.Select(c => c.Expiration).Where(e => e > Day).Min();
        var rows = await ReadAllAsync(Client(sim), new OptionGreeksRequest(root, exp, Day), null);
        var spot = rows[0].UnderlyingPrice;
        Assert.InRange(spot, level * 0.85, level * 1.15);
        var strikes = contracts.Where(c => c.Expiration == exp).Select(c => c.StrikeMilli).Distinct().Order().ToList();
        Assert.Contains(strikes, k => k < spot * 1000);
        Assert.Contains(strikes, k => k > spot * 1000);
        var nearMoney = strikes.Where(k => Math.Abs((k / 1000.0) - spot) <= spot * 0.02).ToList();
        Assert.True(nearMoney.Count >= 3, $"{root} has {nearMoney.Count} strikes within 2 % of {spot}");
        Assert.All(nearMoney.Zip(nearMoney.Skip(1), (a, b) => b - a), gap => Assert.Equal(nearSpacingMilli, gap));

        // Further out the grid widens; every strike sits on the finest spacing's grid.
        var leaps = contracts.Select(c => c.Expiration).Max();
        var far = contracts.Where(c => c.Expiration == leaps).Select(c => c.StrikeMilli).Distinct().Order().ToList();
        var gaps = far.Zip(far.Skip(1), (a, b) => b - a).ToList();
        Assert.Contains(gaps, g => g > nearSpacingMilli);
        Assert.All(far, k => Assert.Equal(0, k % (nearSpacingMilli == 2500 ? 500 : nearSpacingMilli)));
        Assert.True(leaps > Day.AddMonths(9), $"{root}: the furthest expiration listed on {Day} is {leaps}");

        // Calls and puts price consistently with the strike.
        Assert.All(rows, r => Assert.InRange(r.Delta, -1, 1));
        Assert.All(rows, r => Assert.True(r.Bid <= r.Ask, $"bid {r.Bid} above ask {r.Ask}"));
    }

    [Fact]
    public async Task Spy_and_qqq_list_every_weekday_in_2024_aapl_only_fridays_and_monthlies()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(Full, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = sim.BaseAddress };
        foreach (var root in new[] { "SPY", "QQQ" })
        {
            var in2024 = (await V2ExpirationsAsync(http, root)).Where(e => e.Year == 2024).ToList();
            Assert.Equal(
                new[] { DayOfWeek.Monday, DayOfWeek.Tuesday, DayOfWeek.Wednesday, DayOfWeek.Thursday, DayOfWeek.Friday },
                in2024.Select(e => e.DayOfWeek).Distinct().Order());
            Assert.True(in2024.Count > 240, $"{root} has {in2024.Count} expirations in 2024");

            // Before November 2022 Tuesdays and Thursdays expired only at a quarter's end or before a Friday holiday.
            var in2021 = (await V2ExpirationsAsync(http, root)).Where(e => e.Year == 2021).ToList();
            Assert.All(
                in2021.Where(e => e.DayOfWeek is DayOfWeek.Tuesday or DayOfWeek.Thursday),
                e => Assert.True(IsFridayHolidayEve(e) || IsQuarterEnd(e), $"{root} {e:yyyy-MM-dd}"));
        }

        var aapl = (await V2ExpirationsAsync(http, "AAPL")).Where(e => e.Year == 2024).ToList();
        Assert.All(aapl, e => Assert.True(e.DayOfWeek == DayOfWeek.Friday || IsFridayHolidayEve(e), $"AAPL {e:yyyy-MM-dd} ({e.DayOfWeek})"));
        Assert.Contains(new DateOnly(2024, 3, 28), aapl); // Good Friday 2024: the March monthly moves to Thursday.
        Assert.Contains(new DateOnly(2024, 6, 21), aapl); // third Friday
        Assert.InRange(aapl.Count, 48, 53);

        // On a Tuesday SPY trades a same-day expiration; AAPL does not have one.
        var tuesday = new DateOnly(2024, 6, 11);
        Assert.Contains(await V2ContractsAsync(http, "SPY", tuesday), c => c.Expiration == tuesday);
        Assert.DoesNotContain(await V2ContractsAsync(http, "AAPL", tuesday), c => c.Expiration == tuesday);

        // LEAPS: January expirations two years and more out are listed for AAPL on the date, other months are not.
        var aaplListed = (await V2ContractsAsync(http, "AAPL", Day)).Select(c => c.Expiration).Distinct().ToList();
        Assert.Contains(new DateOnly(2026, 1, 16), aaplListed);
        Assert.DoesNotContain(aaplListed, e => e > new DateOnly(2025, 7, 1) && e.Month != 1);
    }

    [Fact]
    public async Task An_unlisted_expiration_answers_no_data_on_v2_and_v3()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(Full, cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = sim.BaseAddress };

        // AAPL has no Tuesday expiration; SPY had none in 2021.
        using (var v2 = await http.GetAsync("v2/bulk_hist/option/greeks?root=AAPL&exp=20240618&start_date=20240612&end_date=20240612&ivl=60000", Ct))
        {
            Assert.Equal(472, (int)v2.StatusCode);
            using var doc = JsonDocument.Parse(await v2.Content.ReadAsStringAsync(Ct));
            Assert.Equal("NO_DATA", doc.RootElement.GetProperty("header").GetProperty("error_type").GetString());
            Assert.Equal(0, doc.RootElement.GetProperty("response").GetArrayLength());
        }

        using (var v3 = await http.GetAsync("v3/option/history/greeks/first_order?symbol=SPY&expiration=20210615&date=20210610&interval=1m&format=json", Ct))
        {
            Assert.Equal(472, (int)v3.StatusCode);
            Assert.StartsWith("text/plain", v3.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
            Assert.Contains("No data", await v3.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
        }

        // A listed one answers.
        using var listed = await http.GetAsync("v3/option/history/greeks/first_order?symbol=SPY&expiration=20240618&date=20240612&interval=1h&format=json", Ct);
        Assert.Equal(HttpStatusCode.OK, listed.StatusCode);
    }

    [Fact]
    public async Task The_v3_contract_listing_serves_several_roots_at_once()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(Small(), cancellationToken: Ct);
        using var http = new HttpClient { BaseAddress = sim.BaseAddress };
        var csv = await http.GetStringAsync("v3/option/list/contracts/quote?date=20240612&symbol=SPY,QQQ", Ct);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("symbol,expiration,strike,right", lines[0]);
        var symbols = lines.Skip(1).Select(l => l.Split(',')[0]).Distinct().ToList();
        Assert.Equal(["SPY", "QQQ"], symbols);
        Assert.All(lines.Skip(1), l => Assert.Matches(@"^(SPY|QQQ),\d{4}-\d{2}-\d{2},\d+\.\d{3},(CALL|PUT)$", l));
    }

    [Fact]
    public async Task An_unknown_root_gets_a_deterministic_price_level()
    {
        double first;
        var options = new ThetaDataSimulatorOptions { Scale = 0.3 };
        await using (var sim = await ThetaDataSimulator.StartAsync(options, cancellationToken: Ct))
        {
            var (_, _, rows) = await FirstTradedAsync(Client(sim), "ZQXW");
            first = rows[0].UnderlyingPrice;
            Assert.InRange(first, 5, 1000);
        }

        await using (var again = await ThetaDataSimulator.StartAsync(options, cancellationToken: Ct))
        {
            var (_, _, rows) = await FirstTradedAsync(Client(again), "ZQXW");
            Assert.Equal(first, rows[0].UnderlyingPrice);
        }
    }

    /// <summary>A Thursday before a Friday holiday, where a Friday expiration moves.</summary>
    private static bool IsFridayHolidayEve(DateOnly d) =>
        d.DayOfWeek == DayOfWeek.Thursday && !NyseCalendar.Instance.IsSession(d.AddDays(1));

    /// <summary>The last session of March, June, September or December.</summary>
    private static bool IsQuarterEnd(DateOnly d) =>
        d.Month % 3 == 0 && NyseCalendar.Instance.NextSession(d).Month != d.Month;

    private static async Task<List<DateOnly>> V2ExpirationsAsync(HttpClient http, string root)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"v2/list/expirations?root={root}", Ct));
        return doc.RootElement.GetProperty("response").EnumerateArray()
            .Select(e => DateOnly.ParseExact(e.GetInt32().ToString(CultureInfo.InvariantCulture), "yyyyMMdd", CultureInfo.InvariantCulture)).ToList();
    }

    private static async Task<List<(string Root, DateOnly Expiration, int StrikeMilli, string Right)>> V2ContractsAsync(HttpClient http, string root, DateOnly date)
    {
        using var response = await http.GetAsync($"v2/list/contracts/option/quote?start_date={date:yyyyMMdd}&root={root}", Ct);
        if ((int)response.StatusCode == 472)
        {
            return [];
        }

        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct));
        return doc.RootElement.GetProperty("response").EnumerateArray()
            .Select(r => (r[0].GetString()!, DateOnly.ParseExact(r[1].GetInt32().ToString(CultureInfo.InvariantCulture), "yyyyMMdd", CultureInfo.InvariantCulture), r[2].GetInt32(), r[3].GetString()!))
            .ToList();
    }
}
