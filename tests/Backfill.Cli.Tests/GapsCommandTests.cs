using Backfill.Engine.Processing;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;

namespace Backfill.Cli.Tests;

public sealed class GapsCommandTests
{
    /// <summary>
    /// NYSE full-day closures in 2024, from the exchange's published holiday list (independent of our calendar code).
    /// </summary>
    private static readonly DateOnly[] Holidays2024 =
    [
        new(2024, 1, 1), new(2024, 1, 15), new(2024, 2, 19), new(2024, 3, 29), new(2024, 5, 27),
        new(2024, 6, 19), new(2024, 7, 4), new(2024, 9, 2), new(2024, 11, 28), new(2024, 12, 25),
    ];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>gaps only reads: it needs a ledger that exists.</summary>
    private static async Task CreateLedgerAsync(CliRunner cli)
    {
        await using var ledger = new SqliteLedger(cli.Db, cli.Clock);
        await ledger.MigrateAsync(Ct);
    }

    [Fact]
    public async Task Gaps_over_2024_are_exactly_the_weekdays_minus_the_published_holidays()
    {
        using var cli = new CliRunner();
        await CreateLedgerAsync(cli);
        var result = await cli.RunAsync("gaps", "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var dates = result.Json().EnumerateArray().Select(e => DateOnly.Parse(e.GetProperty("date").GetString()!, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        var expected = new HashSet<DateOnly>();
        for (var d = new DateOnly(2024, 1, 1); d.Year == 2024; d = d.AddDays(1))
        {
            if (d.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday) && !Holidays2024.Contains(d))
            {
                expected.Add(d);
            }
        }

        Assert.Equal(252, expected.Count);
        Assert.Equal(expected.Order(), dates.Order());
    }

    [Fact]
    public async Task Gaps_are_categorised_and_prioritised()
    {
        using var cli = new CliRunner();
        await cli.RunAsync("config", "set", "processing.startDate", "2024-12-02");
        var output = Path.Combine(cli.Folder, "out");
        await cli.RunAsync("config", "set", "processing.outputDirectory", output);
        var ledger = new SqliteLedger(cli.Db, cli.Clock);
        await using (ledger)
        {
            var lease = TimeSpan.FromMinutes(5);
            var file = EnginePaths.OutputFile(output, "spx", new DateOnly(2024, 12, 2));
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            await File.WriteAllTextAsync(file, "x", Ct);
            async Task Done(DateOnly d, string path)
            {
                await ledger.TryClaimUnitAsync("spx", d, "t", lease, false, Ct);
                await ledger.CompleteUnitAsync("spx", d, "t", new UnitSuccess { FilePath = path, FileSize = 1, FileSha256 = "x", RowCount = 1 }, Ct);
            }

            await Done(new DateOnly(2024, 12, 2), file);
            await Done(new DateOnly(2024, 12, 3), EnginePaths.OutputFile(output, "spx", new DateOnly(2024, 12, 3)));
            await ledger.TryClaimUnitAsync("spx", new DateOnly(2024, 12, 4), "t", lease, false, Ct);
            await ledger.FailUnitAsync("spx", new DateOnly(2024, 12, 4), "t", "RateLimited", "429", Ct);
            await ledger.TryClaimUnitAsync("spx", new DateOnly(2024, 12, 5), "t", lease, false, Ct);
            await ledger.FailUnitAsync("spx", new DateOnly(2024, 12, 5), "t", "PermissionDenied", "471", Ct);
            await ledger.TryClaimUnitAsync("spx", new DateOnly(2024, 12, 6), "crashed", TimeSpan.FromSeconds(-1), false, Ct);
        }

        var result = await cli.RunAsync("gaps", "--to", "2024-12-10", "--format", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = result.Json().EnumerateArray().ToDictionary(
            e => e.GetProperty("date").GetString()!, e => (Category: e.GetProperty("category").GetString(), Priority: e.GetProperty("priority").GetDouble()));
        Assert.False(rows.ContainsKey("2024-12-02"));
        Assert.Equal("missing-output", rows["2024-12-03"].Category);
        Assert.Equal("failed", rows["2024-12-04"].Category);
        Assert.Equal("failed-permanent", rows["2024-12-05"].Category);
        Assert.Equal("interrupted", rows["2024-12-06"].Category);
        Assert.Equal("never-attempted", rows["2024-12-09"].Category);
        Assert.True(rows["2024-12-04"].Priority > rows["2024-12-05"].Priority);
        Assert.True(rows["2024-12-10"].Priority > rows["2024-12-09"].Priority);
        Assert.Equal(6, rows.Count);
    }

    [Fact]
    public async Task Gaps_never_include_sessions_that_are_not_complete_yet()
    {
        using var cli = new CliRunner(new DateTimeOffset(2024, 7, 3, 15, 0, 0, TimeSpan.Zero));
        await CreateLedgerAsync(cli);
        var result = await cli.RunAsync("gaps", "--from", "2024-07-01", "--to", "2024-07-31", "--format", "csv");
        Assert.Equal(0, result.ExitCode);
        var lines = result.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("date,category,attempts,priority,progress,last_error", lines[0]);
        Assert.Equal(["2024-07-02", "2024-07-01"], lines.Skip(1).Select(l => l.Split(',')[0]));
    }

    [Fact]
    public async Task Last_30_days_is_a_relative_range()
    {
        using var cli = new CliRunner(new DateTimeOffset(2024, 12, 31, 23, 0, 0, TimeSpan.Zero));
        await CreateLedgerAsync(cli);
        var result = await cli.RunAsync("gaps", "--last", "30d", "--format", "json");
        Assert.True(result.ExitCode == 0, result.ToString());
        var dates = result.Json().EnumerateArray().Select(e => e.GetProperty("date").GetString()).ToList();
        Assert.Contains("2024-12-02", dates);
        Assert.DoesNotContain("2024-11-29", dates);
        Assert.DoesNotContain("2024-12-25", dates);
        Assert.Equal(21, dates.Count);
    }

    [Theory]
    [InlineData("--from", "2024-02-30")]
    [InlineData("--from", "2024-13-01")]
    [InlineData("--from", "")]
    [InlineData("--last", "30x")]
    public async Task Bad_dates_exit_2_with_the_value_named(string option, string value)
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("gaps", option, value);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains(option, result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_reversed_range_exits_2()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("gaps", "--from", "2024-03-01", "--to", "2024-02-01");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("reversed", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_a_start_date_gaps_explain_how_to_set_one()
    {
        using var cli = new CliRunner();
        await CreateLedgerAsync(cli);
        var result = await cli.RunAsync("gaps");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("processing.startDate", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task List_and_status_show_the_ledger_in_every_format()
    {
        using var cli = new CliRunner();
        await cli.RunAsync("config", "set", "processing.startDate", "2024-12-02");
        var ledger = new SqliteLedger(cli.Db, cli.Clock);
        await using (ledger)
        {
            await ledger.TryClaimUnitAsync("spx", new DateOnly(2024, 12, 4), "t", TimeSpan.FromMinutes(1), false, Ct);
            await ledger.FailUnitAsync("spx", new DateOnly(2024, 12, 4), "t", "RateLimited", "429, retry later", Ct);
        }

        var list = await cli.RunAsync("list", "--failed-only", "--format", "json");
        var unit = Assert.Single(list.Json().EnumerateArray());
        Assert.Equal("failed", unit.GetProperty("status").GetString());
        var csv = await cli.RunAsync("list", "--format", "csv");
        Assert.Contains("\"RateLimited: 429, retry later\"", csv.Out, StringComparison.Ordinal);
        var table = await cli.RunAsync("list");
        Assert.Contains("2024-12-04", table.Out, StringComparison.Ordinal);
        var status = (await cli.RunAsync("status", "--format", "json")).Json().EnumerateArray()
            .ToDictionary(e => e.GetProperty("metric").GetString()!, e => e.GetProperty("value"));
        Assert.Equal(1, status["units_failed"].GetInt32());
        Assert.Equal(21, status["gaps"].GetInt32());
    }
}
