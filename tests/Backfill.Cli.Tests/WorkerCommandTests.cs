namespace Backfill.Cli.Tests;

public sealed class WorkerCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Worker_processes_every_session_of_the_range_then_exits()
    {
        using var cli = new CliRunner();
        await using var sim = await Backfill.Simulators.ThetaData.ThetaDataSimulator.StartAsync(
            new Backfill.Simulators.ThetaData.ThetaDataSimulatorOptions { Scale = 0.02 }, cancellationToken: Ct);
        var sets = new[]
        {
            "--set", $"thetadata.baseUrl={sim.BaseAddress}", "--set", "processing.startDate=2024-06-10",
            "--set", $"processing.outputDirectory={Path.Combine(cli.Folder, "out")}", "--set", $"processing.tempDirectory={Path.Combine(cli.Folder, "temp")}",
        };

        var result = await cli.RunAsync(["worker", "--to", "2024-06-12", "--lease", "30s", .. sets]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("3 succeeded, 0 failed", result.Out, StringComparison.Ordinal);
        var list = await cli.RunAsync(["list", "--from", "2024-06-10", "--to", "2024-06-12", "--format", "json", .. sets]);
        Assert.Equal(["success", "success", "success"], list.Json().EnumerateArray().Select(u => u.GetProperty("status").GetString()).ToList());
    }

    [Fact]
    public async Task Worker_refuses_a_lease_too_short_to_renew()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("worker", "--lease", "1s", "--from", "2024-06-10");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--lease", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("2s", 2_000)]
    [InlineData("7", 7_000)]
    [InlineData("1.5m", 90_000)]
    [InlineData(" 1H ", 3_600_000)]
    public void Durations_take_milliseconds_seconds_minutes_and_hours(string text, long milliseconds) =>
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), Backfill.Cli.Commands.WorkerCommand.ParseDuration(text, "--poll", TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)));

    [Theory]
    [InlineData("")]
    [InlineData("ms")]
    [InlineData("-5s")]
    [InlineData("5d")]
    [InlineData("1e400h")]
    [InlineData("50ms")]
    public void Bad_or_too_short_durations_name_the_option_and_the_value(string text)
    {
        var error = Assert.Throws<Backfill.Core.Errors.InvalidInputException>(
            () => Backfill.Cli.Commands.WorkerCommand.ParseDuration(text, "--poll", TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1)));
        Assert.Contains("--poll", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Database_url_password_is_masked_in_config_output_and_errors()
    {
        using var cli = new CliRunner();
        cli.Env["BACKFILL_DATABASE_URL"] = "postgres://team:hunter2@127.0.0.1:1/backfill";
        var result = await cli.RunAsync("config", "get", "database.url", "--db", cli.Db);
        Assert.DoesNotContain("hunter2", result.Out + result.Error, StringComparison.Ordinal);
        Assert.Contains("postgres://team:***@127.0.0.1:1/backfill", result.Out, StringComparison.Ordinal);

        var status = await cli.RunAsync("status", "--db", "postgres://team:hunter2@127.0.0.1:1/backfill");
        Assert.Equal(3, status.ExitCode);
        Assert.DoesNotContain("hunter2", status.Out + status.Error, StringComparison.Ordinal);
        Assert.Contains("team:***@127.0.0.1:1", status.Error, StringComparison.Ordinal);
    }
}
