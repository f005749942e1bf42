namespace Backfill.Cli.Tests;

/// <summary>
/// The spx file's bytes do not depend on how the download path parses the terminal's JSON or stages the rows: the
/// demo day at scale 0.1 always publishes the same file.
/// </summary>
public sealed class SpxDemoBytesTests
{
    [Fact]
    public async Task Demo_day_at_scale_0_1_publishes_the_same_file_bytes()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("demo", "--scale", "0.1", "--clean", "--format", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("56d78ee409d2eda97eaa7e5c84de7b31344890437f881713e728da07aa7c2393", result.Out, StringComparison.Ordinal);
    }
}
