using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Backfill.Engine.Configuration;
using Backfill.Engine.Status;
using Backfill.Ledger;
using Backfill.Simulators.ThetaData;

namespace Backfill.Cli.Tests;

/// <summary><c>status</c> shows free disk, the ledger's kind and schema and whether the source answers, within its bound.</summary>
public sealed class StatusCommandTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static Dictionary<string, JsonElement> Metrics(CliResult result)
    {
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Json().EnumerateArray().ToDictionary(m => m.GetProperty("metric").GetString()!, m => m.GetProperty("value"));
    }

    [Fact]
    public async Task Offline_status_shows_disk_at_both_folders_and_the_ledger_and_does_not_ask_the_source()
    {
        using var cli = new CliRunner();
        await PublishedDays.ConfigureAsync(cli);
        var status = Metrics(await cli.RunAsync("status", "--offline", "--format", "json"));

        Assert.Equal("sqlite", status["ledger_kind"].GetString());
        await using (var ledger = LedgerFactory.Create(cli.Db, cli.Clock))
        {
            Assert.Equal(LedgerFactory.LatestSchemaVersion(ledger), status["ledger_schema_version"].GetInt32());
        }

        Assert.True(status["ledger_schema_current"].GetBoolean());
        foreach (var (what, folder) in new[] { ("output", PublishedDays.OutputRoot(cli)), ("temp", PublishedDays.TempRoot(cli)) })
        {
            Assert.Equal(folder, status[$"disk_{what}_folder"].GetString());
            Assert.True(status[$"disk_{what}_free_bytes"].GetInt64() > 0);
            Assert.InRange(status[$"disk_{what}_free_percent"].GetDouble(), 0.0, 100.0);
        }

        Assert.Equal("skipped", status["source_state"].GetString());
        Assert.Equal("not asked (--offline)", status["source_detail"].GetString());

        var csv = await cli.RunAsync("status", "--offline", "--format", "csv");
        Assert.Contains("disk_output_free_percent,", csv.Out, StringComparison.Ordinal);
        var table = await cli.RunAsync("status", "--offline");
        Assert.Contains("source_state", table.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_asks_the_source_and_says_ok_when_it_answers()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.01 }, cancellationToken: Ct);
        using var cli = new CliRunner();
        await PublishedDays.ConfigureAsync(cli);
        Assert.Equal(0, (await cli.RunAsync("config", "set", "thetadata.baseUrl", sim.BaseAddress.ToString())).ExitCode);

        // The first request to the in-process simulator pays for its JIT; the bound is for a source, not for a cold test host.
        _ = await cli.RunAsync("status", "--format", "json");
        var status = Metrics(await cli.RunAsync("status", "--format", "json"));
        Assert.True(status["source_state"].GetString() == "ok", status["source_detail"].GetString());
    }

    [Fact]
    public async Task A_source_that_never_answers_is_reported_as_timeout_rather_than_waited_for()
    {
        // Accepts connections and never says a word.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var accepted = new System.Collections.Concurrent.ConcurrentBag<Socket>();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var accepting = Task.Run(async () =>
        {
            try
            {
                while (true)
                {
                    accepted.Add(await silent.AcceptSocketAsync(stop.Token));
                }
            }
            catch (OperationCanceledException)
            {
            }
        }, CancellationToken.None);
        using var cli = new CliRunner();
        await PublishedDays.ConfigureAsync(cli);
        Assert.Equal(0, (await cli.RunAsync("config", "set", "thetadata.baseUrl", $"http://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}")).ExitCode);

        var status = Metrics(await cli.RunAsync("status", "--format", "json"));

        Assert.Equal("timeout", status["source_state"].GetString());
        Assert.Equal($"no answer within {SystemStatus.SourceTimeout.TotalSeconds:0.###} s.", status["source_detail"].GetString());
        Assert.False(accepted.IsEmpty, "the probe never connected to the silent source");
        await stop.CancelAsync();
        await accepting;
        foreach (var socket in accepted)
        {
            socket.Dispose();
        }
    }

    [Fact]
    public async Task Status_gaps_and_the_status_page_count_the_same_done_dates_and_gaps()
    {
        using var cli = new CliRunner();
        await PublishedDays.ConfigureAsync(cli);
        foreach (var day in new[] { 2, 3, 5, 9 })
        {
            await PublishedDays.PublishAsync(cli, new DateOnly(2024, 12, day), Ct);
        }

        // A done date whose file is gone is a gap for all three.
        File.Delete(Backfill.Engine.Processing.EnginePaths.OutputFile(PublishedDays.OutputRoot(cli), "spx", new DateOnly(2024, 12, 9)));

        var status = Metrics(await cli.RunAsync("status", "--offline", "--format", "json"));
        var gaps = await cli.RunAsync("gaps", "--format", "json");
        Assert.True(gaps.ExitCode == 0, gaps.ToString());
        await using var ledger = LedgerFactory.Create(cli.Db, cli.Clock);
        var settings = await new SettingsResolver(null, cli.Env, cli.Datasets.Settings).LoadAsync(ledger, Ct);
        var year = JsonSerializer.SerializeToElement(await new StatusApi(ledger, cli.Datasets, settings, cli.Clock).YearAsync("spx", 2024, Ct),
            new JsonSerializerOptions(JsonSerializerDefaults.Web));
        var range = year.GetProperty("range");

        Assert.Equal(status["sessions_in_range"].GetInt32(), range.GetProperty("sessions").GetInt32());
        Assert.Equal(status["gaps"].GetInt32(), range.GetProperty("gaps").GetInt32());
        Assert.Equal(gaps.Json().GetArrayLength(), range.GetProperty("gaps").GetInt32());
        Assert.Equal(3, range.GetProperty("done").GetInt32());
        Assert.Equal(3, year.GetProperty("counts").GetProperty("done").GetInt32());
        Assert.Equal(Math.Round(100.0 * 3 / range.GetProperty("sessions").GetInt32(), 2), status["coverage_percent"].GetDouble());
    }
}
