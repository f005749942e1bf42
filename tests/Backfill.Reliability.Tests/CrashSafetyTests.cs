using Backfill.Engine.Datasets.Spx;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Simulators.ThetaData;
using Backfill.Storage.Layout;
using Backfill.Storage.Verification;

namespace Backfill.Reliability.Tests;

/// <summary>
/// SIGKILLs <c>backfill process-range</c> (a child process) at seeded random moments: after a random delay, when a
/// publish temp file or a new output file appears, and exactly inside the dangerous windows through the engine's
/// crash points (<see cref="CrashPoint"/>): before and after the atomic rename of an output file and inside each kind
/// of ledger write transaction. After every kill: every file in the output tree is complete, verifies and is the
/// reference file; the ledger's success rows match the files; a date left in processing belongs to a dead process a
/// new run takes over at once. Then one run finishes and everything is byte-identical to a clean run.
/// Knobs: <c>BACKFILL_RELIABILITY_KILLS</c> (default 50), <c>BACKFILL_RELIABILITY_SEED</c> (default 20240610).
/// </summary>
public sealed class CrashSafetyTests
{
    private static readonly DateOnly[] Days = [.. Harness.Dates.Select(d => DateOnly.ParseExact(d, "yyyy-MM-dd", CultureInfo.InvariantCulture))];

    /// <summary>Ledger writes a kill may land in (before their commit), with how many of them a run makes at most.</summary>
    private static readonly (string Point, int Max)[] LedgerPoints =
    [
        ("ledger.migrate", 1), ("ledger.recover", 1), ("ledger.claim", 3), ("ledger.progress", 6), ("ledger.subunit", 30),
        ("ledger.complete", 3), ("ledger.metrics", 3), ("ledger.end", 2),
    ];

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
        var stats = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var completions = 0;
        var takeovers = 0;
        var rounds = 0;
        var watch = Stopwatch.StartNew();
        Dictionary<DateOnly, string> stuckBefore = [];
        var done = 0;
        for (var iteration = 0; done < kills && iteration < kills * 4; iteration++)
        {
            // Random moments (timed, or when a publish temp file or a new output file shows up), and the
            // dangerous windows hit exactly through the engine's crash points.
            var roll = random.Next(100);
            var (strategy, hook) = roll switch
            {
                < 30 => ("timed", (string?)null),
                < 40 => ("publish-temp-seen", null),
                < 48 => ("output-changed", null),
                < 62 => ("publish.before-rename", "publish.before-rename"),
                < 72 => ("publish.after-rename", "publish.after-rename"),
                _ => LedgerHook(random),
            };
            var delayMs = strategy == "timed" ? 300 + random.Next(2700) : 0;
            var before = OutputState(f.Out);
            var marker = Path.Combine(f.Root, $"crash-{iteration}.marker");
            var env = hook is null
                ? null
                : new Dictionary<string, string> { [CrashPoint.Variable] = hook, [CrashPoint.FileVariable] = marker };
            using var run = Harness.Start(f.ProcessRange(sim.BaseAddress), env);
            var killed = await KillWhenAsync(run, strategy, delayMs, f, before, marker);
            if (killed)
            {
                done++;
                var family = strategy.StartsWith("ledger.", StringComparison.Ordinal) ? "ledger-write" : strategy;
                stats[family] = stats.GetValueOrDefault(family) + 1;
            }
            else
            {
                var result = await run.WaitAsync(TimeSpan.FromMinutes(1));
                Assert.True(result.Code == 0, $"iteration {iteration} ({strategy}): an unkilled run failed with {result.Code}: {result.Error}");
                completions++;
            }

            var when = $"iteration {iteration} ({strategy}, {(killed ? "killed" : "completed")}, seed {seed})";
            var stuck = await CheckInvariantsAsync(f, expected, when);
            foreach (var (day, owner) in stuckBefore)
            {
                // A date a killed run held must not stay with that dead owner once a later run got to it.
                if (!stuck.TryGetValue(day, out var now) || now != owner)
                {
                    takeovers++;
                }
            }

            stuckBefore = stuck;
            if (!killed || await AllDoneAsync(f))
            {
                // A new round over the same output tree: every file is written again and renamed over its old self.
                await using var ledger = await f.OpenLedgerAsync();
                foreach (var day in Days)
                {
                    await ledger.ResetUnitAsync("spx", day, Harness.Ct);
                }

                rounds++;
            }
        }

        Assert.True(done >= kills, $"only {done} kills in {kills * 4} runs");

        // Finish: one run to completion, then nothing is processing, no attempt is left open and every file is the reference file.
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
        Assert.Equal(0L, await Harness.ScalarAsync(f.Db, "SELECT COUNT(*) FROM attempt_log WHERE ended_at IS NULL;"));
        Assert.Equal(0L, await Harness.ScalarAsync(f.Db, "SELECT COUNT(*) FROM processing_log WHERE status <> 'success';"));

        // A killed publish leaves its temp file; the next attempt of that date removes it, and cleanup removes the rest.
        var leftovers = Directory.Exists(f.PublishDirectory) ? Directory.GetFiles(f.PublishDirectory) : [];
        Assert.True(leftovers.Length <= Days.Length, $"publish temp files pile up: {string.Join(", ", leftovers)}");
        var cleanup = await Harness.CliAsync(null, f.With("cleanup", "--temp-files"));
        Assert.True(cleanup.Code == 0, cleanup.Out + cleanup.Error);
        Assert.Empty(Directory.Exists(f.PublishDirectory) ? Directory.GetFiles(f.PublishDirectory) : []);
        var verify = await Harness.CliAsync(null, f.With("verify", "--deep"));
        Assert.True(verify.Code == 0, verify.Out + verify.Error);

        Report.Add("crash.kills", done);
        foreach (var (family, n) in stats)
        {
            Report.Add($"crash.kills.{family}", n);
        }

        Report.Add("crash.runs-completed-unkilled", completions);
        Report.Add("crash.dead-owner-takeovers", takeovers);
        Report.Add("crash.rounds", rounds);
        Report.Add("crash.publish-temps-left-before-cleanup", leftovers.Length);
        Report.Add("crash.files-differing-from-reference", 0);
        Report.Add("crash.seconds", (long)watch.Elapsed.TotalSeconds);
        TestContext.Current.SendDiagnosticMessage(
            $"crash safety: {done} kills ({string.Join(", ", stats.Select(kv => $"{kv.Key} {kv.Value}"))}), " +
            $"{completions} unkilled completions, {takeovers} dead-owner takeovers, {rounds} rounds, {watch.Elapsed.TotalSeconds:F0} s, seed {seed}");
    }

    /// <summary>
    /// A run killed in the middle of a date leaves it in processing; the next run, even for another date, marks it
    /// interrupted as it starts (no stale lease to wait for), and a later run resumes it from its staged expirations.
    /// </summary>
    [Fact]
    public async Task A_date_a_killed_run_held_is_not_left_in_processing_once_any_next_run_starts()
    {
        var reference = await References.SpxAsync(Days);
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, 0, Harness.Ct);
        using var f = Harness.NewFolder("rel-stuck-");
        var marker = Path.Combine(f.Root, "crash.marker");
        using (var run = Harness.Start(f.With("process", "2024-06-10", "--set", $"thetadata.baseUrl={Harness.Url(sim)}"),
                   new Dictionary<string, string> { [CrashPoint.Variable] = "ledger.subunit:3", [CrashPoint.FileVariable] = marker }))
        {
            Assert.True(await KillWhenAsync(run, "ledger.subunit", 0, f, [], marker), "the run ended before its crash point");
        }

        await using (var ledger = await f.OpenLedgerAsync())
        {
            var held = (await ledger.GetUnitAsync("spx", Days[0], Harness.Ct))!;
            Assert.Equal(UnitStatus.Processing, held.Status);
            Assert.True(WorkerIdentity.IsDeadLocalOwner(held.Owner));
        }

        var other = await Harness.CliAsync(null, f.With("process", "2024-06-12", "--set", $"thetadata.baseUrl={Harness.Url(sim)}"));
        Assert.True(other.Code == 0, other.Out + other.Error);
        Assert.Contains("2024-06-10", other.Error, StringComparison.Ordinal);
        await using (var ledger = await f.OpenLedgerAsync())
        {
            var unit = (await ledger.GetUnitAsync("spx", Days[0], Harness.Ct))!;
            Assert.Equal(UnitStatus.Interrupted, unit.Status);
            Assert.Null(unit.Owner);
        }

        Assert.Equal(0L, await Harness.ScalarAsync(f.Db, "SELECT COUNT(*) FROM attempt_log WHERE ended_at IS NULL;"));
        var resume = await Harness.CliAsync(null, f.With("process", "2024-06-10", "--set", $"thetadata.baseUrl={Harness.Url(sim)}", "--format", "json"));
        Assert.True(resume.Code == 0, resume.Out + resume.Error);
        var row = JsonDocument.Parse(resume.Out).RootElement.EnumerateArray().Single();
        Assert.True(row.GetProperty("resumed").GetInt32() >= 2, resume.Out);
        Assert.Equal(reference[Days[0]], await Harness.Sha256Async(EnginePaths.OutputFile(f.Out, "spx", Days[0])));
    }

    private static (string Strategy, string? Hook) LedgerHook(Random random)
    {
        var (point, max) = LedgerPoints[random.Next(LedgerPoints.Length)];
        var n = 1 + random.Next(max);
        var hook = string.Create(CultureInfo.InvariantCulture, $"{point}:{n}");
        return (point, hook);
    }

    /// <summary>Waits for the strategy's moment and SIGKILLs; false when the run finished first.</summary>
    private static async Task<bool> KillWhenAsync(ChildRun run, string strategy, int delayMs, RunFolder f, Dictionary<string, DateTime> before, string marker)
    {
        var limit = Stopwatch.StartNew();
        while (true)
        {
            if (run.HasExited)
            {
                return false;
            }

            if (limit.Elapsed > TimeSpan.FromMinutes(2))
            {
                await run.KillAsync();
                Assert.Fail($"{strategy}: the run neither reached its kill point nor ended within two minutes");
            }

            var hit = strategy switch
            {
                "timed" => limit.ElapsedMilliseconds >= delayMs,
                "publish-temp-seen" => Directory.Exists(f.PublishDirectory) && Directory.EnumerateFiles(f.PublishDirectory).Any(),
                "output-changed" => !SameState(before, OutputState(f.Out)),
                _ => File.Exists(marker),
            };
            if (hit)
            {
                break;
            }

            await Task.Delay(strategy == "timed" ? 5 : 1, Harness.Ct);
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
                Assert.True(SpxDataset.OutputLayout.TryParsePath(f.Out, file, out var day),
                    $"{when}: '{file}' is not a published output file (temp or partial file in the output tree)");
                Assert.True(expected.TryGetValue(day, out var sha), $"{when}: unexpected date {day}");
                Assert.True(await Harness.Sha256Async(file) == sha, $"{when}: '{file}' differs from the reference file");
                var unit = units.GetValueOrDefault(day);
                var success = unit?.Status == UnitStatus.Success;
                var result = await verifier.VerifyAsync(file, success ? unit!.FileSha256 : null, success ? unit!.RowCount : null, cancellationToken: Harness.Ct);
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
