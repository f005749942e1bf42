using System.Globalization;
using System.Text.Json;
using Backfill.Cli;
using Backfill.Core.Errors;
using Backfill.Engine.Processing;
using Backfill.Ledger.Model;
using Backfill.Simulators.ThetaData;

namespace Backfill.Reliability.Tests;

/// <summary>
/// Disks and files going wrong around a real run: an output directory that cannot be written, too little disk
/// (through the injectable space probe), a corrupted and a missing output file found by <c>verify</c>/<c>gaps</c> and
/// repaired by the normal commands, and two <c>backfill</c> processes on the same ledger and dates at once.
/// </summary>
public sealed class DiskAndFileTests
{
    private static readonly DateOnly[] Days = [new(2024, 6, 10), new(2024, 6, 11), new(2024, 6, 12)];

    [Fact]
    public async Task An_output_directory_that_cannot_be_created_is_refused_before_any_work_with_the_path_named()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, 0, Harness.Ct);
        using var f = Harness.NewFolder("rel-unwritable-");
        var blocker = Path.Combine(f.Root, "not-a-directory");
        await File.WriteAllTextAsync(blocker, "a file where the output tree should go", Harness.Ct);
        var args = f.ProcessRange(sim.BaseAddress).Concat(["--set", $"processing.outputDirectory={blocker}/parquet"]).ToArray();

        var r = await Harness.CliAsync(null, args);

        Assert.True(r.Code is ExitCodes.BadInput or ExitCodes.Environment, $"exit {r.Code}: {r.Error}");
        Assert.Contains(blocker, r.Error, StringComparison.Ordinal);
        Assert.Contains("is a file", r.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Error, StringComparison.Ordinal);
        Assert.Equal(0, sim.Stats.TotalRequests);
        await using var ledger = await f.OpenLedgerAsync();
        Assert.Empty(await ledger.ListUnitsAsync("spx", null, null, null, Harness.Ct));
    }

    [Fact]
    public async Task An_output_directory_without_write_permission_is_an_environment_error()
    {
        if (Environment.UserName == "root" || OperatingSystem.IsWindows())
        {
            // Permission bits do not stop root; the test above covers a path that cannot be written by anyone.
            Assert.Skip("needs a non-root user: root writes through permission bits");
            return;
        }

        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, 0, Harness.Ct);
        using var f = Harness.NewFolder("rel-readonly-");
        Directory.CreateDirectory(f.Out);
        File.SetUnixFileMode(f.Out, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            var r = await Harness.CliAsync(null, f.ProcessRange(sim.BaseAddress));
            Assert.True(r.Code is ExitCodes.BadInput or ExitCodes.Environment, $"exit {r.Code}: {r.Error}");
            Assert.Contains(f.Out, r.Error, StringComparison.Ordinal);
            Assert.Equal(0, sim.Stats.TotalRequests);
        }
        finally
        {
            File.SetUnixFileMode(f.Out, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    [Fact]
    public async Task Too_little_disk_fails_every_date_before_downloading_without_retrying_and_the_dates_finish_once_space_is_back()
    {
        var reference = await References.SpxAsync(Days);
        await using var world = await EngineWorld.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, RetryPolicyTable.Default.WithDelayScale(0.001));
        var outcomes = await world.RunAsync(Days, new FixedDisk(1_000_000));

        Assert.All(outcomes, o =>
        {
            Assert.Equal(UnitOutcomeKind.Failed, o.Kind);
            Assert.Equal(nameof(ErrorKind.InsufficientDisk), o.ErrorType);
            Assert.Contains("free disk space", o.Message, StringComparison.Ordinal);
            Assert.Contains($"backfill retry {o.Date:yyyy-MM-dd}", o.Message, StringComparison.Ordinal);
        });
        Assert.Equal(0, world.Simulator.Stats.Requests("/v2/bulk_hist/option/greeks"));
        var requestsWhileRefused = world.Simulator.Stats.TotalRequests;
        var errors = await world.Ledger.ListErrorsAsync("spx", null, 1000, Harness.Ct);
        Assert.Equal(Days.Length, errors.Count);
        Assert.All(errors, e =>
        {
            Assert.Equal(nameof(ErrorKind.InsufficientDisk), e.ErrorType);
            Assert.False(e.WillRetry);
            Assert.Equal(0, e.Attempt);
        });
        Assert.False(Directory.Exists(world.Folder.Out) && Directory.EnumerateFiles(world.Folder.Out, "*", SearchOption.AllDirectories).Any());

        var healed = await world.RunAsync(Days, new FixedDisk(long.MaxValue / 4));
        Assert.All(healed, o => Assert.True(o.Kind == UnitOutcomeKind.Success, $"{o.Date}: {o.Kind} {o.Message}"));
        foreach (var o in healed)
        {
            Assert.Equal(reference[o.Date], o.FileSha256);
        }

        Report.Add("disk.low-space-dates-refused", outcomes.Count);
        Report.Add("disk.low-space-requests-before-refusal", requestsWhileRefused);
    }

    [Fact]
    public async Task A_flipped_byte_is_found_by_verify_and_cleanup_plus_process_gaps_restore_the_exact_file()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, 0, Harness.Ct);
        using var f = Harness.NewFolder("rel-flip-");
        var first = await Harness.CliAsync(null, f.ProcessRange(sim.BaseAddress));
        Assert.True(first.Code == 0, first.Error);
        var victim = EnginePaths.OutputFile(f.Out, "spx", Days[1]);
        var original = await File.ReadAllBytesAsync(victim, Harness.Ct);

        // One bit in the middle of the column data.
        var damaged = (byte[])original.Clone();
        damaged[damaged.Length / 2] ^= 0x10;
        await File.WriteAllBytesAsync(victim, damaged, Harness.Ct);

        foreach (var deep in new[] { false, true })
        {
            var verify = await Harness.CliAsync(null, f.With("verify", deep ? ["--deep", "--format", "json"] : ["--format", "json"]));
            Assert.True(verify.Code == ExitCodes.Failed, $"verify{(deep ? " --deep" : string.Empty)} exit {verify.Code}: {verify.Out}{verify.Error}");
            var problems = ProblemDates(verify.Out);
            Assert.Equal([("2024-06-11", "corrupted")], problems);
        }

        var cleanup = await Harness.CliAsync(null, f.With("cleanup", "--failed-outputs"));
        Assert.True(cleanup.Code == 0, cleanup.Out + cleanup.Error);
        Assert.False(File.Exists(victim));
        var gaps = await Harness.CliAsync(null, f.With("gaps", "--from", "2024-06-10", "--to", "2024-06-12", "--format", "json"));
        Assert.Equal(0, gaps.Code);
        Assert.Contains("2024-06-11", gaps.Out, StringComparison.Ordinal);

        var fill = await Harness.CliAsync(null, f.With("process-gaps", "--from", "2024-06-10", "--to", "2024-06-12", "--set", $"thetadata.baseUrl={Harness.Url(sim)}"));
        Assert.True(fill.Code == 0, fill.Out + fill.Error);
        Assert.Equal(original, await File.ReadAllBytesAsync(victim, Harness.Ct));
        var after = await Harness.CliAsync(null, f.With("verify", "--deep"));
        Assert.True(after.Code == 0, after.Out + after.Error);
        Report.Add("files.flipped-byte-found", 1);
    }

    [Fact]
    public async Task A_deleted_file_is_found_by_verify_and_gaps_and_process_gaps_restores_the_exact_file()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, 0, Harness.Ct);
        using var f = Harness.NewFolder("rel-missing-");
        var first = await Harness.CliAsync(null, f.ProcessRange(sim.BaseAddress));
        Assert.True(first.Code == 0, first.Error);
        var victim = EnginePaths.OutputFile(f.Out, "spx", Days[2]);
        var original = await File.ReadAllBytesAsync(victim, Harness.Ct);
        File.Delete(victim);

        var verify = await Harness.CliAsync(null, f.With("verify", "--format", "json"));
        Assert.True(verify.Code == ExitCodes.Failed, verify.Out + verify.Error);
        Assert.Equal([("2024-06-12", "missing")], ProblemDates(verify.Out));

        var gaps = await Harness.CliAsync(null, f.With("gaps", "--from", "2024-06-10", "--to", "2024-06-12", "--format", "json"));
        Assert.Equal(0, gaps.Code);
        var listed = JsonDocument.Parse(gaps.Out).RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("date").GetString(), e.GetProperty("category").GetString())).ToList();
        Assert.Equal([("2024-06-12", "missing-output")], listed);

        var fill = await Harness.CliAsync(null, f.With("process-gaps", "--from", "2024-06-10", "--to", "2024-06-12", "--set", $"thetadata.baseUrl={Harness.Url(sim)}"));
        Assert.True(fill.Code == 0, fill.Out + fill.Error);
        Assert.True(File.Exists(victim), $"process-gaps did not restore the missing file: {fill.Out}{fill.Error}");
        Assert.Equal(original, await File.ReadAllBytesAsync(victim, Harness.Ct));
        var after = await Harness.CliAsync(null, f.With("verify", "--deep"));
        Assert.True(after.Code == 0, after.Out + after.Error);
        Report.Add("files.missing-file-found", 1);
    }

    /// <summary>
    /// Two <c>backfill process-range</c> processes started together on one ledger, output and date range, several
    /// rounds: each date is done by exactly one of them per round (per-unit claims), the other skips it; files verify
    /// and are the reference bytes.
    /// </summary>
    [Fact]
    public async Task Two_processes_on_the_same_ledger_and_dates_do_each_date_exactly_once()
    {
        const int Rounds = 3;
        var reference = await References.SpxAsync(Days);
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, 0, Harness.Ct);
        using var f = Harness.NewFolder("rel-two-");
        var skippedByOther = 0;
        for (var round = 1; round <= Rounds; round++)
        {
            if (round > 1)
            {
                await using var ledger = await f.OpenLedgerAsync();
                foreach (var day in Days)
                {
                    await ledger.ResetUnitAsync("spx", day, Harness.Ct);
                }
            }

            using var a = Harness.Start([.. f.ProcessRange(sim.BaseAddress), "--format", "json"]);
            using var b = Harness.Start([.. f.ProcessRange(sim.BaseAddress), "--format", "json"]);
            var ra = await a.WaitAsync(TimeSpan.FromMinutes(2));
            var rb = await b.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(ra.Code == 0, $"round {round}, first process exit {ra.Code}: {ra.Error}");
            Assert.True(rb.Code == 0, $"round {round}, second process exit {rb.Code}: {rb.Error}");
            skippedByOther += CountOccurrences(ra.Out + rb.Out, "another worker is processing it");

            foreach (var day in Days)
            {
                var date = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
                Assert.Equal(round, await Harness.ScalarAsync(f.Db, $"SELECT COUNT(*) FROM attempt_log WHERE trade_date = '{date}' AND outcome = 'success';"));
                Assert.Equal(0L, await Harness.ScalarAsync(f.Db, $"SELECT COUNT(*) FROM attempt_log WHERE trade_date = '{date}' AND (ended_at IS NULL OR outcome <> 'success');"));
                Assert.Equal(reference[day], await Harness.Sha256Async(EnginePaths.OutputFile(f.Out, "spx", day)));
            }

            var verify = await Harness.CliAsync(null, f.With("verify", "--deep"));
            Assert.True(verify.Code == 0, verify.Out + verify.Error);
        }

        Report.Add("files.two-process-rounds", Rounds);
        Report.Add("files.two-process-dates-done-twice", 0);
        Report.Add("files.two-process-claims-refused", skippedByOther);
    }

    /// <summary>
    /// The first process is held (by a crash point) while it publishes the first date; a second process on the same
    /// ledger and range must leave that date to it and do the others; the held process is then killed and the next
    /// run finishes its date. Each date is done exactly once and every file is the reference file.
    /// </summary>
    [Fact]
    public async Task A_second_process_leaves_the_date_a_live_first_process_holds_and_does_the_rest()
    {
        var reference = await References.SpxAsync(Days);
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, 0, Harness.Ct);
        using var f = Harness.NewFolder("rel-held-");
        var marker = Path.Combine(f.Root, "held.marker");
        using var first = Harness.Start(f.ProcessRange(sim.BaseAddress),
            new Dictionary<string, string> { [Backfill.Ledger.CrashPoint.Variable] = "publish.before-rename", [Backfill.Ledger.CrashPoint.FileVariable] = marker });
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!File.Exists(marker))
        {
            Assert.False(first.HasExited, "the first process ended before it reached its publish");
            Assert.True(waited.Elapsed < TimeSpan.FromMinutes(2), "the first process never reached its publish");
            await Task.Delay(10, Harness.Ct);
        }

        using (var second = Harness.Start([.. f.ProcessRange(sim.BaseAddress), "--format", "json"]))
        {
            var r = await second.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(r.Code == 0, $"exit {r.Code}: {r.Error}");
            var rows = JsonDocument.Parse(r.Out).RootElement.EnumerateArray()
                .ToDictionary(e => e.GetProperty("date").GetString()!, e => (Outcome: e.GetProperty("outcome").GetString(), Message: e.GetProperty("message").GetString()));
            Assert.Equal("skipped", rows["2024-06-10"].Outcome);
            Assert.Contains("another worker is processing it", rows["2024-06-10"].Message, StringComparison.Ordinal);
            Assert.Equal("success", rows["2024-06-11"].Outcome);
            Assert.Equal("success", rows["2024-06-12"].Outcome);
        }

        Assert.False(first.HasExited);
        await first.KillAsync();
        using (var last = Harness.Start(f.ProcessRange(sim.BaseAddress)))
        {
            var r = await last.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(r.Code == 0, $"exit {r.Code}: {r.Error}");
        }

        foreach (var day in Days)
        {
            var date = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            Assert.Equal(1L, await Harness.ScalarAsync(f.Db, $"SELECT COUNT(*) FROM attempt_log WHERE trade_date = '{date}' AND outcome = 'success';"));
            Assert.Equal(day == Days[0] ? 2L : 1L, await Harness.ScalarAsync(f.Db, $"SELECT COUNT(*) FROM attempt_log WHERE trade_date = '{date}';"));
            Assert.Equal(reference[day], await Harness.Sha256Async(EnginePaths.OutputFile(f.Out, "spx", day)));
        }

        var verify = await Harness.CliAsync(null, f.With("verify", "--deep"));
        Assert.True(verify.Code == 0, verify.Out + verify.Error);
        Report.Add("files.held-date-left-to-its-owner", 1);
    }

    private static int CountOccurrences(string text, string what)
    {
        var n = 0;
        for (var i = text.IndexOf(what, StringComparison.Ordinal); i >= 0; i = text.IndexOf(what, i + what.Length, StringComparison.Ordinal))
        {
            n++;
        }

        return n;
    }

    /// <summary>The (date, status) of every row of <c>verify --format json</c> that is not ok.</summary>
    private static List<(string?, string?)> ProblemDates(string json) =>
        [.. JsonDocument.Parse(json).RootElement.EnumerateArray()
            .Where(e => e.GetProperty("status").GetString() != "ok")
            .Select(e => (e.GetProperty("date").GetString(), e.GetProperty("status").GetString()))];
}
