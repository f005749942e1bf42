namespace Backfill.Cli.Tests;

public sealed class ConfigCommandTests
{
    [Fact]
    public async Task Set_then_get_round_trips_and_normalises()
    {
        using var cli = new CliRunner();
        var set = await cli.RunAsync("config", "set", "thetadata.baseUrl", "http://127.0.0.1:25503/");
        Assert.Equal(0, set.ExitCode);
        var get = await cli.RunAsync("config", "get", "thetadata.baseUrl", "--format", "json");
        Assert.Equal(0, get.ExitCode);
        var row = Assert.Single(get.Json().EnumerateArray());
        Assert.Equal("http://127.0.0.1:25503", row.GetProperty("value").GetString());
        Assert.Equal("stored", row.GetProperty("source").GetString());
    }

    [Theory]
    [InlineData("thetadata.baseUrl", "notaurl", "is not an http(s) URL")]
    [InlineData("thetadata.baseUrl", "ftp://x", "is not an http(s) URL")]
    [InlineData("thetadata.apiVersion", "v9", "is not one of v2, v3")]
    [InlineData("thetadata.maxConcurrentRequests", "0", "out of range")]
    [InlineData("thetadata.maxConcurrentRequests", "four", "is not a whole number")]
    [InlineData("processing.startDate", "2024-02-30", "February 2024 has 29 days")]
    [InlineData("processing.startDate", "yesterdayish", "is not a date")]
    [InlineData("processing.outputDirectory", "/proc/forbidden/out", "")]
    public async Task Bad_values_are_refused_with_the_key_the_value_and_exit_2(string key, string value, string expected)
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("config", "set", key, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(key, result.Error, StringComparison.Ordinal);
        Assert.Contains(expected, result.Error, StringComparison.Ordinal);
        var stored = await cli.RunAsync("config", "history", "--format", "json");
        Assert.Empty(stored.Json().EnumerateArray());
    }

    [Fact]
    public async Task Unknown_key_suggests_the_closest_one()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("config", "set", "thetadata.baseurI", "http://x:1");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("Unknown configuration key 'thetadata.baseurI'", result.Error, StringComparison.Ordinal);
        Assert.Contains("thetadata.baseUrl", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Precedence_is_flag_then_environment_then_stored_then_default()
    {
        using var cli = new CliRunner();
        async Task<(string? Value, string? Source)> Effective(params string[] extra)
        {
            var r = await cli.RunAsync(["config", "get", "thetadata.maxConcurrentRequests", "--format", "json", .. extra]);
            var row = Assert.Single(r.Json().EnumerateArray());
            return (row.GetProperty("value").GetString(), row.GetProperty("source").GetString());
        }

        Assert.Equal(("4", "default"), await Effective());
        await cli.RunAsync("config", "set", "thetadata.maxConcurrentRequests", "2");
        Assert.Equal(("2", "stored"), await Effective());
        cli.Env["BACKFILL_THETADATA_MAXCONCURRENTREQUESTS"] = "3";
        Assert.Equal(("3", "environment"), await Effective());
        Assert.Equal(("8", "flag"), await Effective("--set", "thetadata.maxConcurrentRequests=8"));
    }

    [Fact]
    public async Task An_invalid_environment_value_is_reported_with_its_source()
    {
        using var cli = new CliRunner();
        cli.Env["BACKFILL_THETADATA_BASEURL"] = "not a url";
        var result = await cli.RunAsync("config", "validate");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("invalid", result.Out, StringComparison.Ordinal);
        var gaps = await cli.RunAsync("gaps", "--from", "2024-01-02");
        Assert.Equal(2, gaps.ExitCode);
        Assert.Contains("BACKFILL_THETADATA_BASEURL", gaps.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_passes_once_the_start_date_is_set()
    {
        using var cli = new CliRunner();
        Assert.Equal(2, (await cli.RunAsync("config", "validate")).ExitCode);
        await cli.RunAsync("config", "set", "processing.startDate", "2024-01-02");
        var result = await cli.RunAsync("config", "validate");
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("All settings are valid", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Changes_are_versioned_with_previous_values()
    {
        using var cli = new CliRunner();
        await cli.RunAsync("config", "set", "processing.retryLimit", "3");
        await cli.RunAsync("config", "set", "processing.retryLimit", "7");
        var history = (await cli.RunAsync("config", "history", "processing.retryLimit", "--format", "json")).Json().EnumerateArray().ToList();
        Assert.Equal(2, history.Count);
        Assert.Equal("3", history[1].GetProperty("old_value").GetString());
        Assert.Equal("7", history[1].GetProperty("new_value").GetString());
        Assert.Equal(2, history[1].GetProperty("version").GetInt32());
        Assert.Contains('@', history[1].GetProperty("changed_by").GetString()!);
    }

    [Fact]
    public async Task Reset_needs_confirmation_and_yes_skips_it()
    {
        using var cli = new CliRunner();
        await cli.RunAsync("config", "set", "processing.retryLimit", "3");
        var refused = await cli.RunAsync("config", "reset");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("--yes", refused.Error, StringComparison.Ordinal);
        var declined = await cli.RunWithInputAsync("n\n", "config", "reset");
        Assert.Equal(0, declined.ExitCode);
        Assert.Contains("Nothing changed", declined.Out, StringComparison.Ordinal);
        Assert.Equal(0, (await cli.RunWithInputAsync("y\n", "config", "reset")).ExitCode);
        var row = Assert.Single((await cli.RunAsync("config", "get", "processing.retryLimit", "--format", "json")).Json().EnumerateArray());
        Assert.Equal("default", row.GetProperty("source").GetString());
        await cli.RunAsync("config", "set", "processing.retryLimit", "4");
        Assert.Equal(0, (await cli.RunAsync("config", "reset", "--yes")).ExitCode);
    }

    [Fact]
    public async Task Database_path_cannot_be_stored_in_the_ledger_it_chooses()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("config", "set", "database.path", "/tmp/x.db");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("BACKFILL_DATABASE_PATH", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_processes_writing_the_ledger_at_once_lose_nothing()
    {
        using var cli = new CliRunner();
        var ct = TestContext.Current.CancellationToken;
        Assert.Equal(0, (await CliRunner.RunProcessAsync(["config", "get", "--db", cli.Db], ct)).ExitCode);
        async Task Writer(string key, int count)
        {
            for (var i = 1; i <= count; i++)
            {
                var r = await CliRunner.RunProcessAsync(["config", "set", key, i.ToString(System.Globalization.CultureInfo.InvariantCulture), "--db", cli.Db], ct);
                Assert.True(r.ExitCode == 0, r.ToString());
            }
        }

        await Task.WhenAll(Writer("processing.retryLimit", 6), Writer("thetadata.maxConcurrentRequests", 6));
        var history = (await cli.RunAsync("config", "history", "--format", "json")).Json().EnumerateArray().ToList();
        Assert.Equal(12, history.Count);
        Assert.Equal(6, history.Count(h => h.GetProperty("key").GetString() == "processing.retryLimit"));
    }
}
