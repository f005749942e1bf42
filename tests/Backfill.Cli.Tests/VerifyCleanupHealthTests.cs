using System.Diagnostics;
using System.Text.Json;

namespace Backfill.Cli.Tests;

public sealed class VerifyCleanupHealthTests
{
    private static readonly DateOnly Day1 = new(2024, 12, 2);
    private static readonly DateOnly Day2 = new(2024, 12, 3);
    private static readonly DateOnly Day3 = new(2024, 12, 4);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Verify_exits_0_when_every_file_is_ok()
    {
        using var cli = new CliRunner();
        await PublishedDays.ConfigureAsync(cli);
        await PublishedDays.PublishAsync(cli, Day1, Ct);
        await PublishedDays.PublishAsync(cli, Day2, Ct);

        var result = await cli.RunAsync("verify", "--deep", "--format", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var rows = result.Json().EnumerateArray().ToList();
        Assert.Equal(["2024-12-02", "2024-12-03"], rows.Select(r => r.GetProperty("date").GetString()));
        Assert.All(rows, r => Assert.Equal("ok", r.GetProperty("status").GetString()));
        Assert.All(rows, r => Assert.Equal(12, r.GetProperty("expected_sha256").GetString()!.Length));
        var table = await cli.RunAsync("verify");
        Assert.Contains("2 unit(s) checked: 2 ok, 0 missing, 0 corrupted", table.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_exits_1_and_names_missing_corrupted_and_extra_files()
    {
        using var cli = new CliRunner();
        await PublishedDays.ConfigureAsync(cli);
        var corrupt = await PublishedDays.PublishAsync(cli, Day1, Ct);
        var missing = await PublishedDays.PublishAsync(cli, Day2, Ct);
        var extra = await PublishedDays.PublishAsync(cli, Day3, Ct, record: false);
        PublishedDays.FlipByte(corrupt.Path);
        File.Delete(missing.Path);

        var result = await cli.RunAsync("verify", "--from", "2024-12-01", "--to", "2024-12-31", "--format", "json");

        Assert.True(result.ExitCode == 1, result.ToString());
        var rows = result.Json().EnumerateArray().ToDictionary(r => r.GetProperty("date").GetString()!);
        Assert.Equal("corrupted", rows["2024-12-02"].GetProperty("status").GetString());
        Assert.Equal(corrupt.Sha256[..12], rows["2024-12-02"].GetProperty("expected_sha256").GetString());
        Assert.NotEqual(corrupt.Sha256[..12], rows["2024-12-02"].GetProperty("actual_sha256").GetString());
        Assert.Equal("missing", rows["2024-12-03"].GetProperty("status").GetString());
        Assert.Equal("extra", rows["2024-12-04"].GetProperty("status").GetString());
        Assert.Equal(extra.Path, rows["2024-12-04"].GetProperty("path").GetString());

        var narrow = await cli.RunAsync("verify", "--from", "2024-12-04", "--to", "2024-12-04", "--format", "json");
        Assert.Equal(1, narrow.ExitCode);
        Assert.Single(narrow.Json().EnumerateArray());
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Verify_reports_group_readable_files_as_insecure()
    {
        using var cli = new CliRunner();
        await PublishedDays.ConfigureAsync(cli);
        var file = await PublishedDays.PublishAsync(cli, Day1, Ct);
        File.SetUnixFileMode(file.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var result = await cli.RunAsync("verify", "--format", "csv");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("insecure-permissions", result.Out, StringComparison.Ordinal);
        Assert.Contains("chmod 600", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Verify_with_a_bad_range_exits_2()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("verify", "--last", "30d", "--from", "2024-01-01");
        Assert.Equal(2, result.ExitCode);
    }

    [Fact]
    public async Task Cleanup_removes_parts_and_success_staging_but_keeps_interrupted_staging()
    {
        using var cli = new CliRunner();
        await PublishedDays.ConfigureAsync(cli);
        await PublishedDays.PublishAsync(cli, Day1, Ct);
        await PublishedDays.StageAsync(cli, Day2, Ct);
        var part = Path.Combine(PublishedDays.Staging(cli, Day2), "SPXW-20241220.ndjson.part");
        await File.WriteAllTextAsync(part, "{", Ct);
        await using (var ledger = new Backfill.Ledger.Sqlite.SqliteLedger(cli.Db, cli.Clock))
        {
            await ledger.TryClaimUnitAsync("spx", Day2, "w", TimeSpan.FromMinutes(5), false, Ct);
            await ledger.InterruptUnitAsync("spx", Day2, "w", "Ctrl-C", Ct);
        }

        var dry = await cli.RunAsync("cleanup", "--temp-files", "--dry-run", "--format", "json");
        Assert.True(dry.ExitCode == 0, dry.ToString());
        Assert.Equal(2, dry.Json().GetArrayLength());
        Assert.True(File.Exists(part));

        var result = await cli.RunAsync("cleanup", "--temp-files");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("kept 2024-12-03 staging (interrupted", result.Out, StringComparison.Ordinal);
        Assert.Contains("Removed 2 item(s)", result.Out, StringComparison.Ordinal);
        Assert.False(File.Exists(part));
        Assert.False(Directory.Exists(PublishedDays.Staging(cli, Day1)));
        Assert.Equal(2, Directory.GetFiles(PublishedDays.Staging(cli, Day2), "*.ndjson").Length);
        var verify = await cli.RunAsync("verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Cleanup_failed_outputs_resets_a_corrupted_date_so_gaps_lists_it()
    {
        using var cli = new CliRunner();
        await PublishedDays.ConfigureAsync(cli);
        var bad = await PublishedDays.PublishAsync(cli, Day1, Ct);
        await PublishedDays.PublishAsync(cli, Day2, Ct);
        PublishedDays.FlipByte(bad.Path);
        var before = await cli.RunAsync("gaps", "--to", "2024-12-06", "--format", "json");
        Assert.DoesNotContain("2024-12-02", Dates(before.Json()));

        var result = await cli.RunAsync("cleanup", "--failed-outputs", "--format", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var item = Assert.Single(result.Json().EnumerateArray());
        Assert.Equal("corrupted-output", item.GetProperty("kind").GetString());
        Assert.Equal(bad.Path, item.GetProperty("path").GetString());
        Assert.Equal(bad.SizeBytes, item.GetProperty("bytes").GetInt64());
        Assert.False(File.Exists(bad.Path));
        var gaps = await cli.RunAsync("gaps", "--to", "2024-12-06", "--format", "json");
        Assert.Contains("2024-12-02", Dates(gaps.Json()));
        Assert.DoesNotContain("2024-12-03", Dates(gaps.Json()));
        var verify = await cli.RunAsync("verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task Health_against_a_running_simulator_reports_the_source_ok()
    {
        using var cli = new CliRunner();
        await PublishedDays.ConfigureAsync(cli);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(PublishedDays.OutputRoot(cli));
        }
        else
        {
            Directory.CreateDirectory(PublishedDays.OutputRoot(cli), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        Directory.CreateDirectory(PublishedDays.TempRoot(cli));
        await using var sim = await Backfill.Simulators.ThetaData.ThetaDataSimulator.StartAsync(
            new Backfill.Simulators.ThetaData.ThetaDataSimulatorOptions { Scale = 0.01 }, cancellationToken: Ct);

        var result = await cli.RunAsync("health", "--set", $"thetadata.baseUrl={sim.BaseAddress}", "--format", "json");

        Assert.True(result.ExitCode == 0, result.ToString());
        var checks = result.Json().EnumerateArray().ToDictionary(c => c.GetProperty("check").GetString()!, c => c.GetProperty("status").GetString());
        Assert.Equal("ok", checks["source"]);
        Assert.Equal("ok", checks["ledger"]);
        Assert.Equal("ok", checks["output-directory"]);
        Assert.Equal("ok", checks["temp-directory"]);
        Assert.Equal(["disk-output", "disk-temp", "ledger", "output-directory", "temp-directory", "source", "memory", "rate-limit"], checks.Keys);
    }

    [Fact]
    public async Task Health_against_a_closed_port_fails_with_exit_3_within_3_seconds()
    {
        using var cli = new CliRunner();
        await PublishedDays.ConfigureAsync(cli);
        var port = ClosedPort();
        var watch = Stopwatch.StartNew();

        var result = await cli.RunAsync("health", "--set", $"thetadata.baseUrl=http://127.0.0.1:{port}");

        watch.Stop();
        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(3), watch.Elapsed.ToString());
        var source = result.Out.Split('\n').Single(l => l.Contains("source", StringComparison.Ordinal) && l.Contains("fail", StringComparison.Ordinal));
        Assert.Contains(port.ToString(System.Globalization.CultureInfo.InvariantCulture), result.Out, StringComparison.Ordinal);
        Assert.NotNull(source);
    }

    private static int ClosedPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        var port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static List<string?> Dates(JsonElement rows) => rows.EnumerateArray().Select(r => r.GetProperty("date").GetString()).ToList();
}
