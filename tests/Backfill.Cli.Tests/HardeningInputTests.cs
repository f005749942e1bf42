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
}
