using Backfill.Engine.Datasets.Spx;
using Backfill.Core.Calendars;
using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Simulators.ThetaData;
using Backfill.Sources.ThetaData;
using Backfill.TestSupport;

namespace Backfill.Engine.Tests.Processing;

/// <summary>
/// Three workers share one ledger and one output folder over one range, as three machines would: on the PostgreSQL
/// server of <c>BACKFILL_TEST_PG_URL</c> when one is reachable, on one SQLite file otherwise (the output says which).
/// </summary>
public sealed class TeamWorkerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Three_workers_do_every_date_exactly_once_and_resume_a_dead_workers_date()
    {
        var folder = Directory.CreateTempSubdirectory("backfill-team-").FullName;
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, 0, Ct);
        var team = await TeamLedger.CreateAsync(folder, Ct);
        var location = team.Location;
        TestContext.Current.SendDiagnosticMessage(team.Describe);
        try
        {
            var dates = NyseCalendar.Instance.SessionsBetween(new DateOnly(2024, 6, 3), new DateOnly(2024, 6, 12)).ToList();
            Assert.Equal(8, dates.Count);
            await using (var setup = LedgerFactory.Create(location))
            {
                await setup.MigrateAsync(Ct);
                // A worker that claimed the first date and died: its short lease must expire and its date be resumed.
                Assert.NotNull(await setup.TryClaimUnitAsync("spx", dates[0], "dead-host/1/1/dead", TimeSpan.FromSeconds(1), false, Ct));
            }

            var options = new ProcessingOptions
            {
                Dataset = "spx",
                OutputDirectory = Path.Combine(folder, "out"),
                TempDirectory = Path.Combine(folder, "temp"),
                Retry = EngineFixture.FastRetry,
                Lease = TimeSpan.FromSeconds(20),
            };

            async Task<IReadOnlyList<UnitOutcome>> Worker(string owner)
            {
                await using var ledger = LedgerFactory.Create(location);
                var source = ThetaDataClientFactory.Create(new ThetaDataClientOptions
                {
                    BaseAddress = sim.BaseAddress,
                    MaxConcurrentRequests = 2,
                    RequestTimeout = TimeSpan.FromSeconds(20),
                    Retry = EngineFixture.FastRetry,
                });
                try
                {
                    var processor = UnitLifecycle.For(ledger, new SpxDayProducer(source, EngineFixture.Spx, options), options, owner: owner);
                    var worker = new UnitWorker(ledger, processor, "spx", owner) { PollInterval = TimeSpan.FromMilliseconds(250) };
                    return await worker.RunAsync(dates, null, CancellationToken.None, Ct);
                }
                finally
                {
                    (source as IDisposable)?.Dispose();
                }
            }

            var results = await Task.WhenAll(Task.Run(() => Worker("w1"), Ct), Task.Run(() => Worker("w2"), Ct), Task.Run(() => Worker("w3"), Ct));

            var successes = results.SelectMany(r => r).Where(o => o.Kind == UnitOutcomeKind.Success).Select(o => o.Date).ToList();
            var report = string.Join("; ", results.SelectMany(r => r).Select(o => $"{o.Date:yyyy-MM-dd} {o.Kind} {o.Message}"));
            Assert.True(dates.SequenceEqual(successes.Order()), report);
            await using var check = LedgerFactory.Create(location);
            var units = await check.ListUnitsAsync("spx", dates[0], dates[^1], null, Ct);
            Assert.All(units, u => Assert.Equal(UnitStatus.Success, u.Status));
            Assert.Equal(dates, units.Select(u => u.TradeDate).ToList());
            foreach (var unit in units)
            {
                Assert.True(File.Exists(unit.FilePath), $"{unit.TradeDate}: {unit.FilePath} is missing");
            }

            var attempts = await team.ReadAttemptsAsync("spx", Ct);
            foreach (var date in dates.Skip(1))
            {
                var one = Assert.Single(attempts, a => a.Date == date);
                Assert.Equal("success", one.Outcome);
            }

            var resumed = attempts.Where(a => a.Date == dates[0]).OrderBy(a => a.Number).ToList();
            Assert.Equal([("dead-host/1/1/dead", "interrupted"), (resumed[1].Owner, "success")], resumed.Select(a => (a.Owner, a.Outcome)).ToList());
            Assert.StartsWith("w", resumed[1].Owner, StringComparison.Ordinal);
            Assert.True(results.Count(r => r.Any(o => o.Kind == UnitOutcomeKind.Success)) >= 2, "the work was not shared between the workers");
        }
        finally
        {
            await team.DisposeAsync();
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task One_worker_works_max_concurrent_dates_at_once_and_each_date_once()
    {
        var folder = Directory.CreateTempSubdirectory("backfill-lanes-").FullName;
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, 0, Ct);
        try
        {
            var dates = NyseCalendar.Instance.SessionsBetween(new DateOnly(2024, 6, 3), new DateOnly(2024, 6, 10)).ToList();
            await using var ledger = LedgerFactory.Create(Path.Combine(folder, "backfill.db"));
            await ledger.MigrateAsync(Ct);
            using var source = (IDisposable)ThetaDataClientFactory.Create(new ThetaDataClientOptions
            {
                BaseAddress = sim.BaseAddress,
                MaxConcurrentRequests = 4,
                RequestTimeout = TimeSpan.FromSeconds(20),
                Retry = EngineFixture.FastRetry,
            });
            var options = new ProcessingOptions
            {
                Dataset = "spx",
                OutputDirectory = Path.Combine(folder, "out"),
                TempDirectory = Path.Combine(folder, "temp"),
                Retry = EngineFixture.FastRetry,
            };
            var processor = UnitLifecycle.For(ledger, new SpxDayProducer((Backfill.Sources.ThetaData.Greeks.IOptionGreeksSource)source, new SpxOptions(), options), options, owner: "lanes");
            var observer = new LaneObserver(3);
            var outcomes = await new UnitWorker(ledger, processor, "spx", "lanes") { MaxConcurrentDates = 3 }
                .RunAsync(dates, observer, CancellationToken.None, Ct);

            Assert.Equal(3, observer.MaxRunning);
            Assert.Equal(dates, outcomes.Where(o => o.Kind == UnitOutcomeKind.Success).Select(o => o.Date).ToList());
            Assert.Equal(dates.Count, observer.Started);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Counts dates in flight; the first <c>lanes</c> starts wait (bounded) for each other, so lanes that do not run at once show.</summary>
    private sealed class LaneObserver(int lanes) : IProcessingObserver
    {
        private readonly CountdownEvent _first = new(lanes);
        private int _running;
        private int _max;
        private int _started;

        public int MaxRunning => _max;

        public int Started => _started;

        public void UnitStarted(UnitProgress progress)
        {
            var running = Interlocked.Increment(ref _running);
            Interlocked.Increment(ref _started);
            int seen;
            while (running > (seen = _max) && Interlocked.CompareExchange(ref _max, running, seen) != seen)
            {
            }

            if (!_first.IsSet && _first.Signal() is false)
            {
                _first.Wait(TimeSpan.FromSeconds(10));
            }
        }

        public void UnitFinished(UnitProgress progress, UnitOutcome outcome) => Interlocked.Decrement(ref _running);
    }
}
