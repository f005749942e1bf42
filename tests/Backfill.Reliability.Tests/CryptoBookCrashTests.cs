using Backfill.Engine.Datasets.CryptoBook;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Simulators.CryptoLake;
using Backfill.Storage.Layout;

namespace Backfill.Reliability.Tests;

/// <summary>
/// SIGKILLs <c>backfill --dataset crypto-book process-range</c> over two days read from a simulated Crypto Lake mirror,
/// at seeded moments: after a random delay, when a publish temp file appears, and inside ledger writes (a staged file's
/// sub-unit record, the claim, the completion, the metrics). After every kill the output tree holds only complete
/// files identical to a clean run's, and a date left in processing belongs to a dead process; the last run publishes
/// byte-identical files with every unit done and every attempt closed.
/// Knobs: <c>BACKFILL_RELIABILITY_CRYPTO_KILLS</c> (default 10), <c>BACKFILL_RELIABILITY_SEED</c> (default 20240610).
/// </summary>
public sealed class CryptoBookCrashTests
{
    private const string Dataset = "crypto-book";
    private static readonly DateOnly[] Days = [new(2024, 8, 7), new(2024, 8, 8)];

    private static readonly (string Point, int Max)[] LedgerPoints =
    [
        ("ledger.claim", 2), ("ledger.subunit", 6), ("ledger.complete", 2), ("ledger.metrics", 2),
    ];

    [Fact]
    public async Task Killed_crypto_book_runs_resume_to_byte_identical_files_with_no_partial_file_or_stuck_unit()
    {
        var kills = Harness.Knob("BACKFILL_RELIABILITY_CRYPTO_KILLS", 10);
        var seed = Harness.Knob("BACKFILL_RELIABILITY_SEED", 20240610);
        var random = new Random(seed);
        using var lake = Harness.NewFolder("rel-crypto-lake-");
        foreach (var day in Days)
        {
            CryptoLakeMarket.WriteDay(lake.Root, day, new CryptoLakeDayOptions { MessagesPerSecond = 1 });
        }

        using var clean = Harness.NewFolder("rel-crypto-ref-");
        using (var reference = Harness.Start(Args(clean, lake.Root)))
        {
            var r = await reference.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(r.Code == 0, r.Out + r.Error);
        }

        var expected = new Dictionary<DateOnly, string>();
        foreach (var day in Days)
        {
            expected[day] = await Harness.Sha256Async(EnginePaths.OutputFile(clean.Out, Dataset, day));
        }

        using var f = Harness.NewFolder("rel-crypto-");
        var stats = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var watch = Stopwatch.StartNew();
        var done = 0;
        for (var iteration = 0; done < kills && iteration < kills * 4; iteration++)
        {
            var roll = random.Next(100);
            var (strategy, hook) = roll switch
            {
                < 40 => ("timed", (string?)null),
                < 55 => ("publish-temp-seen", null),
                _ => LedgerHook(random),
            };
            var delayMs = strategy == "timed" ? 200 + random.Next(2500) : 0;
            var marker = Path.Combine(f.Root, $"crash-{iteration}.marker");
            var env = hook is null ? null : new Dictionary<string, string> { [CrashPoint.Variable] = hook, [CrashPoint.FileVariable] = marker };
            using var run = Harness.Start(Args(f, lake.Root), env);
            var killed = await KillWhenAsync(run, strategy, delayMs, f, marker);
            if (killed)
            {
                done++;
                stats[strategy] = stats.GetValueOrDefault(strategy) + 1;
            }
            else
            {
                var result = await run.WaitAsync(TimeSpan.FromMinutes(1));
                Assert.True(result.Code == 0, $"iteration {iteration} ({strategy}): an unkilled run failed with {result.Code}: {result.Error}");
            }

            await CheckInvariantsAsync(f, expected, $"iteration {iteration} ({strategy}, {(killed ? "killed" : "completed")}, seed {seed})");
            if (!killed || await AllDoneAsync(f))
            {
                await using var ledger = await f.OpenLedgerAsync();
                foreach (var day in Days)
                {
                    await ledger.ResetUnitAsync(Dataset, day, Harness.Ct);
                }
            }
        }

        Assert.True(done >= kills, $"only {done} kills in {kills * 4} runs");
        using (var last = Harness.Start(Args(f, lake.Root)))
        {
            var r = await last.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(r.Code == 0, r.Out + r.Error);
        }

        await CheckInvariantsAsync(f, expected, "final");
        foreach (var day in Days)
        {
            Assert.Equal(expected[day], await Harness.Sha256Async(EnginePaths.OutputFile(f.Out, Dataset, day)));
        }

        Assert.Equal(0L, await Harness.ScalarAsync(f.Db, "SELECT COUNT(*) FROM attempt_log WHERE ended_at IS NULL;"));
        Assert.Equal(0L, await Harness.ScalarAsync(f.Db, "SELECT COUNT(*) FROM processing_log WHERE status <> 'success';"));
        var verify = await Harness.CliAsync(null, [.. f.With("verify", "--deep", "--format", "json"), "--dataset", Dataset]);
        Assert.True(verify.Code == 0, verify.Out + verify.Error);
        Assert.All(JsonDocument.Parse(verify.Out).RootElement.EnumerateArray(), e => Assert.Equal("ok", e.GetProperty("status").GetString()));

        Report.Add("crypto-crash.kills", done);
        Report.Add("crypto-crash.seconds", (long)watch.Elapsed.TotalSeconds);
        TestContext.Current.SendDiagnosticMessage(
            $"crypto-book crash safety: {done} kills ({string.Join(", ", stats.Select(kv => $"{kv.Key} {kv.Value}"))}), {watch.Elapsed.TotalSeconds:F0} s, seed {seed}");
    }

    private static string[] Args(RunFolder f, string lake) =>
    [
        "process-range", "2024-08-07", "2024-08-08", "--dataset", Dataset, "--db", f.Db,
        "--set", $"cryptolake.baseUrl={lake}",
        "--set", "processing.startDate=2024-08-01",
        "--set", $"processing.outputDirectory={f.Out}",
        "--set", $"processing.tempDirectory={f.Temp}",
    ];

    private static (string Strategy, string? Hook) LedgerHook(Random random)
    {
        var (point, max) = LedgerPoints[random.Next(LedgerPoints.Length)];
        return (point, string.Create(CultureInfo.InvariantCulture, $"{point}:{1 + random.Next(max)}"));
    }

    private static async Task<bool> KillWhenAsync(ChildRun run, string strategy, int delayMs, RunFolder f, string marker)
    {
        var publish = EnginePaths.PublishDirectory(f.Temp, Dataset);
        var limit = Stopwatch.StartNew();
        while (!run.HasExited)
        {
            if (limit.Elapsed > TimeSpan.FromMinutes(2))
            {
                await run.KillAsync();
                Assert.Fail($"{strategy}: the run neither reached its kill point nor ended within two minutes");
            }

            var hit = strategy switch
            {
                "timed" => limit.ElapsedMilliseconds >= delayMs,
                "publish-temp-seen" => Directory.Exists(publish) && Directory.EnumerateFiles(publish).Any(),
                _ => File.Exists(marker),
            };
            if (hit)
            {
                if (run.HasExited)
                {
                    return false;
                }

                await run.KillAsync();
                return true;
            }

            await Task.Delay(strategy == "timed" ? 5 : 1, Harness.Ct);
        }

        return false;
    }

    private static async Task<bool> AllDoneAsync(RunFolder f)
    {
        await using var ledger = await f.OpenLedgerAsync();
        var units = await ledger.ListUnitsAsync(Dataset, null, null, null, Harness.Ct);
        return units.Count == Days.Length && units.All(u => u.Status == UnitStatus.Success);
    }

    private static async Task CheckInvariantsAsync(RunFolder f, Dictionary<DateOnly, string> expected, string when)
    {
        await using var ledger = await f.OpenLedgerAsync();
        var units = (await ledger.ListUnitsAsync(Dataset, null, null, null, Harness.Ct)).ToDictionary(u => u.TradeDate);
        if (Directory.Exists(f.Out))
        {
            foreach (var file in Directory.EnumerateFiles(f.Out, "*", SearchOption.AllDirectories))
            {
                Assert.True(CryptoBookDataset.OutputLayout.TryParsePath(f.Out, file, out var day),
                    $"{when}: '{file}' is not a published output file (temp or partial file in the output tree)");
                Assert.True(await Harness.Sha256Async(file) == expected[day], $"{when}: '{file}' differs from the clean run's file");
            }
        }

        foreach (var unit in units.Values)
        {
            if (unit.Status == UnitStatus.Success)
            {
                Assert.True(File.Exists(EnginePaths.OutputFile(f.Out, Dataset, unit.TradeDate)), $"{when}: the ledger says {unit.TradeDate} is done but its file is missing");
                Assert.Equal(expected[unit.TradeDate], unit.FileSha256);
            }
            else if (unit.Status == UnitStatus.Processing)
            {
                Assert.True(WorkerIdentity.IsDeadLocalOwner(unit.Owner), $"{when}: {unit.TradeDate} is processing under '{unit.Owner}', which a new run would not recognise as dead");
            }
        }
    }
}
