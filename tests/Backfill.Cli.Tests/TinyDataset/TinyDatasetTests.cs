using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
using Backfill.Engine.Status;
using Backfill.Ledger;
using Backfill.Operations.Metrics;
using Backfill.Operations.Server;

namespace Backfill.Cli.Tests.TinyDataset;

/// <summary>
/// A new dataset is one folder: <see cref="TinyDataset"/>, registered with one line, runs through the commands and the
/// status server's API with no change to shared code (the worked example of "Adding a dataset" in ARCHITECTURE.md).
/// </summary>
public sealed class TinyDatasetTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CliRunner NewRunner() => new() { Datasets = DatasetRegistry.Default.With(new TinyDataset()) };

    private static async Task<CliResult> Tiny(CliRunner cli, params string[] args)
    {
        var result = await cli.RunAsync(["--dataset", "tiny", .. args]);
        return result;
    }

    [Fact]
    public async Task A_registered_dataset_runs_through_process_gaps_list_status_verify_cleanup_and_the_status_api()
    {
        using var cli = NewRunner();
        var output = Path.Combine(cli.Folder, "out");
        Assert.Equal(0, (await Tiny(cli, "config", "set", "processing.startDate", "2024-06-01")).ExitCode);
        Assert.Equal(0, (await Tiny(cli, "config", "set", "processing.outputDirectory", output)).ExitCode);
        Assert.Equal(0, (await Tiny(cli, "config", "set", "processing.tempDirectory", Path.Combine(cli.Folder, "temp"))).ExitCode);

        // Its own setting is known, listed for it, and not for another dataset.
        var config = await Tiny(cli, "config", "get", "--format", "json");
        Assert.Contains(config.Json().EnumerateArray(), s => s.GetProperty("key").GetString() == TinyDataset.RowsSetting);
        var spxConfig = await cli.RunAsync("config", "get", "--format", "json");
        Assert.DoesNotContain(spxConfig.Json().EnumerateArray(), s => s.GetProperty("key").GetString() == TinyDataset.RowsSetting);

        var one = await Tiny(cli, "process", "2024-06-03", "--set", $"{TinyDataset.RowsSetting}=4", "--format", "json");
        Assert.True(one.ExitCode == 0, one.ToString());
        var file = Path.Combine(output, "tiny", "2024", "06", "03", "tiny-2024-06-03.csv");
        Assert.Equal(TinyDataset.Csv(new DateOnly(2024, 6, 3), 4), await File.ReadAllTextAsync(file, Ct));
        var summary = Assert.Single(one.Json().EnumerateArray());
        Assert.Equal(4, summary.GetProperty("lines").GetInt32()); // the summary calls its sub-units by the dataset's own word

        var range = await Tiny(cli, "process-range", "2024-06-01", "2024-06-05");
        Assert.True(range.ExitCode == 0, range.ToString());

        var gaps = await Tiny(cli, "gaps", "--to", "2024-06-07", "--format", "json");
        Assert.True(gaps.ExitCode == 0, gaps.ToString());
        Assert.Equal(["2024-06-06", "2024-06-07"], gaps.Json().EnumerateArray().Select(g => g.GetProperty("date").GetString()).Order().ToArray());

        var list = await Tiny(cli, "list", "--format", "json");
        Assert.Equal(5, list.Json().EnumerateArray().Count(u => u.GetProperty("status").GetString() == "success"));

        var status = await Tiny(cli, "status", "--format", "json");
        var metrics = status.Json().EnumerateArray().ToDictionary(m => m.GetProperty("metric").GetString()!, m => m.GetProperty("value"));
        Assert.Equal("tiny", metrics["dataset"].GetString());
        Assert.Equal(5, metrics["units_success"].GetInt64());

        var verify = await Tiny(cli, "verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());

        // A damaged file: verify names it, cleanup removes it and the date is a gap again.
        await File.AppendAllTextAsync(file, "tampered\n", Ct);
        var bad = await Tiny(cli, "verify", "--format", "json");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains(bad.Json().EnumerateArray(), f => f.GetProperty("status").GetString() == "corrupted" && f.GetProperty("date").GetString() == "2024-06-03");
        var cleanup = await Tiny(cli, "cleanup", "--failed-outputs");
        Assert.True(cleanup.ExitCode == 0, cleanup.ToString());
        Assert.False(File.Exists(file));
        var after = await Tiny(cli, "gaps", "--to", "2024-06-05", "--format", "json");
        Assert.Equal(["2024-06-03"], after.Json().EnumerateArray().Select(g => g.GetProperty("date").GetString()).ToArray());

        // The status server's API answers for it like for any shipped dataset.
        await using var ledger = LedgerFactory.Create(cli.Db, cli.Clock);
        var api = new StatusApi(ledger, cli.Datasets, await new SettingsResolver(null, cli.Env, cli.Datasets.Settings).LoadAsync(ledger, Ct), cli.Clock);
        var options = new ServerOptions(IPAddress.Loopback, 0, false, 5, new DateOnly(2024, 6, 1),
            new MetricsOptions(false, false, false, cli.Folder, new Uri("http://127.0.0.1:4318"), TimeSpan.FromSeconds(60)));
        var app = StatusServer.Create(options, ledger, api, null, cli.Clock);
        await using (app)
        {
            var url = await StatusServer.StartAsync(app, Ct);
            using var http = new HttpClient { BaseAddress = url };
            var body = await http.GetFromJsonAsync<JsonElement>("api/status?dataset=tiny", Ct);
            Assert.Equal("tiny", body.GetProperty("dataset").GetString());
            Assert.Equal(4, body.GetProperty("counts").GetProperty("success").GetInt32());
            Assert.Contains(body.GetProperty("datasets").EnumerateArray(), d => d.GetString() == "tiny");
            await app.StopAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task An_unknown_dataset_names_every_registered_one()
    {
        using var cli = NewRunner();
        var result = await cli.RunAsync("--dataset", "nope", "status");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("tiny", result.Error, StringComparison.Ordinal);
        Assert.Contains("crypto-book", result.Error, StringComparison.Ordinal);
    }
}
