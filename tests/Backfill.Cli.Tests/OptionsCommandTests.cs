using System.Text.Json;
using Backfill.Engine.Datasets.Spx.Parquet;
using Backfill.Simulators.ThetaData;

namespace Backfill.Cli.Tests;

/// <summary>
/// The <c>options</c> dataset: one dataset per ThetaData root (<c>options/SPY</c>), each with its own ledger rows and
/// files, driven through the real command tree against the embedded ThetaData simulator.
/// </summary>
[Collection(ProcessWideState.Name)]
public sealed class OptionsCommandTests
{
    /// <summary>Two roots the simulator serves.</summary>
    private static readonly string[] Roots = ["SPY", "QQQ"];

    private static readonly DateOnly Day = new(2024, 6, 12);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string RootList => string.Join(',', Roots);

    private static string Out(CliRunner cli) => Path.Combine(cli.Folder, "out");

    private static string FileOf(CliRunner cli, string root) =>
        Path.Combine(Out(cli), "options", root, "2024", "06", "12", $"{root.ToLowerInvariant()}-options-2024-06-12.parquet");

    private static async Task ConfigureAsync(CliRunner cli, Uri simulator, string? roots = null)
    {
        foreach (var (key, value) in new[]
        {
            ("thetadata.baseUrl", simulator.ToString()),
            ("processing.startDate", "2024-06-10"),
            ("processing.outputDirectory", Out(cli)),
            ("processing.tempDirectory", Path.Combine(cli.Folder, "temp")),
            ("options.roots", roots ?? RootList),
        })
        {
            var set = await cli.RunAsync("config", "set", key, value);
            Assert.True(set.ExitCode == 0, set.ToString());
        }
    }

    /// <summary>The done-when read back by an independent reader: DuckDB sees each root's rows, only that root, and the metadata.</summary>
    [Fact]
    public async Task DuckDB_reads_each_roots_file_with_the_rows_the_ledger_records()
    {
        var modules = DuckDb.RequireModules();
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, cancellationToken: Ct);
        using var cli = new CliRunner();
        await ConfigureAsync(cli, sim.BaseAddress);
        var run = await cli.RunAsync("--dataset", "options", "process", "2024-06-12");
        Assert.True(run.ExitCode == 0, run.ToString());
        var list = await cli.RunAsync("--dataset", "options", "list", "--format", "json");
        var ledgerRows = list.Json().EnumerateArray().ToDictionary(u => u.GetProperty("dataset").GetString()!, u => u.GetProperty("rows").GetInt64());
        foreach (var root in Roots)
        {
            var result = await DuckDb.QueryAsync(modules, FileOf(cli, root),
            [
                "SELECT count(*) AS n, count(DISTINCT expiration) AS expirations, min(trade_date) AS first, max(trade_date) AS last FROM read_parquet({file})",
                "SELECT DISTINCT root FROM read_parquet({file})",
                DuckDb.MetadataQuery,
            ], Ct);
            var counts = result[0][0];
            Assert.Equal(ledgerRows[$"options/{root}"].ToString(System.Globalization.CultureInfo.InvariantCulture), counts.GetProperty("n").GetString());
            Assert.True(long.Parse(counts.GetProperty("expirations").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.Equal(("2024-06-12", "2024-06-12"), (counts.GetProperty("first").GetString(), counts.GetProperty("last").GetString()));
            Assert.Equal(root, Assert.Single(result[1].EnumerateArray()).GetProperty("root").GetString());
            Assert.Equal($"options/{root}", DuckDb.Metadata(result[2])["backfill.dataset"]);
        }
    }

    [Fact]
    public async Task Processing_two_roots_publishes_one_verified_file_per_root_with_its_own_ledger_row()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, cancellationToken: Ct);
        using var cli = new CliRunner();
        await ConfigureAsync(cli, sim.BaseAddress, roots: "IWM");

        // The roots given on the command line win over the stored ones, as for every setting.
        var run = await cli.RunAsync("--dataset", "options", "--set", $"options.roots={RootList}", "process", "2024-06-12");
        Assert.True(run.ExitCode == 0, run.ToString());
        foreach (var root in Roots)
        {
            var file = FileOf(cli, root);
            Assert.True(File.Exists(file), run.ToString());
            using (var reader = new ParquetSharp.ParquetFileReader(file))
            {
                var metadata = reader.FileMetaData.KeyValueMetadata;
                Assert.Equal($"options/{root}", metadata["backfill.dataset"]);
                Assert.Equal("2024-06-12", metadata["backfill.date"]);
            }

            // Only this root's rows, in the spx sort order.
            var rows = SpxParquetReader.ReadRows(file).ToList();
            Assert.NotEmpty(rows);
            Assert.All(rows, r => Assert.Equal(root, r.Root));
            Assert.All(rows, r => Assert.Equal(Day, r.TradeDate));
            var keys = rows.Select(r => (r.Expiration, r.StrikeMilli, r.Right, r.MsOfDay)).ToList();
            Assert.Equal(keys.Order(), keys);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
        }

        Assert.False(Directory.Exists(Path.Combine(Out(cli), "options", "IWM")));
        var summary = run.Out;
        Assert.Contains($"Summary of options/{Roots[0]}", summary, StringComparison.Ordinal);
        Assert.Contains($"Summary of options/{Roots[1]}", summary, StringComparison.Ordinal);

        var verify = await cli.RunAsync("--dataset", "options", "--set", $"options.roots={RootList}", "verify", "--deep");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains($"options/{Roots[0]}: 1 unit(s) checked: 1 ok", verify.Out, StringComparison.Ordinal);
        Assert.Contains($"options/{Roots[1]}: 1 unit(s) checked: 1 ok", verify.Out, StringComparison.Ordinal);

        // Each root is its own ledger row, under the dataset key that is also its folder.
        var list = await cli.RunAsync("--dataset", "options", "--set", $"options.roots={RootList}", "list", "--format", "json");
        Assert.True(list.ExitCode == 0, list.ToString());
        var units = list.Json().EnumerateArray().ToList();
        Assert.Equal(Roots.Select(r => $"options/{r}").Order(StringComparer.Ordinal), units.Select(u => u.GetProperty("dataset").GetString()!).Order(StringComparer.Ordinal));
        Assert.All(units, u => Assert.Equal("success", u.GetProperty("status").GetString()));
        Assert.All(units, u => Assert.True(u.GetProperty("requested").GetInt64() > 0));
        Assert.Equal(FileOf(cli, Roots[1]), units.Single(u => u.GetProperty("dataset").GetString() == $"options/{Roots[1]}").GetProperty("file").GetString());

        // spx has none of them.
        var spx = await cli.RunAsync("list", "--format", "json");
        Assert.Empty(spx.Json().EnumerateArray());

        // A lost ledger is rebuilt from the roots' files, each under its own dataset key.
        var lost = Path.Combine(cli.Folder, "rebuilt.db");
        string[] rebuiltLedger = ["--db", lost, "--set", $"processing.outputDirectory={Out(cli)}", "--set", $"options.roots={RootList}"];
        var rebuild = await cli.RunAsync(["ledger", "rebuild", .. rebuiltLedger]);
        Assert.True(rebuild.ExitCode == 0, rebuild.ToString());
        foreach (var root in Roots)
        {
            Assert.Contains($"options/{root}: 1 output(s) found", rebuild.Out, StringComparison.Ordinal);
        }

        var relisted = await cli.RunAsync(["--dataset", "options", "list", "--format", "json", .. rebuiltLedger]);
        Assert.Equal(2, relisted.Json().EnumerateArray().Count(u => u.GetProperty("status").GetString() == "success"));
    }

    [Fact]
    public void A_roots_layout_keeps_its_files_apart_from_other_roots_and_from_spx()
    {
        var spy = Engine.Datasets.Options.OptionsFamily.LayoutOf("SPY");
        Assert.Equal("options/SPY/2024/06/12/spy-options-2024-06-12.parquet", spy.KeyFor(Day));
        Assert.True(spy.TryParseKey(spy.KeyFor(Day), out var date));
        Assert.Equal(Day, date);
        Assert.False(spy.TryParseKey("options/SPYX/2024/06/12/spy-options-2024-06-12.parquet", out _));
        Assert.False(spy.TryParseKey("options/SPY/extra/2024/06/12/spy-options-2024-06-12.parquet", out _));
        Assert.False(spy.TryParseKey(Engine.Datasets.Options.OptionsFamily.LayoutOf("QQQ").KeyFor(Day), out _));
        Assert.False(Engine.Datasets.Spx.SpxDataset.OutputLayout.TryParseKey(spy.KeyFor(Day), out _));
        Assert.True(Engine.Datasets.Spx.SpxDataset.OutputLayout.TryParseKey("spx/2024/06/12/spx-options-2024-06-12.parquet", out _));

        // The registry finds a member by its name, and the same object each time.
        var registry = Engine.Datasets.DatasetRegistry.Default;
        Assert.Same(registry.Get("options/SPY"), registry.Get("options/SPY"));
        Assert.Equal(spy, registry.Get("options/SPY").Layout);
    }

    [Fact]
    public async Task The_options_demo_processes_one_file_per_root()
    {
        using var cli = new CliRunner();
        var demo = await cli.RunAsync("--dataset", "options", "demo", "--scale", "0.02", "--clean");
        Assert.True(demo.ExitCode == 0, demo.ToString());
        foreach (var root in Roots)
        {
            Assert.Contains($"Summary of options/{root}", demo.Out, StringComparison.Ordinal);
        }

        Assert.Equal(2, demo.Out.Split('\n').Count(l => l.StartsWith("1 succeeded, 0 failed", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Gaps_list_status_and_verify_take_root_and_default_to_every_configured_root()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.01 }, cancellationToken: Ct);
        using var cli = new CliRunner();
        await ConfigureAsync(cli, sim.BaseAddress);
        var run = await cli.RunAsync("--dataset", "options", "process", "2024-06-12", "--root", Roots[1]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.False(File.Exists(FileOf(cli, Roots[0])));
        Assert.True(File.Exists(FileOf(cli, Roots[1])));

        // gaps: the first root misses 2024-06-10 .. 2024-06-12, the second only 06-10 and 06-11.
        var gaps = await cli.RunAsync("--dataset", "options", "gaps", "--to", "2024-06-12", "--format", "json");
        Assert.True(gaps.ExitCode == 0, gaps.ToString());
        var byDataset = gaps.Json().EnumerateArray().GroupBy(g => g.GetProperty("dataset").GetString()!).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, byDataset[$"options/{Roots[0]}"]);
        Assert.Equal(2, byDataset[$"options/{Roots[1]}"]);

        var one = await cli.RunAsync("--dataset", "options", "gaps", "--to", "2024-06-12", "--root", Roots[1]);
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Contains($"options/{Roots[1]}: 3 sessions, 1 done, 2 gaps", one.Out, StringComparison.Ordinal);
        Assert.DoesNotContain($"options/{Roots[0]}:", one.Out, StringComparison.Ordinal);

        // A member named directly is an ordinary dataset: no dataset column.
        var direct = await cli.RunAsync("--dataset", $"options/{Roots[1]}", "gaps", "--to", "2024-06-12", "--format", "json");
        Assert.True(direct.ExitCode == 0, direct.ToString());
        Assert.Equal(2, direct.Json().GetArrayLength());
        Assert.False(direct.Json()[0].TryGetProperty("dataset", out _));

        // list: a comma list and a repeated --root mean the same.
        var both = await cli.RunAsync("--dataset", "options", "list", "--root", RootList, "--format", "json");
        var repeated = await cli.RunAsync("--dataset", "options", "list", "--root", Roots[0], "--root", Roots[1], "--format", "json");
        Assert.Equal(both.Out, repeated.Out);
        Assert.Equal($"options/{Roots[1]}", Assert.Single(both.Json().EnumerateArray()).GetProperty("dataset").GetString());
        var first = await cli.RunAsync("--dataset", "options", "list", "--root", Roots[0], "--format", "json");
        Assert.Empty(first.Json().EnumerateArray());

        // status: one block per root.
        var status = await cli.RunAsync("--dataset", "options", "status", "--offline", "--format", "json");
        Assert.True(status.ExitCode == 0, status.ToString());
        var lines = status.Json().EnumerateArray().ToList();
        JsonElement Value(string dataset, string metric) =>
            lines.Single(l => l.GetProperty("dataset").GetString() == dataset && l.GetProperty("metric").GetString() == metric).GetProperty("value");
        Assert.Equal(0, Value($"options/{Roots[0]}", "units_success").GetInt64());
        Assert.Equal(1, Value($"options/{Roots[1]}", "units_success").GetInt64());
        Assert.Equal(Value($"options/{Roots[0]}", "gaps").GetInt64() - 1, Value($"options/{Roots[1]}", "gaps").GetInt64());
        var statusOne = await cli.RunAsync("--dataset", "options", "status", "--offline", "--root", Roots[0], "--format", "json");
        Assert.All(statusOne.Json().EnumerateArray(), l => Assert.Equal($"options/{Roots[0]}", l.GetProperty("dataset").GetString()));

        // verify finds a corrupted file of one root and leaves the other's alone.
        await File.AppendAllTextAsync(FileOf(cli, Roots[1]), "x", Ct);
        var bad = await cli.RunAsync("--dataset", "options", "verify");
        Assert.Equal(1, bad.ExitCode);
        Assert.True(bad.Out.Contains($"options/{Roots[1]}: 1 unit(s) checked: 0 ok, 0 missing, 1 corrupted", StringComparison.Ordinal), bad.ToString());
        Assert.True(bad.Out.Contains($"'backfill --dataset options/{Roots[1]} cleanup", StringComparison.Ordinal), bad.ToString());
        var other = await cli.RunAsync("--dataset", "options", "verify", "--root", Roots[0]);
        Assert.True(other.ExitCode == 0, other.ToString());

        // cleanup looks at every root (a dry run here), or at the member named: it removes the corrupted file and queues its date again.
        var look = await cli.RunAsync("--dataset", "options", "cleanup", "--failed-outputs", "--dry-run", "--format", "json");
        Assert.True(look.ExitCode == 0, look.ToString());
        var found = Assert.Single(look.Json().EnumerateArray());
        Assert.Equal($"options/{Roots[1]}", found.GetProperty("dataset").GetString());
        Assert.Equal("2024-06-12", found.GetProperty("date").GetString());
        var cleanup = await cli.RunAsync("--dataset", $"options/{Roots[1]}", "cleanup", "--failed-outputs");
        Assert.True(cleanup.ExitCode == 0, cleanup.ToString());
        Assert.False(File.Exists(FileOf(cli, Roots[1])));
        var plan = await cli.RunAsync("--dataset", "options", "process-gaps", "--root", Roots[1], "--dry-run", "--format", "json");
        Assert.True(plan.ExitCode == 0, plan.ToString());
        Assert.Contains(plan.Json().EnumerateArray(), p => p.GetProperty("dataset").GetString() == $"options/{Roots[1]}" && p.GetProperty("date").GetString() == "2024-06-12");
        Assert.DoesNotContain(plan.Json().EnumerateArray(), p => p.GetProperty("dataset").GetString() != $"options/{Roots[1]}");

        var again = await cli.RunAsync("--dataset", "options", "process-range", "2024-06-12", "2024-06-12", "--root", Roots[1]);
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.True(File.Exists(FileOf(cli, Roots[1])));
        var retry = await cli.RunAsync("--dataset", $"options/{Roots[1]}", "retry", "--all-failed");
        Assert.True(retry.ExitCode == 0, retry.ToString());
        Assert.Contains("Nothing to retry.", retry.Out, StringComparison.Ordinal);

        // retry over the family: a date no root attempted is refused; a done date is redone with --force for the roots asked.
        var never = await cli.RunAsync("--dataset", "options", "retry", "2024-06-11");
        Assert.Equal(2, never.ExitCode);
        Assert.Contains("Run: backfill --dataset options process 2024-06-11", never.Error, StringComparison.Ordinal);
        var done = await cli.RunAsync("--dataset", "options", "retry", "2024-06-12");
        Assert.Equal(2, done.ExitCode);
        Assert.Contains("already succeeded", done.Error, StringComparison.Ordinal);
        var redo = await cli.RunAsync("--dataset", "options", "retry", "2024-06-12", "--force", "--yes", "--root", Roots[1]);
        Assert.True(redo.ExitCode == 0, redo.ToString());
        Assert.Contains($"options/{Roots[1]} 2024-06-12: was success", redo.Out, StringComparison.Ordinal);
        Assert.Contains($"Summary of options/{Roots[1]}", redo.Out, StringComparison.Ordinal);
        Assert.DoesNotContain($"options/{Roots[0]}", redo.Out, StringComparison.Ordinal);
        var clean = await cli.RunAsync("--dataset", "options", "verify", "--deep");
        Assert.True(clean.ExitCode == 0, clean.ToString());
    }

    [Fact]
    public async Task Serve_alerts_and_metrics_show_each_configured_root_as_a_dataset()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.01 }, cancellationToken: Ct);
        using var cli = new CliRunner();
        await ConfigureAsync(cli, sim.BaseAddress);
        var run = await cli.RunAsync("--dataset", "options", "process", "2024-06-12", "--root", Roots[1]);
        Assert.True(run.ExitCode == 0, run.ToString());

        var alerts = await cli.RunAsync("alerts", "--format", "json");
        var subjects = alerts.Json().EnumerateArray().Select(a => a.GetProperty("subject").GetString()).ToHashSet();
        Assert.Contains($"options/{Roots[0]}", subjects);
        Assert.Contains($"options/{Roots[1]}", subjects);

        await using var serve = RunningCommand.Start(cli, "serve", "--port", "0");
        var url = await serve.WaitForUrlAsync();
        using var http = new HttpClient();
        using var status = JsonDocument.Parse(await http.GetStringAsync(new Uri(url, $"api/status?dataset={Uri.EscapeDataString($"options/{Roots[1]}")}"), Ct));
        Assert.Equal($"options/{Roots[1]}", status.RootElement.GetProperty("dataset").GetString());
        Assert.Equal(1, status.RootElement.GetProperty("counts").GetProperty("success").GetInt32());
        var listed = status.RootElement.GetProperty("datasets").EnumerateArray().Select(d => d.GetString()).ToList();
        Assert.Equal(["spx", "fop", "ohlcv", "crypto-book", $"options/{Roots[0]}", $"options/{Roots[1]}"], listed);
        var metrics = await http.GetStringAsync(new Uri(url, "metrics"), Ct);
        Assert.Contains($"backfill_units{{dataset=\"options/{Roots[1]}\",status=\"success\"}} 1", metrics, StringComparison.Ordinal);
        Assert.Equal(0, await serve.StopAsync());
    }

    [Theory]
    [InlineData("spy", "'spy' is not upper case", "write SPY")]
    [InlineData("SPY,,QQQ", "an empty root", "SPY,QQQ,IWM")]
    [InlineData("SPY,SPY", "'SPY' is listed twice", "Give each root once")]
    [InlineData("SP-Y", "'SP-Y' is not an option root", "1-6 letters or digits")]
    [InlineData("TOOLONGX", "'TOOLONGX' is not an option root", "1-6 letters or digits")]
    public async Task A_bad_root_list_is_refused_naming_the_value_and_the_fix(string roots, string what, string fix)
    {
        using var cli = new CliRunner();
        var set = await cli.RunAsync("config", "set", "options.roots", roots);
        Assert.Equal(2, set.ExitCode);
        Assert.Contains("options.roots", set.Error, StringComparison.Ordinal);
        Assert.Contains(what, set.Error, StringComparison.Ordinal);
        Assert.Contains(fix, set.Error, StringComparison.Ordinal);

        var run = await cli.RunAsync("--dataset", "options", "--set", $"options.roots={roots}", "--set", "processing.startDate=2024-06-03", "process", "2024-06-12");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(what, run.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Root_is_refused_when_not_configured_for_a_dataset_without_roots_and_when_no_root_is_set()
    {
        using var cli = new CliRunner();
        Assert.Equal(0, (await cli.RunAsync("config", "set", "processing.startDate", "2024-06-03")).ExitCode);

        var unset = await cli.RunAsync("--dataset", "options", "gaps");
        Assert.Equal(2, unset.ExitCode);
        Assert.Contains("options.roots is not set", unset.Error, StringComparison.Ordinal);
        Assert.Contains("backfill config set options.roots", unset.Error, StringComparison.Ordinal);

        Assert.Equal(0, (await cli.RunAsync("config", "set", "options.roots", "SPY,QQQ")).ExitCode);
        foreach (var command in new[] { "gaps", "list", "status", "verify", "process-gaps" })
        {
            var missing = await cli.RunAsync("--dataset", "options", command, "--root", "AAPL");
            Assert.True(missing.ExitCode == 2, $"{command}: {missing}");
            Assert.Contains("--root AAPL: not in options.roots (SPY,QQQ)", missing.Error, StringComparison.Ordinal);
            Assert.Contains("backfill config set options.roots SPY,QQQ,AAPL", missing.Error, StringComparison.Ordinal);

            var spx = await cli.RunAsync(command, "--root", "SPY");
            Assert.True(spx.ExitCode == 2, $"{command}: {spx}");
            Assert.Contains("--root: the spx dataset has no roots", spx.Error, StringComparison.Ordinal);
        }

        var lower = await cli.RunAsync("--dataset", "options", "list", "--root", "spy");
        Assert.Equal(2, lower.ExitCode);
        Assert.Contains("write SPY", lower.Error, StringComparison.Ordinal);

        var both = await cli.RunAsync("--dataset", "options/SPY", "list", "--root", "QQQ");
        Assert.Equal(2, both.ExitCode);
        Assert.Contains("already names one root", both.Error, StringComparison.Ordinal);

        var range = await cli.RunAsync("--dataset", "options", "process-range", "2024-06-10", "2024-06-12", "--root", "IWM");
        Assert.Equal(2, range.ExitCode);
        Assert.Contains("--root IWM: not in options.roots", range.Error, StringComparison.Ordinal);

        // errors and health report every configured root in one table (one JSON array), or the roots --root names.
        var errors = await cli.RunAsync("--dataset", "options", "errors", "--format", "json");
        Assert.True(errors.ExitCode == 0, errors.ToString());
        Assert.Equal(["options/QQQ", "options/SPY"], errors.Json().EnumerateArray().Select(r => r.GetProperty("dataset").GetString()!).Distinct().Order());
        var oneRoot = await cli.RunAsync("--dataset", "options", "errors", "--root", "QQQ", "--format", "json");
        Assert.Equal(["options/QQQ"], oneRoot.Json().EnumerateArray().Select(r => r.GetProperty("dataset").GetString()!).Distinct());
        var member = await cli.RunAsync("--dataset", "options/SPY", "errors");
        Assert.True(member.ExitCode == 0, member.ToString());
        var health = await cli.RunAsync("--dataset", "options", "health", "--format", "json");
        Assert.Equal(["options/QQQ", "options/SPY"], health.Json().EnumerateArray().Select(r => r.GetProperty("dataset").GetString()!).Distinct().Order());
        Assert.Equal(2, (await cli.RunAsync("--dataset", "options", "health", "--root", "AAPL")).ExitCode);
        var calendar = await cli.RunAsync("--dataset", "options", "calendar", "--from", "2024-06-17", "--to", "2024-06-21", "--format", "json");
        Assert.True(calendar.ExitCode == 0, calendar.ToString());
        Assert.Equal(4, calendar.Json().GetArrayLength()); // Juneteenth closed

        var unknown = await cli.RunAsync("--dataset", "option", "list");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("options (options/ROOT)", unknown.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Config_shows_the_thetadata_keys_for_options_as_for_spx_and_the_roots_only_for_options()
    {
        using var cli = new CliRunner();
        var options = await cli.RunAsync("--dataset", "options", "config", "get", "--format", "json");
        Assert.True(options.ExitCode == 0, options.ToString());
        var keys = options.Json().EnumerateArray().Select(s => s.GetProperty("key").GetString()!).ToList();
        Assert.Contains("options.roots", keys);
        Assert.Contains("thetadata.baseUrl", keys);
        Assert.Contains("thetadata.contractListing", keys);
        Assert.Contains("processing.maxDte", keys);
        Assert.Equal(keys.Count, keys.Distinct(StringComparer.Ordinal).Count());

        var spx = await cli.RunAsync("config", "get", "--format", "json");
        var spxKeys = spx.Json().EnumerateArray().Select(s => s.GetProperty("key").GetString()!).ToList();
        Assert.Contains("thetadata.baseUrl", spxKeys);
        Assert.DoesNotContain("options.roots", spxKeys);

        // One key, one value: set for spx, read by options.
        Assert.Equal(0, (await cli.RunAsync("config", "set", "thetadata.maxConcurrentRequests", "2")).ExitCode);
        var shared = await cli.RunAsync("--dataset", "options", "config", "get", "thetadata.maxConcurrentRequests", "--format", "json");
        Assert.Equal("2", Assert.Single(shared.Json().EnumerateArray()).GetProperty("value").GetString());

        var validate = await cli.RunAsync("--dataset", "options", "config", "validate");
        Assert.Equal(2, validate.ExitCode);
        Assert.Contains("options.roots is not set", validate.Out, StringComparison.Ordinal);
        Assert.Equal(0, (await cli.RunAsync("config", "set", "options.roots", "SPY")).ExitCode);
        Assert.Equal(0, (await cli.RunAsync("config", "set", "processing.startDate", "2024-06-03")).ExitCode);
        var valid = await cli.RunAsync("--dataset", "options", "config", "validate");
        Assert.True(valid.ExitCode == 0, valid.ToString());
    }
}
