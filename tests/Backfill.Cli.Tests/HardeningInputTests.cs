namespace Backfill.Cli.Tests;

/// <summary>Hostile input is refused up front with exit 2, a message naming the value and the fix, and nothing written.</summary>
public sealed class HardeningInputTests
{
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

    private static string LongPath(string root, int segmentLength, int segments) =>
        Path.Combine([root, .. Enumerable.Range(0, segments).Select(i => new string((char)('a' + i), segmentLength))]);
}
