namespace Backfill.Cli.Tests;

/// <summary>
/// The published bytes do not move when code moves: each dataset's demo day publishes the same file, whatever the
/// download path, staging, store or lifecycle underneath (the SHA-256s recorded when the datasets became plug-ins).
/// </summary>
public sealed class DemoBytesTests
{
    [Theory]
    [InlineData("spx", "0.1", "56d78ee409d2eda97eaa7e5c84de7b31344890437f881713e728da07aa7c2393")]
    [InlineData("fop", null, "b1543dd9a84fbf5611b1375125c92edd3119cbb5932bbc2f72ff0a82777093cb")] // fop-2025-01-31.parquet
    [InlineData("crypto-book", "0.1", "c3b5b3371fbf55ccb40c92d37b20928e704be91db9d6eeae253b50e3e1ee2eb0")]
    public async Task A_datasets_demo_day_publishes_the_same_file_bytes(string dataset, string? scale, string sha256)
    {
        using var cli = new CliRunner(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero)); // after every demo day
        var result = await cli.RunAsync(["demo", "--dataset", dataset, .. scale is null ? Array.Empty<string>() : ["--scale", scale], "--clean", "--format", "json"]);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(sha256, result.Out, StringComparison.Ordinal);
    }
}
