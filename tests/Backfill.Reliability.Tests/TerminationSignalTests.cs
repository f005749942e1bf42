using System.Diagnostics;
using System.Globalization;
using Backfill.Engine.Processing;
using Backfill.Ledger.Model;
using Backfill.Simulators.ThetaData;
using Microsoft.Data.Sqlite;

namespace Backfill.Reliability.Tests;

/// <summary>
/// SIGTERM (what <c>kill PID</c>, a service manager or a container stop sends) must be a clean stop like Ctrl-C:
/// the expirations in flight finish, the date is left interrupted and resumable, no output file appears, the
/// process exits 130, and the next run resumes to the byte-identical file.
/// </summary>
public sealed class TerminationSignalTests
{
    private static readonly DateOnly Day = new(2024, 6, 10);

    [Fact]
    public async Task Sigterm_stops_cleanly_leaves_the_date_resumable_and_the_resume_is_byte_identical()
    {
        var reference = await References.SpxAsync([Day]);

        // Each response waits before its first byte, so the date takes seconds and the signal lands mid-date.
        await using var sim = await ThetaDataSimulator.StartAsync(
            new ThetaDataSimulatorOptions { Scale = 0.02, FirstByteDelay = TimeSpan.FromMilliseconds(250) }, 0, Harness.Ct);
        using var f = Harness.NewFolder("rel-term-");
        var date = Day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        using (var run = Harness.Start(f.With("process", date, "--set", $"thetadata.baseUrl={Harness.Url(sim)}", "--set", "thetadata.contractListing=off")))
        {
            var watch = Stopwatch.StartNew();
            while (await CompletedSubunitsAsync(f.Db) < 1)
            {
                Assert.False(run.HasExited, "the run ended before any expiration completed");
                Assert.True(watch.Elapsed < TimeSpan.FromMinutes(2), "no expiration completed within two minutes");
                await Task.Delay(20, Harness.Ct);
            }

            using (var kill = Process.Start("kill", ["-TERM", run.Process.Id.ToString(CultureInfo.InvariantCulture)]))
            {
                await kill.WaitForExitAsync(Harness.Ct);
            }

            var (code, _, error) = await run.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.True(code == 130, $"exit {code}: {error}");
            Assert.Contains("SIGTERM", error, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(EnginePaths.OutputFile(f.Out, "spx", Day)), "a stopped date must not publish a file");
        await using (var ledger = await f.OpenLedgerAsync())
        {
            var unit = (await ledger.GetUnitAsync("spx", Day, Harness.Ct))!;
            Assert.Equal(UnitStatus.Interrupted, unit.Status);
            Assert.Null(unit.Owner);
        }

        Assert.Equal(0L, await Harness.ScalarAsync(f.Db, "SELECT COUNT(*) FROM attempt_log WHERE ended_at IS NULL;"));
        var resume = await Harness.CliAsync(null, f.With("process", date, "--set", $"thetadata.baseUrl={Harness.Url(sim)}", "--set", "thetadata.contractListing=off"));
        Assert.True(resume.Code == 0, resume.Out + resume.Error);
        Assert.Equal(reference[Day], await Harness.Sha256Async(EnginePaths.OutputFile(f.Out, "spx", Day)));
    }

    private static async Task<long> CompletedSubunitsAsync(string db)
    {
        if (!File.Exists(db))
        {
            return 0;
        }

        try
        {
            return await Harness.ScalarAsync(db, "SELECT COUNT(*) FROM subunit_progress;");
        }
        catch (SqliteException)
        {
            return 0; // not migrated yet, or busy
        }
    }
}
