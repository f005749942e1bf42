using System.Text.RegularExpressions;
using Backfill.Simulators.Databento;

namespace Backfill.Cli.Tests;

/// <summary>The fop dataset's dry run with the vendor's cost, export, deep verify and demo, through the real command tree.</summary>
public sealed partial class FopCommandTests : IAsyncLifetime
{
    private const string Key = "db-cli-secret-key-abcdef0123456789";
    private readonly CliRunner _cli = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
    private DatabentoSimulator _simulator = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _simulator = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions { RequiredApiKey = Key }, 0, Ct);
        _cli.Env["BACKFILL_DATABENTO_APIKEY"] = Key;
    }

    public async ValueTask DisposeAsync()
    {
        await _simulator.DisposeAsync();
        _cli.Dispose();
    }

    private string Out => Path.Combine(_cli.Folder, "out");

    private Task<CliResult> Fop(params string[] args) => _cli.RunAsync(
    [
        .. args, "--dataset", "fop",
        "--set", $"databento.baseUrl={_simulator.BaseAddress.ToString().TrimEnd('/')}",
        "--set", "processing.startDate=2024-01-02",
        "--set", $"processing.outputDirectory={Out}",
        "--set", $"processing.tempDirectory={Path.Combine(_cli.Folder, "temp")}",
    ]);

    [Fact]
    public async Task Dry_run_shows_the_vendor_cost_per_date_in_json_csv_and_table_and_changes_nothing()
    {
        var json = await Fop("process-range", "2025-01-02", "2025-01-10", "--dry-run", "--format", "json");
        Assert.True(json.ExitCode == 0, json.ToString());
        var rows = json.Json().EnumerateArray().ToList();
        Assert.Equal(7, rows.Count); // Jan 2, 3 and 6 to 10
        Assert.All(rows, r =>
        {
            Assert.True(r.GetProperty("est_cost_usd").GetDecimal() > 0m, r.ToString());
            Assert.True(r.GetProperty("est_requests").GetInt64() >= 1);
            Assert.InRange(r.GetProperty("est_rows").GetInt64(), 1, 4);
            Assert.Equal("never-attempted", r.GetProperty("category").GetString());
        });
        Assert.True(rows[0].GetProperty("est_cost_usd").GetDecimal() > rows[^1].GetProperty("est_cost_usd").GetDecimal(), "the first date carries the selections");
        Assert.True(_simulator.Stats.Requests > 0);

        var csv = await Fop("process-range", "2025-01-02", "2025-01-10", "--dry-run", "--format", "csv");
        Assert.Equal(0, csv.ExitCode);
        Assert.StartsWith("date,category,priority,est_requests,est_rows,est_bytes,est_seconds,est_cost_usd\n", csv.Out, StringComparison.Ordinal);

        var table = await Fop("process-gaps", "--from", "2025-01-02", "--to", "2025-01-10", "--dry-run");
        Assert.Equal(0, table.ExitCode);
        Assert.Matches(@"Estimated cost: \$\d+\.\d{2}", table.Out);
        Assert.Contains("metadata.get_cost", table.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, json.Out + csv.Out + table.Out + json.Error + table.Error, StringComparison.Ordinal);

        var list = await Fop("list", "--format", "json");
        Assert.Empty(list.Json().EnumerateArray());
        Assert.False(Directory.Exists(Out));
    }

    [Fact]
    public async Task Dry_run_without_a_key_or_with_a_refused_key_still_shows_the_plan()
    {
        _cli.Env.Remove("BACKFILL_DATABENTO_APIKEY");
        var noKey = await Fop("process-range", "2025-01-02", "2025-01-03", "--dry-run", "--format", "json");
        if (Environment.GetEnvironmentVariable("DATABENTO_API_KEY") is null)
        {
            Assert.True(noKey.ExitCode == 0, noKey.ToString());
            Assert.All(noKey.Json().EnumerateArray(), r => Assert.Equal(System.Text.Json.JsonValueKind.Null, r.GetProperty("est_cost_usd").ValueKind));
            Assert.Contains("DATABENTO_API_KEY", noKey.Error, StringComparison.Ordinal);
        }

        const string wrong = "db-wrong-key-that-must-not-leak-42";
        _cli.Env["BACKFILL_DATABENTO_APIKEY"] = wrong;
        var refused = await Fop("process-range", "2025-01-02", "2025-01-03", "--dry-run");
        Assert.True(refused.ExitCode == 0, refused.ToString());
        Assert.Contains("HTTP 401", refused.Error, StringComparison.Ordinal);
        Assert.Contains("Estimated cost: unknown", refused.Out, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, refused.Out + refused.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_writes_one_reference_csv_and_deep_verify_catches_a_tampered_day()
    {
        var run = await Fop("process-range", "2025-01-27", "2025-02-04", "--format", "json");
        Assert.True(run.ExitCode == 0, run.ToString());

        var target = Path.Combine(_cli.Folder, "fop-combined.csv");
        var export = await Fop("export", "--from", "2025-01-27", "--to", "2025-02-04", "--output", target, "--format", "json");
        Assert.True(export.ExitCode == 0, export.ToString());
        var summary = Assert.Single(export.Json().EnumerateArray());
        Assert.Equal(7, summary.GetProperty("dates").GetInt32());
        var lines = (await File.ReadAllTextAsync(target, Ct)).TrimEnd('\n').Split('\n');
        Assert.Equal(8, lines.Length);
        Assert.StartsWith("timestamp,Futures_Price,OH", lines[0], StringComparison.Ordinal);
        Assert.Equal("1/27/25", lines[1].Split(',')[0]);
        Assert.Equal("2/4/25", lines[^1].Split(',')[0]);
        Assert.All(lines, l => Assert.Equal(lines[0].Split(',').Length, l.Split(',').Length));

        var stdout = await Fop("export", "--from", "2025-01-27", "--to", "2025-02-04");
        Assert.Equal(0, stdout.ExitCode);
        Assert.Equal(await File.ReadAllTextAsync(target, Ct), stdout.Out);

        var spx = await _cli.RunAsync("export", "--from", "2025-01-27", "--to", "2025-02-04");
        Assert.Equal(2, spx.ExitCode);

        Assert.Equal(0, (await Fop("verify", "--deep")).ExitCode);
        var csv = Directory.GetFiles(Out, "fop-2025-01-28.csv", SearchOption.AllDirectories).Single();
        var text = await File.ReadAllTextAsync(csv, Ct);
        await File.WriteAllTextAsync(csv, text.Replace("\n1/28/25,", "\n1/28/25,1", StringComparison.Ordinal), Ct);
        Assert.Equal(0, (await Fop("verify")).ExitCode); // the Parquet file itself is intact
        var deep = await Fop("verify", "--deep", "--format", "json");
        Assert.Equal(1, deep.ExitCode);
        var bad = Assert.Single(deep.Json().EnumerateArray(), r => r.GetProperty("status").GetString() != "ok");
        Assert.Equal("2025-01-28", bad.GetProperty("date").GetString());
        Assert.Equal("corrupted", bad.GetProperty("status").GetString());
        Assert.NotEqual(0, (await Fop("export", "--from", "2025-01-27", "--to", "2025-02-04")).ExitCode);
    }

    [Fact]
    public async Task Demo_fop_processes_a_month_against_the_simulator_and_shows_the_files()
    {
        var result = await _cli.RunAsync("demo", "--dataset", "fop", "--keep");
        Assert.True(result.ExitCode == 0, result.ToString());
        var published = PublishedLine().Match(result.Out);
        Assert.True(published.Success, result.Out);
        Assert.Equal(published.Groups[1].Value, published.Groups[2].Value);
        Assert.InRange(int.Parse(published.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 19, 22);
        Assert.Contains("SELECT", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("db-demo-", result.Out + result.Error, StringComparison.Ordinal);

        var kept = KeptLine().Match(result.Out);
        Assert.True(kept.Success, result.Out);
        var folder = kept.Groups[1].Value;
        try
        {
            var combined = Directory.GetFiles(folder, "fop-2025-01-02_2025-01-31.csv").Single();
            var lines = (await File.ReadAllTextAsync(combined, Ct)).TrimEnd('\n').Split('\n');
            Assert.Equal(int.Parse(published.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 1, lines.Length);
            Assert.StartsWith("timestamp,Futures_Price,", lines[0], StringComparison.Ordinal);
            var verify = await _cli.RunAsync("--dataset", "fop", "--db", Path.Combine(folder, "backfill.db"), "verify", "--deep");
            Assert.True(verify.ExitCode == 0, verify.ToString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [GeneratedRegex(@"Published (\d+) CSV and (\d+) Parquet files")]
    private static partial Regex PublishedLine();

    [GeneratedRegex(@"Kept (\S+)\.\s*$", RegexOptions.Multiline)]
    private static partial Regex KeptLine();
}
