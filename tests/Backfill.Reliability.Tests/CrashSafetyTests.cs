using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Backfill.Engine.Processing;
using Backfill.Ledger.Model;
using Backfill.Simulators.ThetaData;
using Backfill.Storage.Layout;
using Backfill.Storage.Verification;

namespace Backfill.Reliability.Tests;

/// <summary>
/// SIGKILLs <c>backfill process-range</c> at seeded random moments, including inside the publish/rename window and
/// right after a rename (while the ledger records the success), and checks after every kill that nothing partial or
/// wrong is visible; then finishes and compares with a clean reference run byte for byte.
/// Knobs: <c>BACKFILL_RELIABILITY_KILLS</c> (default 50), <c>BACKFILL_RELIABILITY_SEED</c> (default 20240610).
/// </summary>
public sealed class CrashSafetyTests
{
    private static readonly DateOnly[] Days = [.. Harness.Dates.Select(d => DateOnly.ParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture))];

    [Fact]
    public async Task Killed_runs_never_leave_partial_files_or_stuck_units_and_finish_byte_identical_to_a_clean_run()
    {
        var kills = Harness.Knob("BACKFILL_RELIABILITY_KILLS", 50);
        var seed = Harness.Knob("BACKFILL_RELIABILITY_SEED", 20240610);
        var random = new Random(seed);
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, 0, Harness.Ct);

        using var clean = Harness.NewFolder("rel-crash-ref-");
        using (var reference = Harness.Start(clean.ProcessRange(sim.BaseAddress)))
        {
            var r = await reference.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(r.Code == 0, r.Error);
        }

        var expected = new Dictionary<DateOnly, string>();
        foreach (var day in Days)
        {
            expected[day] = await Harness.Sha256Async(EnginePaths.OutputFile(clean.Out, "spx", day));
        }

        using var f = Harness.NewFolder("rel-crash-");
        var stats = new Dictionary<string, int>(StringComparer.Ordinal) { ["timed"] = 0, ["publish"] = 0, ["after-rename"] = 0 };
        var completions = 0;
        var takeovers = 0;
        var republished = 0;
        var watch = Stopwatch.StartNew();
        Dictionary<DateOnly, string> stuckBefore = [];
        var done = 0;
        for (var iteration = 0; done < kills && iteration < kills * 4; iteration++)
        {
            var strategy = random.Next(10) switch
            {
                < 4 => "timed",
                < 7 => "publish",
                _ => "after-rename",
            };
            var offsetMs = strategy switch
            {
                "timed" => 300 + random.Next(2700),
                "publish" => random.Next(40),
                _ => 0,
            };
            var before = OutputState(f.Out);
            using var run = Harness.Start(f.ProcessRange(sim.BaseAddress));
            var killed = await KillWhenAsync(run, strategy, offsetMs, f, before);
            if (killed)
            {
                done++;
                stats[strategy]++;
            }
            else
            {
                var result = await run.WaitAsync(TimeSpan.FromMinutes(1));
                Assert.True(result.Code == 0, $"an unkilled run failed: {result.Error}");
                completions++;
            }

            var stuck = await CheckInvariantsAsync(f, expected, $"iteration {iteration} ({strategy}, {(killed ? "killed" : "completed")})");
            foreach (var (day, owner) in stuckBefore)
            {
                if (!stuck.TryGetValue(day, out var now) || now != owner)
                {
                    takeovers++;
                }
            }

            stuckBefore = stuck;
            if (!killed || await AllDoneAsync(f))
            {
                // Start the next round over the same output tree: every file is rewritten and renamed over its old self.
                await using var ledger = await f.OpenLedgerAsync();
                foreach (var day in Days)
                {
                    await ledger.ResetUnitAsync("spx", day, Harness.Ct);
                }

                republished++;
            }
        }

        Assert.True(done >= kills, $"only {done} kills in {kills * 4} runs");

        // Finish: one run to completion, then nothing is processing and every file is the reference file.
        using (var last = Harness.Start(f.ProcessRange(sim.BaseAddress)))
        {
            var r = await last.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(r.Code == 0, r.Error);
        }

        var list = await Harness.CliAsync(null, "list", "--db", f.Db, "--format", "json");
        Assert.Equal(0, list.Code);
        var statuses = JsonDocument.Parse(list.Out).RootElement.EnumerateArray().Select(e => e.GetProperty("status").GetString()).ToList();
        Assert.Equal(Days.Length, statuses.Count);
        Assert.All(statuses, s => Assert.Equal("success", s));
        foreach (var day in Days)
        {
            Assert.Equal(expected[day], await Harness.Sha256Async(EnginePaths.OutputFile(f.Out, "spx", day)));
        }

        await CheckInvariantsAsync(f, expected, "final");
        // A killed publish leaves its temp file; the next attempt of that date removes it, and cleanup removes the rest.
        var leftovers = Directory.Exists(f.PublishDirectory) ? Directory.GetFiles(f.PublishDirectory) : [];
        Assert.True(leftovers.Length <= Days.Length, $"publish temp files pile up: {string.Join(", ", leftovers)}");
        var cleanup = await Harness.CliAsync(null, f.With("cleanup", "--temp-files"));
        Assert.True(cleanup.Code == 0, cleanup.Out + cleanup.Error);
        Assert.Empty(Directory.Exists(f.PublishDirectory) ? Directory.GetFiles(f.PublishDirectory) : []);
        Report.Add("crash.publish-temps-left-before-cleanup", leftovers.Length);
        var verify = await Harness.CliAsync(null, f.With("verify", "--deep"));
        Assert.True(verify.Code == 0, verify.Out + verify.Error);

        Report.Add("crash.kills", done);
        Report.Add("crash.kills.timed", stats["timed"]);
        Report.Add("crash.kills.publish-window", stats["publish"]);
        Report.Add("crash.kills.after-rename", stats["after-rename"]);
        Report.Add("crash.runs-completed-unkilled", completions);
        Report.Add("crash.dead-owner-takeovers", takeovers);
        Report.Add("crash.rounds", republished);
        Report.Add("crash.seconds", (long)watch.Elapsed.TotalSeconds);
        TestContext.Current.SendDiagnosticMessage(
            $"crash safety: {done} kills (timed {stats["timed"]}, publish window {stats["publish"]}, after rename {stats["after-rename"]}), " +
            $"{completions} unkilled completions, {takeovers} dead-owner takeovers, {republished} rounds, {watch.Elapsed.TotalSeconds:F0} s, seed {seed}");
    }

    /// <summary>Waits for the strategy's moment and SIGKILLs; false when the run finished first.</summary>
    private static async Task<bool> KillWhenAsync(ChildRun run, string strategy, int offsetMs, RunFolder f, Dictionary<string, DateTime> before)
    {
        var limit = Stopwatch.StartNew();
        if (strategy == "timed")
        {
            while (limit.ElapsedMilliseconds < offsetMs)
            {
                if (run.HasExited)
                {
                    return false;
                }

                await Task.Delay(5, Harness.Ct);
            }
        }
        else
        {
            while (true)
            {
                if (run.HasExited)
                {
                    return false;
                }

                if (limit.Elapsed > TimeSpan.FromSeconds(20))
                {
                    break;
                }

                var hit = strategy == "publish"
                    ? Directory.Exists(f.PublishDirectory) && Directory.EnumerateFiles(f.PublishDirectory).Any()
                    : !SameState(before, OutputState(f.Out));
                if (hit)
                {
                    if (offsetMs > 0)
                    {
                        Thread.Sleep(offsetMs);
                    }

                    break;
                }

                Thread.Sleep(1);
            }
        }

        if (run.HasExited)
        {
            return false;
        }

        await run.KillAsync();
        return true;
    }

    private static Dictionary<string, DateTime> OutputState(string root) =>
        Directory.Exists(root)
            ? Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories).ToDictionary(p => p, File.GetLastWriteTimeUtc, StringComparer.Ordinal)
            : [];

    private static bool SameState(Dictionary<string, DateTime> a, Dictionary<string, DateTime> b) =>
        a.Count == b.Count && a.All(kv => b.TryGetValue(kv.Key, out var t) && t == kv.Value);

    private static async Task<bool> AllDoneAsync(RunFolder f)
    {
        await using var ledger = await f.OpenLedgerAsync();
        var units = await ledger.ListUnitsAsync("spx", null, null, null, Harness.Ct);
        return units.Count == Days.Length && units.All(u => u.Status == UnitStatus.Success);
    }

    /// <summary>Checks the output tree and the ledger; returns the dates left in processing with their (dead) owners.</summary>
    private static async Task<Dictionary<DateOnly, string>> CheckInvariantsAsync(RunFolder f, Dictionary<DateOnly, string> expected, string when)
    {
        await using var ledger = await f.OpenLedgerAsync();
        var units = (await ledger.ListUnitsAsync("spx", null, null, null, Harness.Ct)).ToDictionary(u => u.TradeDate);
        var verifier = new ParquetFileVerifier();
        if (Directory.Exists(f.Out))
        {
            foreach (var file in Directory.EnumerateFiles(f.Out, "*", SearchOption.AllDirectories))
            {
                Assert.True(OutputLayout.TryParse(f.Out, file, out var dataset, out var day) && dataset == "spx",
                    $"{when}: '{file}' is not a published output file (temp or partial file in the output tree)");
                Assert.True(expected.TryGetValue(day, out var sha), $"{when}: unexpected date {day}");
                Assert.True(await Harness.Sha256Async(file) == sha, $"{when}: '{file}' differs from the reference file");
                var unit = units.GetValueOrDefault(day);
                var success = unit?.Status == UnitStatus.Success;
                var result = await verifier.VerifyAsync(file, success ? unit!.FileSha256 : null, success ? unit!.RowCount : null, deep: false, Harness.Ct);
                Assert.True(result.IsOk, $"{when}: {file}: {result.Status} {result.Message}");
            }
        }

        var stuck = new Dictionary<DateOnly, string>();
        foreach (var unit in units.Values)
        {
            if (unit.Status == UnitStatus.Success)
            {
                var path = EnginePaths.OutputFile(f.Out, "spx", unit.TradeDate);
                Assert.True(File.Exists(path), $"{when}: the ledger says {unit.TradeDate} is done but its file is missing");
                Assert.Equal(expected[unit.TradeDate], unit.FileSha256);
            }
            else if (unit.Status == UnitStatus.Processing)
            {
                Assert.True(WorkerIdentity.IsDeadLocalOwner(unit.Owner),
                    $"{when}: {unit.TradeDate} is processing under '{unit.Owner}', which a new run would not recognise as dead");
                stuck[unit.TradeDate] = unit.Owner!;
            }
        }

        return stuck;
    }
}
