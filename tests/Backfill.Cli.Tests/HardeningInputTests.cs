using System.Text;
using Backfill.Encryption;

namespace Backfill.Cli.Tests;

/// <summary>Hostile input is refused up front with exit 2, a message naming the value and the fix, and nothing written.</summary>
public sealed class HardeningInputTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("https://alice:s3cret-word@lake.example.com/bucket/cryptofeed", "user:password@")]
    [InlineData("https://lake.example.com/bucket/cryptofeed?token=s3cret-word", "query")]
    [InlineData("http://lake.example.com/bucket?X-Amz-Signature=s3cret-word", "query")]
    public async Task Crypto_lake_base_url_with_credentials_is_refused_without_echoing_them(string url, string fix)
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("config", "set", "cryptolake.baseUrl", url);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("cryptolake.baseUrl", result.Error, StringComparison.Ordinal);
        Assert.Contains(fix, result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret-word", result.Error + result.Out, StringComparison.Ordinal);
        var stored = await cli.RunAsync("config", "history", "--format", "json");
        Assert.Empty(stored.Json().EnumerateArray());
    }

    [Fact]
    public async Task Crypto_lake_base_url_without_credentials_is_still_accepted()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("config", "set", "cryptolake.baseUrl", "https://lake.example.com/bucket/cryptofeed/");
        Assert.True(result.ExitCode == 0, result.ToString());
    }

    [Fact]
    public async Task Decrypting_a_file_that_is_not_encrypted_is_refused_by_its_header_naming_the_path()
    {
        using var cli = await KeysReadyAsync();
        var plain = Path.Combine(cli.Folder, "plain.csv");
        await File.WriteAllTextAsync(plain, "date,symbol,close\n2024-01-02,AAPL,185.5\n", Ct);
        var result = await cli.RunAsync("keys", "decrypt", plain);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(plain, result.Error, StringComparison.Ordinal);
        Assert.Contains("not an encrypted", result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Out);
    }

    [Fact]
    public async Task Decrypting_an_endless_device_is_refused_before_reading_it_all()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        using var cli = await KeysReadyAsync();
        var result = await cli.RunAsync("keys", "decrypt", "/dev/zero");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("/dev/zero", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decrypting_an_encrypted_file_over_the_size_bound_is_refused_naming_the_path()
    {
        using var cli = await KeysReadyAsync();
        var store = KeyStore.Load(Path.Combine(cli.Folder, "keys.json"), null);
        var huge = Path.Combine(cli.Folder, "huge.csv.enc");
        await using (var stream = File.Create(huge))
        {
            await stream.WriteAsync(EncryptedFile.Encrypt("a,b\n"u8.ToArray(), store.ActiveKey), Ct);

            // Sparse: the size is over the bound without writing a gigabyte.
            stream.SetLength(EncryptedFile.MaxFileBytes + 1);
        }

        var result = await cli.RunAsync("keys", "decrypt", huge);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(huge, result.Error, StringComparison.Ordinal);
        Assert.Contains("larger than", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Decrypting_a_good_file_still_prints_its_text()
    {
        using var cli = await KeysReadyAsync();
        var store = KeyStore.Load(Path.Combine(cli.Folder, "keys.json"), null);
        var file = Path.Combine(cli.Folder, "good.csv.enc");
        await File.WriteAllBytesAsync(file, EncryptedFile.Encrypt(Encoding.UTF8.GetBytes("date,close\n2024-01-02,1.5\n"), store.ActiveKey), Ct);
        var result = await cli.RunAsync("keys", "decrypt", file);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("date,close\n2024-01-02,1.5\n", result.Out);
    }

    [Theory]
    [InlineData("--lease", "99999999h")]
    [InlineData("--lease", "25h")]
    [InlineData("--poll", "2h")]
    [InlineData("--poll", "99999999h")]
    public async Task Worker_durations_past_their_bound_are_refused_before_any_work(string option, string value)
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("worker", option, value, "--from", "2024-06-10", "--to", "2024-06-10");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(option, result.Error, StringComparison.Ordinal);
        Assert.Contains(value, result.Error, StringComparison.Ordinal);
        Assert.Contains("at most", result.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(cli.Db), "the ledger must not be opened");
    }

    [Theory]
    [InlineData("processing.outputDirectory", 10_000, 10)]
    [InlineData("processing.tempDirectory", 10_000, 10)]
    [InlineData("processing.outputDirectory", 300, 1)]
    public async Task Config_set_refuses_a_path_too_long_for_the_filesystem(string key, int segmentLength, int segments)
    {
        using var cli = new CliRunner();
        var path = LongPath(cli.Folder, segmentLength / segments, segments);
        var result = await cli.RunAsync("config", "set", key, path);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(key, result.Error, StringComparison.Ordinal);
        Assert.Contains(segments == 1 ? "255" : "4096", result.Error, StringComparison.Ordinal);
        Assert.True(result.Error.Length < 1000, "the message must not echo the whole path");
        var stored = await cli.RunAsync("config", "history", "--format", "json");
        Assert.Empty(stored.Json().EnumerateArray());
    }

    [Fact]
    public async Task A_set_flag_with_a_path_too_long_is_refused_before_processing()
    {
        using var cli = new CliRunner();
        var path = LongPath(cli.Folder, 1000, 10);
        var result = await cli.RunAsync("process", "2024-06-10", "--set", $"processing.outputDirectory={path}");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("processing.outputDirectory", result.Error, StringComparison.Ordinal);
        Assert.Contains("4096", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("0")]
    public async Task Gaps_limit_below_one_is_refused(string limit)
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("gaps", "--from", "2024-06-10", "--to", "2024-06-14", "--limit", limit);
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("--limit", result.Error, StringComparison.Ordinal);
        Assert.Contains(limit, result.Error, StringComparison.Ordinal);
        Assert.Empty(result.Out);
    }

    [Fact]
    public async Task Gaps_limit_of_one_shows_one_gap()
    {
        using var cli = new CliRunner();
        Assert.Equal(0, (await cli.RunAsync("config", "set", "processing.startDate", "2024-06-03")).ExitCode);
        var result = await cli.RunAsync("gaps", "--from", "2024-06-10", "--to", "2024-06-14", "--limit", "1", "--format", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Single(result.Json().EnumerateArray());
    }

    [Fact]
    public async Task A_ledger_that_cannot_be_opened_is_reported_in_sentences_without_a_doubled_period()
    {
        using var cli = new CliRunner();
        var blocker = Path.Combine(cli.Folder, "blocker");
        await File.WriteAllTextAsync(blocker, "a file, not a folder", Ct);
        var result = await cli.RunAsync("config", "set", "processing.startDate", "2024-06-03", "--db", Path.Combine(blocker, "ledger.db"));
        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains("Cannot open the ledger", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("..", result.Error, StringComparison.Ordinal);
    }

    private static async Task<CliRunner> KeysReadyAsync()
    {
        var cli = new CliRunner();
        var output = Path.Combine(cli.Folder, "out");
        Directory.CreateDirectory(output);
        Directory.CreateDirectory(Path.Combine(cli.Folder, "temp"));
        cli.Env["BACKFILL_OHLCV_KEYFILE"] = Path.Combine(cli.Folder, "keys.json");
        cli.Env["BACKFILL_PROCESSING_OUTPUTDIRECTORY"] = output;
        cli.Env["BACKFILL_PROCESSING_TEMPDIRECTORY"] = Path.Combine(cli.Folder, "temp");
        var init = await cli.RunAsync("keys", "init");
        Assert.True(init.ExitCode == 0, init.ToString());
        return cli;
    }

    private static string LongPath(string root, int segmentLength, int segments) =>
        Path.Combine([root, .. Enumerable.Range(0, segments).Select(i => new string((char)('a' + i), segmentLength))]);
}
