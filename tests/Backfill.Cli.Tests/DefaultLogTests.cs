using System.Text.Json;
using Backfill.Simulators.ThetaData;

namespace Backfill.Cli.Tests;

/// <summary>What the log file holds after a run at the default level: each unit's start and end, failures, retries and requests.</summary>
[Collection(ProcessWideState.Name)]
public sealed class DefaultLogTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    internal static string[] Sets(CliRunner cli, Uri simulator) =>
    [
        "--set", $"thetadata.baseUrl={simulator}", "--set", "processing.startDate=2024-06-10",
        "--set", $"processing.outputDirectory={Path.Combine(cli.Folder, "out")}", "--set", $"processing.tempDirectory={Path.Combine(cli.Folder, "temp")}",
    ];

    /// <summary>Processes 2024-06-11 against a healthy simulator, then 2024-06-10 against one that answers every request with 429.</summary>
    internal static async Task RunOneGoodAndOneFailingDateAsync(CliRunner cli)
    {
        await using (var good = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, cancellationToken: Ct))
        {
            var ok = await cli.RunAsync(["process", "2024-06-11", .. Sets(cli, good.BaseAddress)]);
            Assert.True(ok.ExitCode == 0, ok.ToString());
        }

        await using var busy = await ThetaDataSimulator.StartAsync(
            new ThetaDataSimulatorOptions { Scale = 0.02, Faults = new ThetaFaultOptions { Probability = 1.0, Kinds = [ThetaFaultKind.RateLimit429] } }, cancellationToken: Ct);
        var failed = await cli.RunAsync(["process", "2024-06-10", .. Sets(cli, busy.BaseAddress)]);
        Assert.True(failed.ExitCode == 1, failed.ToString());
    }

    [Fact]
    public async Task A_default_level_run_logs_each_units_start_end_failed_attempt_retries_and_requests()
    {
        using var cli = new CliRunner();
        await RunOneGoodAndOneFailingDateAsync(cli);

        // The runner's clock says 2024-12-31 (UTC): the file is named after that day.
        var folder = Path.Combine(cli.Folder, "logs");
        var file = Path.Combine(folder, "backfill-20241231.log");
        Assert.True(File.Exists(file), string.Join(", ", Directory.Exists(folder) ? Directory.GetFiles(folder) : []));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
        }

        var entries = File.ReadAllLines(file).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.DoesNotContain(entries, e => e.TryGetProperty("@l", out var level) && level.GetString() is "Debug" or "Verbose");
        List<JsonElement> Unit(string date, string start) =>
            [.. entries.Where(e => e.GetProperty("@m").GetString()!.StartsWith(start, StringComparison.Ordinal)
                                   && e.TryGetProperty("Date", out var d) && d.GetString() == date)];

        foreach (var date in new[] { "2024-06-11", "2024-06-10" })
        {
            var start = Assert.Single(Unit(date, "unit start spx"));
            Assert.Equal("spx", start.GetProperty("Dataset").GetString());
            Assert.Equal(1, start.GetProperty("Attempt").GetInt32());
            var end = Assert.Single(Unit(date, "unit end spx"));
            Assert.Equal(date == "2024-06-11" ? "success" : "failed", end.GetProperty("Outcome").GetString());
            Assert.True(end.TryGetProperty("Seconds", out _));
            var requests = Assert.Single(Unit(date, "unit requests spx"));
            Assert.True(requests.GetProperty("Requests").GetInt64() > 0, requests.ToString());
            Assert.True(requests.GetProperty("Bytes").GetInt64() > 0, requests.ToString());
            Assert.Contains(date == "2024-06-11" ? "200:" : "429:", requests.GetProperty("Statuses").GetString(), StringComparison.Ordinal);
        }

        var good = Assert.Single(Unit("2024-06-11", "unit end spx"));
        Assert.True(good.GetProperty("Rows").GetInt64() > 0);
        Assert.True(good.GetProperty("Bytes").GetInt64() > 0);

        var failed = Assert.Single(Unit("2024-06-10", "attempt failed spx"));
        Assert.Equal("Warning", failed.GetProperty("@l").GetString());
        Assert.Equal("RateLimited", failed.GetProperty("ErrorType").GetString());
        var retries = Unit("2024-06-10", "retry spx");
        Assert.NotEmpty(retries);
        Assert.All(retries, r => Assert.Equal("RateLimited", r.GetProperty("ErrorType").GetString()));
        Assert.All(retries, r => Assert.True(r.GetProperty("DelaySeconds").GetDouble() >= 0));
        Assert.Equal(retries.Count, Assert.Single(Unit("2024-06-10", "unit requests spx")).GetProperty("Retries").GetInt32());
        Assert.Empty(Unit("2024-06-11", "retry spx"));
    }

    [Fact]
    public async Task The_text_format_writes_the_same_lines_one_per_entry()
    {
        using var cli = new CliRunner();
        cli.Env["BACKFILL_LOGGING_FORMAT"] = "text";
        await using var good = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, cancellationToken: Ct);
        var ok = await cli.RunAsync(["process", "2024-06-11", .. Sets(cli, good.BaseAddress)]);
        Assert.True(ok.ExitCode == 0, ok.ToString());

        var lines = File.ReadAllLines(Path.Combine(cli.Folder, "logs", "backfill-20241231.log"));
        Assert.Contains(lines, l => l.StartsWith("2024-12-31T23:00:00.000Z info Backfill.Unit: unit start spx 2024-06-11 attempt 1", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("info Backfill.Unit: unit end spx 2024-06-11 success: ", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("info Backfill.Unit: unit requests spx 2024-06-11: ", StringComparison.Ordinal));
    }
}
