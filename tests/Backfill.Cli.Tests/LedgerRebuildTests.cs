using System.Globalization;
using System.Text.Json;
using Backfill.Engine.Datasets;

namespace Backfill.Cli.Tests;

/// <summary>
/// <c>ledger rebuild</c> for every registered dataset: a populated output tree (the dataset's own demo run against its
/// simulator) loses its ledger; the rebuild registers every output after reading it back, then <c>verify</c> is clean,
/// <c>gaps</c> lists the same dates as before the loss and <c>process-range</c> downloads nothing that was done.
/// </summary>
public sealed class LedgerRebuildTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string> Shipped => new(DatasetRegistry.Default.All.Select(d => d.Name));

    [Theory]
    [MemberData(nameof(Shipped))]
    public async Task A_lost_ledger_is_rebuilt_from_the_published_outputs(string name)
    {
        using var cli = new CliRunner(new DateTimeOffset(2025, 7, 15, 22, 0, 0, TimeSpan.Zero));
        await using var populated = await PopulateAsync(cli, name);
        var done = await DoneDatesAsync(cli, name);
        Assert.NotEmpty(done);
        var (from, to) = (done.Min().AddDays(-6), done.Max().AddDays(6));
        var gapsBefore = await GapDatesAsync(cli, name, from, to);
        Assert.Equal(0, (await cli.RunAsync("--dataset", name, "verify")).ExitCode);

        LoseLedger(cli);
        var rebuild = await cli.RunAsync(["--dataset", name, "--format", "json", .. populated.Flags, "ledger", "rebuild"]);
        Assert.True(rebuild.ExitCode == 0, rebuild.ToString());
        var items = rebuild.Json().EnumerateArray().ToList();
        Assert.Equal(done.Count, items.Count);
        Assert.All(items, i => Assert.Equal("registered", i.GetProperty("status").GetString()));

        // No flag from here on: the rebuild stored where the outputs are.
        var verify = await cli.RunAsync("--dataset", name, "verify", "--deep");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Equal(done, await DoneDatesAsync(cli, name));
        Assert.Equal(gapsBefore, await GapDatesAsync(cli, name, from, to));

        var again = await cli.RunAsync("--dataset", name, "--format", "json", "process-range",
            done.Min().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), done.Max().ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.DoesNotContain("\"success\"", again.Out, StringComparison.Ordinal);
        Assert.Equal(done, await DoneDatesAsync(cli, name));
    }

    [Fact]
    public async Task Without_a_dataset_every_dataset_with_outputs_is_rebuilt_and_a_wrong_date_file_is_rejected()
    {
        using var cli = new CliRunner(new DateTimeOffset(2025, 7, 15, 22, 0, 0, TimeSpan.Zero));
        await using var populated = await PopulateAsync(cli, "spx");
        var done = Assert.Single(await DoneDatesAsync(cli, "spx"));
        var output = populated.Setting("processing.outputDirectory");
        var file = Directory.GetFiles(output, "*.parquet", SearchOption.AllDirectories).Single();
        var elsewhere = file.Replace("2024/06/12", "2024/06/13", StringComparison.Ordinal).Replace("2024-06-12", "2024-06-13", StringComparison.Ordinal);
        Directory.CreateDirectory(Path.GetDirectoryName(elsewhere)!);
        File.Copy(file, elsewhere);

        LoseLedger(cli);
        var rebuild = await cli.RunAsync(["--format", "json", .. populated.Flags, "ledger", "rebuild"]);
        Assert.Equal(1, rebuild.ExitCode);
        var items = rebuild.Json().EnumerateArray()
            .ToDictionary(i => i.GetProperty("date").GetString()!, i => (Status: i.GetProperty("status").GetString(), Message: i.GetProperty("message").GetString()));
        Assert.Equal("registered", items[done.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)].Status);
        Assert.Equal("rejected", items["2024-06-13"].Status);
        Assert.Contains("2024-06-12", items["2024-06-13"].Message, StringComparison.Ordinal);

        var gaps = await GapDatesAsync(cli, "spx", new DateOnly(2024, 6, 13), new DateOnly(2024, 6, 13));
        Assert.Equal([new DateOnly(2024, 6, 13)], gaps);
        Assert.Equal([done], await DoneDatesAsync(cli, "spx"));
    }

    [Fact]
    public async Task A_dry_run_records_nothing()
    {
        using var cli = new CliRunner(new DateTimeOffset(2025, 7, 15, 22, 0, 0, TimeSpan.Zero));
        await using var populated = await PopulateAsync(cli, "spx");
        LoseLedger(cli);
        var rebuild = await cli.RunAsync(["--dataset", "spx", "--format", "json", .. populated.Flags, "ledger", "rebuild", "--dry-run"]);
        Assert.True(rebuild.ExitCode == 0, rebuild.ToString());
        Assert.Contains("would be registered", rebuild.Out, StringComparison.Ordinal);
        Assert.Empty(await DoneDatesAsync(cli, "spx", populated.Flags));
    }

    /// <summary>Runs the dataset's demo steps (its simulator, its settings) into the runner's ledger and folder.</summary>
    private static async Task<Populated> PopulateAsync(CliRunner cli, string name)
    {
        var dataset = DatasetRegistry.Default.Get(name);
        var session = await dataset.Demo!.StartAsync(new DemoRequest(cli.Folder, null, 0.02, 0, cli.Clock), Ct);
        foreach (var (key, value) in session.Environment ?? new Dictionary<string, string>())
        {
            cli.Env[key] = value;
        }

        foreach (var setting in session.Settings)
        {
            var eq = setting.IndexOf('=', StringComparison.Ordinal);
            var set = await cli.RunAsync("--dataset", name, "config", "set", setting[..eq], setting[(eq + 1)..]);
            Assert.True(set.ExitCode == 0, set.ToString());
        }

        foreach (var step in session.Steps.Where(s => s[0] is "keys" or "process" or "process-range"))
        {
            var run = await cli.RunAsync(["--dataset", name, .. step]);
            Assert.True(run.ExitCode == 0, run.ToString());
        }

        return new Populated(session);
    }

    private static void LoseLedger(CliRunner cli)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(cli.Folder, Path.GetFileName(cli.Db) + "*"))
        {
            File.Delete(file);
        }
    }

    private static async Task<List<DateOnly>> DoneDatesAsync(CliRunner cli, string name, IReadOnlyList<string>? flags = null)
    {
        var list = await cli.RunAsync(["--dataset", name, "--format", "json", .. flags ?? [], "list"]);
        Assert.True(list.ExitCode == 0, list.ToString());
        return list.Json().EnumerateArray()
            .Where(r => r.GetProperty("status").GetString() == "success")
            .Select(r => DateOnly.Parse(r.GetProperty("date").GetString()!, CultureInfo.InvariantCulture))
            .Order().ToList();
    }

    private static async Task<List<DateOnly>> GapDatesAsync(CliRunner cli, string name, DateOnly from, DateOnly to)
    {
        var gaps = await cli.RunAsync("--dataset", name, "--format", "json", "gaps",
            "--from", from.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), "--to", to.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        Assert.True(gaps.ExitCode == 0, gaps.ToString());
        return gaps.Json().EnumerateArray()
            .Select(r => DateOnly.Parse(r.GetProperty("date").GetString()!, CultureInfo.InvariantCulture)).Order().ToList();
    }

    /// <summary>A demo session whose settings are given back as <c>--set</c> flags, as a user who lost the ledger would.</summary>
    private sealed class Populated(DemoSession session) : IAsyncDisposable
    {
        public IReadOnlyList<string> Flags { get; } = [.. session.Settings.SelectMany(s => new[] { "--set", s })];

        public string Setting(string key) => session.Settings.Single(s => s.StartsWith(key + "=", StringComparison.Ordinal))[(key.Length + 1)..];

        public ValueTask DisposeAsync() => session.DisposeAsync();
    }
}
