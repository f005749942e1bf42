namespace Backfill.Cli.Tests;

public sealed class CommandLineTests
{
    [Theory]
    [InlineData("nosuchcommand")]
    [InlineData("gaps", "--bogus")]
    [InlineData("gaps", "--format", "xml")]
    public async Task Usage_errors_exit_2(params string[] args)
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync(args);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("error:", result.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nope", "is not a dataset")]
    public async Task Unknown_or_unshipped_datasets_exit_2(string dataset, string message)
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("status", "--dataset", dataset);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unusable_ledger_path_is_an_environment_error()
    {
        using var cli = new CliRunner();
        var blocker = Path.Combine(cli.Folder, "file");
        await File.WriteAllTextAsync(blocker, "x", TestContext.Current.CancellationToken);
        var result = await cli.RunAsync("config", "set", "processing.startDate", "2024-01-02", "--db", Path.Combine(blocker, "sub", "b.db"));
        Assert.Equal(3, result.ExitCode);
        Assert.Contains("Cannot open the ledger", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Help_lists_every_command()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("--help");
        Assert.Equal(0, result.ExitCode);
        foreach (var command in new[] { "config", "gaps", "list", "status", "demo" })
        {
            Assert.Contains(command, result.Out, StringComparison.Ordinal);
        }
    }
}

public sealed class CalendarCommandTests
{
    [Fact]
    public async Task Calendar_lists_closures_with_reasons_and_early_closes()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("calendar", "--from", "2024-11-27", "--to", "2024-12-02", "--all-days", "--format", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = result.Json().EnumerateArray().ToDictionary(e => e.GetProperty("date").GetString()!);
        Assert.False(rows["2024-11-28"].GetProperty("session").GetBoolean());
        Assert.Contains("Thanksgiving", rows["2024-11-28"].GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal("13:00", rows["2024-11-29"].GetProperty("close").GetString());
        Assert.True(rows["2024-11-29"].GetProperty("early_close").GetBoolean());
        Assert.Equal("16:00", rows["2024-12-02"].GetProperty("close").GetString());
    }

    [Fact]
    public async Task Calendar_outside_its_range_exits_2()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("calendar", "--from", "1980-01-01", "--to", "1980-02-01");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("covers 1990-01-01", result.Error, StringComparison.Ordinal);
    }
}
