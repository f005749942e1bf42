using System.Globalization;
using Backfill.Core.Calendars;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Simulators.ThetaData;
using Backfill.TestSupport;

namespace Backfill.Reliability.Tests;

/// <summary>
/// Three <c>backfill worker</c> processes, as three machines would run them, share one ledger (PostgreSQL when
/// <c>BACKFILL_TEST_PG_URL</c> reaches a server, one SQLite file otherwise; the test output says which) and one output
/// folder. One of them is SIGKILLed while it holds a date; the survivors must finish that date too.
/// </summary>
public sealed class WorkerProcessesTests
{
    [Fact]
    public async Task Three_worker_processes_do_every_date_exactly_once_even_when_one_is_killed()
    {
        using var folder = Harness.NewFolder("backfill-workers-");
        await using var team = await TeamLedger.CreateAsync(folder.Root, Harness.Ct);
        TestContext.Current.SendDiagnosticMessage(team.Describe);
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, 0, Harness.Ct);
        var dates = NyseCalendar.Instance.SessionsBetween(new DateOnly(2024, 6, 3), new DateOnly(2024, 6, 14)).ToList();
        Assert.Equal(10, dates.Count);
        string[] args =
        [
            "worker", "--from", "2024-06-03", "--to", "2024-06-14", "--lease", "3s", "--poll", "200ms", "--db", team.Location,
            "--set", $"thetadata.baseUrl={Harness.Url(sim)}",
            "--set", "processing.startDate=2024-01-02",
            "--set", $"processing.outputDirectory={folder.Out}",
            "--set", $"processing.tempDirectory={folder.Temp}",
        ];

        var workers = Enumerable.Range(0, 3).Select(_ => Harness.Start(args)).ToList();
        try
        {
            var victim = workers[2];
            var victimDate = await FirstDateHeldByAsync(team.Location, victim);
            await victim.KillAsync();

            var survivors = new List<(int Code, string Out, string Error)>();
            foreach (var worker in workers.Take(2))
            {
                survivors.Add(await worker.WaitAsync(TimeSpan.FromMinutes(3)));
            }

            Assert.All(survivors, r => Assert.True(r.Code == 0, $"exit {r.Code}: {r.Error}"));

            await using var ledger = LedgerFactory.Create(team.Location);
            var units = await ledger.ListUnitsAsync("spx", dates[0], dates[^1], null, Harness.Ct);
            Assert.Equal(dates, units.Select(u => u.TradeDate).ToList());
            foreach (var unit in units)
            {
                Assert.Equal(UnitStatus.Success, unit.Status);
                Assert.True(File.Exists(unit.FilePath), $"{unit.TradeDate}: {unit.FilePath} is missing");
                Assert.Equal(unit.FileSha256, await Harness.Sha256Async(unit.FilePath!));
            }

            var attempts = await team.ReadAttemptsAsync("spx", Harness.Ct);
            foreach (var date in dates)
            {
                Assert.Single(attempts, a => a.Date == date && a.Outcome == "success");
            }

            var victimPid = $"/{victim.Process.Id.ToString(CultureInfo.InvariantCulture)}/";
            Assert.Contains(attempts, a => a.Date == victimDate && a.Owner.Contains(victimPid, StringComparison.Ordinal) && a.Outcome != "success");
            Assert.DoesNotContain(attempts, a => a.Owner.Contains(victimPid, StringComparison.Ordinal) && a.Outcome is null);
            var winners = attempts.Where(a => a.Outcome == "success").Select(a => a.Owner).Distinct().ToList();
            Assert.True(winners.Count == 2, $"the survivors did not share the work: {string.Join(", ", winners)}");
            Assert.Empty(Directory.EnumerateFiles(folder.Out, "*.tmp*", SearchOption.AllDirectories));
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.KillAsync();
                worker.Dispose();
            }
        }
    }

    /// <summary>Waits until <paramref name="worker"/> holds a date in the shared ledger, and returns it.</summary>
    private static async Task<DateOnly> FirstDateHeldByAsync(string location, ChildRun worker)
    {
        var pid = $"/{worker.Process.Id.ToString(CultureInfo.InvariantCulture)}/";
        var deadline = DateTime.UtcNow.AddMinutes(2);
        while (DateTime.UtcNow < deadline)
        {
            if (worker.HasExited)
            {
                var (code, _, error) = await worker.WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Fail($"the worker to be killed ended (exit {code}) before it held a date: {error}");
            }

            try
            {
                await using var ledger = LedgerFactory.Create(location);
                var held = await ledger.ListUnitsAsync("spx", new DateOnly(2024, 6, 3), new DateOnly(2024, 6, 14), UnitStatus.Processing, Harness.Ct);
                if (held.FirstOrDefault(u => u.Owner?.Contains(pid, StringComparison.Ordinal) == true) is { } unit)
                {
                    return unit.TradeDate;
                }
            }
            catch (Exception e) when (e is InvalidOperationException or System.Data.Common.DbException)
            {
                // The workers are still creating the ledger; look again.
            }

            await Task.Delay(50, Harness.Ct);
        }

        throw new TimeoutException("the worker to be killed never held a date");
    }
}
