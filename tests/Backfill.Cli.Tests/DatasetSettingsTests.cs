namespace Backfill.Cli.Tests;

/// <summary>
/// What a user sees of each dataset is that dataset's own: its settings in <c>config get</c> and <c>config validate</c>,
/// its estimates in a dry run, and outputs only where a store exists for the location's scheme.
/// </summary>
public sealed class DatasetSettingsTests
{
    [Fact]
    public async Task Config_get_lists_the_shared_keys_and_the_chosen_datasets_own_only()
    {
        using var cli = new CliRunner();
        var fop = await cli.RunAsync("--dataset", "fop", "config", "get", "--format", "json");
        Assert.True(fop.ExitCode == 0, fop.ToString());
        var keys = fop.Json().EnumerateArray().Select(s => s.GetProperty("key").GetString()!).ToList();
        Assert.Contains("databento.baseUrl", keys);
        Assert.Contains("fop.targetDelta", keys);
        Assert.Contains("processing.outputDirectory", keys);
        Assert.DoesNotContain(keys, k => k.StartsWith("thetadata.", StringComparison.Ordinal) || k.StartsWith("alphavantage.", StringComparison.Ordinal)
            || k.StartsWith("cryptolake.", StringComparison.Ordinal));

        // A key of another dataset can still be asked for by name.
        var one = await cli.RunAsync("--dataset", "fop", "config", "get", "thetadata.baseUrl", "--format", "json");
        Assert.Equal("thetadata.baseUrl", Assert.Single(one.Json().EnumerateArray()).GetProperty("key").GetString());
    }

    [Fact]
    public async Task Config_validate_refuses_what_processing_would_refuse()
    {
        using var cli = new CliRunner();
        Assert.Equal(0, (await cli.RunAsync("config", "set", "processing.startDate", "2024-06-03")).ExitCode);
        var missing = await cli.RunAsync("--dataset", "ohlcv", "config", "validate");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("ohlcv.symbols", missing.Out, StringComparison.Ordinal);

        Assert.Equal(0, (await cli.RunAsync("config", "set", "ohlcv.symbols", "AAPL,MSFT")).ExitCode);
        var ok = await cli.RunAsync("--dataset", "ohlcv", "config", "validate");
        Assert.True(ok.ExitCode == 0, ok.ToString());
    }

    [Fact]
    public async Task A_dry_run_estimates_from_the_datasets_own_defaults()
    {
        using var cli = new CliRunner();
        Assert.Equal(0, (await cli.RunAsync("config", "set", "processing.startDate", "2024-06-03")).ExitCode);
        var ohlcv = await cli.RunAsync("--dataset", "ohlcv", "process-range", "2024-06-03", "2024-06-04", "--dry-run");
        Assert.True(ohlcv.ExitCode == 0, ohlcv.ToString());
        Assert.Contains("ohlcv dataset's defaults", ohlcv.Out, StringComparison.Ordinal);
        Assert.Contains("about 6 requests", ohlcv.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("1,400 requests", ohlcv.Out, StringComparison.Ordinal);

        var spx = await cli.RunAsync("process-range", "2024-06-03", "2024-06-04", "--dry-run");
        Assert.Contains("about 1,400 requests, 20,000,000 rows", spx.Out, StringComparison.Ordinal);
        Assert.Contains("of staging per date in flight", spx.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("gs://bucket/backfill")]
    [InlineData("ftp://host/backfill")]
    public async Task An_output_location_with_a_scheme_that_has_no_store_is_refused_and_nothing_is_written(string location)
    {
        using var cli = new CliRunner();
        var set = await cli.RunAsync("config", "set", "processing.outputDirectory", location);
        Assert.Equal(2, set.ExitCode);
        Assert.Contains(location, set.Error, StringComparison.Ordinal);

        var run = await cli.RunAsync("process", "2024-06-12", "--set", "processing.startDate=2024-06-03", "--set", $"processing.outputDirectory={location}");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(location, run.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(Environment.CurrentDirectory, location.Split(':')[0] + ":")));
    }
}
