using System.Text;
using Backfill.Simulators.AlphaVantage;

namespace Backfill.Cli.Tests;

/// <summary><c>alphavantage.apiKey</c> from the configuration: stored encrypted, always masked, and the environment still wins.</summary>
public sealed class OhlcvApiKeyConfigTests : IAsyncLifetime
{
    private const string Secret = "AVCFGSECRET0123456789";
    private readonly CliRunner _cli = new(new DateTimeOffset(2025, 6, 30, 23, 0, 0, TimeSpan.Zero));
    private AlphaVantageSimulator _simulator = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _simulator = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions(), 0, Ct);
        _cli.Env["BACKFILL_OHLCV_KEYFILE"] = Path.Combine(_cli.Folder, "keys", "ohlcv-keys.json");
    }

    public async ValueTask DisposeAsync()
    {
        await _simulator.DisposeAsync();
        _cli.Dispose();
    }

    private Task<CliResult> Ohlcv(params string[] args) => _cli.RunAsync(
    [
        .. args, "--dataset", "ohlcv",
        "--set", $"alphavantage.baseUrl={_simulator.BaseAddress.ToString().TrimEnd('/')}",
        "--set", "alphavantage.minIntervalMs=0",
        "--set", "ohlcv.symbols=AAPL",
        "--set", "processing.startDate=2025-06-02",
        "--set", $"processing.outputDirectory={Path.Combine(_cli.Folder, "out")}",
        "--set", $"processing.tempDirectory={Path.Combine(_cli.Folder, "temp")}",
    ]);

    private async Task<string> LedgerBytesAsync()
    {
        var text = new StringBuilder();
        foreach (var file in Directory.GetFiles(_cli.Folder, "backfill.db*"))
        {
            await using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, Ct);
            text.Append(Encoding.Latin1.GetString(buffer.ToArray()));
        }

        return text.ToString();
    }

    [Fact]
    public async Task A_stored_api_key_is_encrypted_in_the_ledger_masked_everywhere_and_used_by_processing()
    {
        Assert.Equal(0, (await _cli.RunAsync("keys", "init")).ExitCode);
        var set = await _cli.RunWithInputAsync(Secret + "\n", "config", "set", "alphavantage.apiKey", "-");
        Assert.True(set.ExitCode == 0, set.ToString());
        var replaced = await _cli.RunWithInputAsync(Secret + "\n", "config", "set", "alphavantage.apiKey", "-");
        Assert.Contains("(was ***", replaced.Out, StringComparison.Ordinal);

        var get = await _cli.RunAsync("config", "get", "alphavantage.apiKey", "--format", "json");
        var shown = get.Json()[0].GetProperty("value").GetString()!;
        Assert.StartsWith("*** (encrypted with key k", shown, StringComparison.Ordinal);
        var history = await _cli.RunAsync("config", "history", "alphavantage.apiKey", "--format", "csv");
        var all = await _cli.RunAsync("config", "get");
        var validate = await _cli.RunAsync("config", "validate");

        _cli.Env.Remove("ALPHA_VANTAGE_API_KEY");
        var run = await Ohlcv("process", "2025-06-24");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(1, _simulator.Stats.Requests);

        foreach (var result in new[] { set, replaced, get, history, all, validate, run })
        {
            Assert.DoesNotContain(Secret, result.Out + result.Error, StringComparison.Ordinal);
        }

        Assert.Contains("***", history.Out, StringComparison.Ordinal);
        var ledger = await LedgerBytesAsync();
        Assert.DoesNotContain(Secret, ledger, StringComparison.Ordinal);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes(Secret)), ledger, StringComparison.Ordinal);
        Assert.Contains("enc:v1:", ledger, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_environment_key_wins_over_the_stored_one()
    {
        Assert.Equal(0, (await _cli.RunAsync("keys", "init")).ExitCode);
        Assert.Equal(0, (await _cli.RunWithInputAsync("demo\n", "config", "set", "alphavantage.apiKey", "-")).ExitCode);

        // The stored key is the vendor's 'demo' key, which the simulator refuses like the real service.
        if (Environment.GetEnvironmentVariable("ALPHA_VANTAGE_API_KEY") is null)
        {
            var refused = await Ohlcv("process", "2025-06-24", "--format", "json");
            Assert.Equal(1, refused.ExitCode);
            Assert.StartsWith("PermissionDenied", (await _cli.RunAsync("--dataset", "ohlcv", "list", "--format", "json")).Json()[0].GetProperty("last_error").GetString(), StringComparison.Ordinal);
        }

        _cli.Env["ALPHA_VANTAGE_API_KEY"] = "av-env-key-wins";
        var run = await Ohlcv("process", "2025-06-25");
        Assert.True(run.ExitCode == 0, run.ToString());
    }

    [Fact]
    public async Task A_secret_cannot_be_stored_without_a_key_store_and_a_bad_value_is_refused_without_echoing_it()
    {
        var noStore = await _cli.RunWithInputAsync(Secret + "\n", "config", "set", "alphavantage.apiKey", "-");
        Assert.Equal(2, noStore.ExitCode);
        Assert.Contains("keys init", noStore.Error, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, await LedgerBytesAsync(), StringComparison.Ordinal);

        Assert.Equal(0, (await _cli.RunAsync("keys", "init")).ExitCode);
        var bad = await _cli.RunAsync("config", "set", "alphavantage.apiKey", "ABC DEF-SECRETPART");
        Assert.Equal(2, bad.ExitCode);
        Assert.DoesNotContain("SECRETPART", bad.Out + bad.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_daily_budget_carries_across_runs_in_the_ledger_and_resets_the_next_new_york_day()
    {
        Assert.Equal(0, (await _cli.RunAsync("keys", "init")).ExitCode);
        _cli.Env["ALPHA_VANTAGE_API_KEY"] = "av-budget-key";
        string[] budget = ["--set", "alphavantage.dailyBudget=1"];
        var first = await Ohlcv(["process", "2025-06-24", .. budget]);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(1, _simulator.Stats.Requests);

        // A second run the same New York day finds the budget spent in the ledger: it asks nothing and leaves the date resumable.
        var second = await Ohlcv(["process", "2025-06-25", .. budget]);
        Assert.Equal(1, second.ExitCode);
        Assert.Contains("2025-06-30 (New York day", second.Out + second.Error, StringComparison.Ordinal);
        Assert.Equal(1, _simulator.Stats.Requests);
        var status = await Ohlcv(["status", "--format", "json", .. budget]);
        var metrics = status.Json().EnumerateArray().ToDictionary(r => r.GetProperty("metric").GetString()!, r => r.GetProperty("value"));
        Assert.Equal(1, metrics["requests_today"].GetInt32());
        Assert.Equal("2025-06-30", metrics["budget_day"].GetString());

        // 03:30 UTC on July 1st is still June 30th in New York (EDT, UTC-4); 05:00 UTC is a new day there.
        _cli.Clock.Now = new DateTimeOffset(2025, 7, 1, 3, 30, 0, TimeSpan.Zero);
        Assert.Equal(1, (await Ohlcv(["process", "2025-06-25", .. budget])).ExitCode);
        _cli.Clock.Now = new DateTimeOffset(2025, 7, 1, 5, 0, 0, TimeSpan.Zero);
        var nextDay = await Ohlcv(["process", "2025-06-25", .. budget]);
        Assert.True(nextDay.ExitCode == 0, nextDay.ToString());
        Assert.Equal(2, _simulator.Stats.Requests);
    }
}
