using Backfill.Simulators.AlphaVantage;
using Backfill.Simulators.CryptoLake;
using Backfill.Simulators.Databento;

namespace Backfill.Cli.Tests;

/// <summary><c>health --dataset X</c> asks X's own vendor, not the ThetaData terminal.</summary>
public sealed class SourceHealthTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task<(int Code, string Status, string Detail)> SourceAsync(CliRunner cli, params string[] args)
    {
        await PublishedDays.ConfigureAsync(cli);
        // health gives each check 2.5 s. The first request to an in-process simulator pays for its JIT and, for
        // Crypto Lake, for generating the day; one run first keeps a loaded test machine from timing that out.
        _ = await cli.RunAsync(["health", "--format", "json", .. args]);
        var result = await cli.RunAsync(["health", "--format", "json", .. args]);
        var source = result.Json().EnumerateArray().Single(c => c.GetProperty("check").GetString() == "source");
        return (result.ExitCode, source.GetProperty("status").GetString()!, source.GetProperty("detail").GetString()!);
    }

    [Fact]
    public async Task Fop_health_checks_the_databento_key_with_a_free_cost_request()
    {
        await using var sim = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions { RequiredApiKey = "db-right-key" }, 0, Ct);
        string[] args = ["--dataset", "fop", "--set", $"databento.baseUrl={sim.BaseAddress.ToString().TrimEnd('/')}"];

        using (var cli = new CliRunner())
        {
            cli.Env["BACKFILL_DATABENTO_APIKEY"] = "db-right-key";
            var (code, status, detail) = await SourceAsync(cli, args);
            Assert.True(status == "ok", detail);
            Assert.Equal(0, code);
            Assert.Contains("Databento", detail, StringComparison.Ordinal);
        }

        using (var cli = new CliRunner())
        {
            cli.Env["BACKFILL_DATABENTO_APIKEY"] = "db-wrong-key";
            var (code, status, detail) = await SourceAsync(cli, args);
            Assert.Equal(("fail", 3), (status, code));
            Assert.DoesNotContain("db-wrong-key", detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Ohlcv_health_needs_a_key_but_never_spends_quota_on_it()
    {
        await using var sim = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions(), 0, Ct);
        string[] args = ["--dataset", "ohlcv", "--set", $"alphavantage.baseUrl={sim.BaseAddress.ToString().TrimEnd('/')}"];

        using (var cli = new CliRunner())
        {
            cli.Env["ALPHA_VANTAGE_API_KEY"] = "AVKEY123";
            var (code, status, detail) = await SourceAsync(cli, args);
            Assert.True(status == "ok", detail);
            Assert.Equal(0, code);
            Assert.DoesNotContain("AVKEY123", detail, StringComparison.Ordinal);
        }

        using (var cli = new CliRunner())
        {
            cli.Env["ALPHA_VANTAGE_API_KEY"] = "";
            var (code, status, detail) = await SourceAsync(cli, args);
            Assert.Equal(("fail", 3), (status, code));
            Assert.Contains("ALPHA_VANTAGE_API_KEY", detail, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Crypto_book_health_lists_the_lake_and_fails_on_a_closed_port()
    {
        await using var sim = await CryptoLakeSimulator.StartAsync(new CryptoLakeDayOptions { MessagesPerSecond = 0.05 }, cancellationToken: Ct);

        // The simulator generates a day on its first listing; on a loaded machine that alone can pass health's 2.5 s.
        using (var http = new HttpClient { Timeout = TimeSpan.FromMinutes(2) })
        {
            var prefix = CryptoLakeSimulator.KeyPrefix + "book_delta_v2/exchange=BINANCE/symbol=BTC-USDT/dt=2024-12-30/";
            using var warm = await http.GetAsync(new Uri(sim.BaseAddress, "?list-type=2&prefix=" + Uri.EscapeDataString(prefix)), Ct);
        }

        using (var cli = new CliRunner())
        {
            var (code, status, detail) = await SourceAsync(cli, "--dataset", "crypto-book", "--set", $"cryptolake.baseUrl={sim.BaseAddress.ToString().TrimEnd('/')}");
            Assert.True(status == "ok", detail);
            Assert.Equal(0, code);
            Assert.Contains("2024-12-30", detail, StringComparison.Ordinal);
        }

        using (var cli = new CliRunner())
        {
            var (code, status, _) = await SourceAsync(cli, "--dataset", "crypto-book", "--set", "cryptolake.baseUrl=http://127.0.0.1:9");
            Assert.Equal(("fail", 3), (status, code));
        }
    }
}
