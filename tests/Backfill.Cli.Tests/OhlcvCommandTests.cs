using System.Text;
using Backfill.Encryption;
using Backfill.Simulators.AlphaVantage;

namespace Backfill.Cli.Tests;

/// <summary>The ohlcv dataset through the real command tree against the Alpha Vantage simulator: encrypted outputs, incremental runs, verify.</summary>
public sealed class OhlcvCommandTests : IAsyncLifetime
{
    private const string ApiKey = "av-cli-secret-key-0123456789abcdef";
    private readonly CliRunner _cli = new(new DateTimeOffset(2025, 6, 30, 23, 0, 0, TimeSpan.Zero));
    private AlphaVantageSimulator _simulator = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Out => Path.Combine(_cli.Folder, "out");

    private string Temp => Path.Combine(_cli.Folder, "temp");

    private string KeyFile => Path.Combine(_cli.Folder, "keys", "ohlcv-keys.json");

    public async ValueTask InitializeAsync()
    {
        _simulator = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions { Today = new DateOnly(2025, 6, 30) }, 0, Ct);
        _cli.Env["ALPHA_VANTAGE_API_KEY"] = ApiKey;
        _cli.Env["BACKFILL_OHLCV_KEYFILE"] = KeyFile;
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
        "--set", "ohlcv.symbols=AAPL,MSFT,BRK.B",
        "--set", "processing.startDate=2024-01-02",
        "--set", $"processing.outputDirectory={Out}",
        "--set", $"processing.tempDirectory={Temp}",
    ]);

    private static string Expected(SimBar bar, string symbol) => FormattableString.Invariant(
        $"{symbol},{bar.Date:yyyy-MM-dd},{bar.Open},{bar.High},{bar.Low},{bar.Close},{bar.Volume}");

    [Fact]
    public async Task Range_run_writes_encrypted_files_that_decrypt_to_the_simulators_rows_fetching_each_symbol_once()
    {
        Assert.Equal(0, (await _cli.RunAsync("keys", "init")).ExitCode);
        var first = await Ohlcv("process-range", "2025-06-23", "2025-06-25");
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Equal(3, _simulator.Stats.Requests); // three symbols, each once for three dates

        var store = KeyStore.Load(KeyFile, null);
        foreach (var day in new[] { 23, 24, 25 })
        {
            var date = new DateOnly(2025, 6, day);
            var path = Path.Combine(Out, "ohlcv", "2025", "06", $"{day:D2}", $"ohlcv-2025-06-{day:D2}.csv.enc");
            Assert.True(File.Exists(path), path);
            var bytes = await File.ReadAllBytesAsync(path, Ct);
            Assert.True(EncryptedFile.LooksEncrypted(bytes));
            var text = Encoding.UTF8.GetString(EncryptedFile.Decrypt(bytes, store.Find));
            var lines = text.TrimEnd('\n').Split('\n');
            Assert.Equal("symbol,date,open,high,low,close,volume", lines[0]);
            string[] expected = [.. new[] { "AAPL", "MSFT", "BRK.B" }.Select(s => Expected(_simulator.Market.Series(s).Single(b => b.Date == date), s))];
            Assert.Equal(expected, lines[1..]);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
            }
        }

        // No plaintext anywhere in the output or temp trees, and no leftover temp file.
        foreach (var file in Directory.GetFiles(Out, "*", SearchOption.AllDirectories).Concat(Directory.Exists(Temp) ? Directory.GetFiles(Temp, "*", SearchOption.AllDirectories) : []))
        {
            var content = await File.ReadAllBytesAsync(file, Ct);
            Assert.False(Encoding.UTF8.GetString(content).Contains("symbol,date", StringComparison.Ordinal), file);
            Assert.EndsWith(".csv.enc", file, StringComparison.Ordinal);
        }

        // Incremental: a wider range fetches each symbol once more and writes only the missing dates.
        var second = await Ohlcv("process-range", "2025-06-20", "2025-06-26", "--format", "json");
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Equal(6, _simulator.Stats.Requests);
        var outcomes = second.Json().EnumerateArray().ToDictionary(r => r.GetProperty("date").GetString()!, r => r.GetProperty("outcome").GetString());
        Assert.Equal("success", outcomes["2025-06-20"]);
        Assert.Equal("skipped", outcomes["2025-06-24"]);
        Assert.Equal("success", outcomes["2025-06-26"]);

        var gaps = await Ohlcv("gaps", "--from", "2025-06-20", "--to", "2025-06-26", "--format", "json");
        Assert.True(gaps.ExitCode == 0, gaps.ToString());
        Assert.Empty(gaps.Json().EnumerateArray());
        var list = await Ohlcv("list", "--format", "json");
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Equal(5, list.Json().EnumerateArray().Count());
        var status = await Ohlcv("status");
        Assert.True(status.ExitCode == 0, status.ToString());

        var verify = await Ohlcv("verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());

        // The API key is in no output, and not in the ledger.
        foreach (var result in new[] { first, second, gaps, list, status, verify })
        {
            Assert.DoesNotContain(ApiKey, result.Out + result.Error, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(ApiKey, Encoding.UTF8.GetString(await ReadShared(_cli.Db)), StringComparison.Ordinal);
        foreach (var extra in Directory.GetFiles(_cli.Folder, "backfill.db*"))
        {
            Assert.DoesNotContain(ApiKey, Encoding.UTF8.GetString(await ReadShared(extra)), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Verify_finds_a_tampered_file_and_refuses_a_wrong_key_with_a_clear_message()
    {
        Assert.Equal(0, (await _cli.RunAsync("keys", "init")).ExitCode);
        var run = await Ohlcv("process-range", "2025-06-23", "2025-06-24");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(0, (await Ohlcv("verify")).ExitCode);

        var path = Path.Combine(Out, "ohlcv", "2025", "06", "24", "ohlcv-2025-06-24.csv.enc");
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        bytes[^20] ^= 0x01;
        await File.WriteAllBytesAsync(path, bytes, Ct);
        var tampered = await Ohlcv("verify", "--format", "json");
        Assert.Equal(1, tampered.ExitCode);
        var rows = tampered.Json().EnumerateArray().ToDictionary(r => r.GetProperty("date").GetString()!, r => r);
        Assert.Equal("ok", rows["2025-06-23"].GetProperty("status").GetString());
        Assert.Equal("corrupted", rows["2025-06-24"].GetProperty("status").GetString());
        Assert.Contains("altered", rows["2025-06-24"].GetProperty("message").GetString(), StringComparison.Ordinal);

        // Another key (a key file that does not hold the files' key) is refused by name, with the fix.
        File.Move(KeyFile, KeyFile + ".bak");
        Assert.Equal(0, (await _cli.RunAsync("keys", "init")).ExitCode);
        var wrong = await Ohlcv("verify", "--format", "json");
        Assert.Equal(1, wrong.ExitCode);
        var message = wrong.Json().EnumerateArray().First().GetProperty("message").GetString()!;
        Assert.Contains("not in the key store", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Adjusted_series_add_their_columns_and_dates_older_than_100_sessions_use_the_full_series()
    {
        Assert.Equal(0, (await _cli.RunAsync("keys", "init")).ExitCode);
        var old = new DateOnly(2024, 6, 3); // far more than 100 sessions before the clock's 2025-06-30: compact would not hold it
        var run = await Ohlcv("process", "2024-06-03", "--set", "alphavantage.adjusted=true");
        Assert.True(run.ExitCode == 0, run.ToString());
        var path = Path.Combine(Out, "ohlcv", "2024", "06", "03", "ohlcv-2024-06-03.csv.enc");
        var text = Encoding.UTF8.GetString(EncryptedFile.Decrypt(await File.ReadAllBytesAsync(path, Ct), KeyStore.Load(KeyFile, null).Find));
        var lines = text.TrimEnd('\n').Split('\n');
        Assert.Equal("symbol,date,open,high,low,close,volume,adjusted_close,dividend,split", lines[0]);
        Assert.Equal(4, lines.Length);
        var bar = _simulator.Market.Series("MSFT").Single(b => b.Date == old);
        var fields = lines[2].Split(',');
        Assert.Equal(Expected(bar, "MSFT"), string.Join(',', fields[..7]));
        decimal D(string f) => decimal.Parse(f, System.Globalization.CultureInfo.InvariantCulture); // as the vendor wrote them (0.0000, 1.0)
        Assert.Equal([bar.AdjustedClose, bar.Dividend, bar.Split], fields[7..].Select(D));
        Assert.Equal(0, (await Ohlcv("verify")).ExitCode);
    }

    [Fact]
    public async Task Missing_api_key_exits_2_with_the_fix_and_bad_symbols_are_refused()
    {
        Assert.Equal(0, (await _cli.RunAsync("keys", "init")).ExitCode);
        if (Environment.GetEnvironmentVariable("ALPHA_VANTAGE_API_KEY") is null)
        {
            _cli.Env.Remove("ALPHA_VANTAGE_API_KEY");
            var noKey = await Ohlcv("process", "2025-06-24");
            Assert.Equal(2, noKey.ExitCode);
            Assert.Contains("ALPHA_VANTAGE_API_KEY", noKey.Error, StringComparison.Ordinal);
            Assert.Equal(0, _simulator.Stats.Requests);
        }

        var bad = await _cli.RunAsync("config", "set", "ohlcv.symbols", "AAPL,../etc");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("ohlcv.symbols", bad.Error, StringComparison.Ordinal);
    }

    private static async Task<byte[]> ReadShared(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer, Ct);
        return buffer.ToArray();
    }
}
