using Backfill.Engine.Datasets.CryptoBook;
using Backfill.Engine.Datasets.Fop;
using Backfill.Engine.Datasets.Ohlcv;
using Backfill.Engine.Datasets.Spx;
using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.TestSupport;

namespace Backfill.Engine.Tests.Lifecycle;

/// <summary>
/// The lifecycle every dataset gets from the engine, tried on each of the four shipped datasets with its real producer,
/// vendor client and simulator: a lease is renewed while a date runs longer than it, and durations come from the
/// injected clock.
/// </summary>
public sealed class UnitLifecycleTests
{
    public static TheoryData<string, string> DatasetsAndLedgers { get; } = new()
    {
        { SpxDataset.DatasetName, "sqlite" }, { SpxDataset.DatasetName, "postgres" },
        { FopDataset.DatasetName, "sqlite" }, { FopDataset.DatasetName, "postgres" },
        { OhlcvDataset.DatasetName, "sqlite" }, { OhlcvDataset.DatasetName, "postgres" },
        { CryptoBookDataset.DatasetName, "sqlite" }, { CryptoBookDataset.DatasetName, "postgres" },
    };

    public static TheoryData<string> Datasets { get; } =
        [SpxDataset.DatasetName, FopDataset.DatasetName, OhlcvDataset.DatasetName, CryptoBookDataset.DatasetName];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Two workers on two hosts share one ledger; the date takes over three leases (a 4 s lease, about 13 s of work; long
    /// enough that a loaded machine's scheduling pauses do not let it lapse between renewals). The holder renews its
    /// lease every third of it, so the other worker waits: the date is done once, in one attempt.
    /// </summary>
    [Theory]
    [MemberData(nameof(DatasetsAndLedgers))]
    public async Task A_date_that_outlives_its_lease_is_never_taken_over_and_is_done_exactly_once(string dataset, string ledgerKind)
    {
        var folder = Directory.CreateTempSubdirectory("backfill-lease-").FullName;
        var location = Path.Combine(folder, "backfill.db");
        TeamLedger? team = null;
        if (ledgerKind == "postgres")
        {
            team = await TeamLedger.CreateAsync(folder, Ct);
            if (!team.IsPostgres)
            {
                await team.DisposeAsync();
                Assert.Skip($"PostgreSQL case skipped: {team.Describe}.");
            }

            location = team.Location;
        }

        try
        {
            await using var rig = await DatasetRig.StartAsync(dataset, folder, Ct);
            await using (var setup = LedgerFactory.Create(location))
            {
                await setup.MigrateAsync(Ct);
            }

            var options = new ProcessingOptions
            {
                Dataset = dataset,
                OutputDirectory = Path.Combine(folder, "out"),
                TempDirectory = Path.Combine(folder, "temp"),
                Retry = DatasetRig.FastRetry,
                Lease = TimeSpan.FromSeconds(4),
            };

            async Task<IReadOnlyList<UnitOutcome>> Worker(string owner, TimeSpan delay)
            {
                await using var ledger = LedgerFactory.Create(location);
                await using var producer = rig.Producer(options, delay);
                var worker = new UnitWorker(ledger, UnitLifecycle.For(ledger, producer, options, owner: owner), dataset, owner)
                {
                    PollInterval = TimeSpan.FromMilliseconds(200),
                };
                return await worker.RunAsync([rig.Day], null, CancellationToken.None, Ct);
            }

            // The first worker claims the date at once; the second starts while it works and must only wait.
            var first = Worker("host-a/101/1/lease-test", TimeSpan.FromSeconds(13));
            await using (var watch = LedgerFactory.Create(location))
            {
                // Wait until the first holds the date (a loaded machine may take long to start it), then start the second.
                while ((await watch.GetUnitAsync(dataset, rig.Day, Ct))?.Owner != "host-a/101/1/lease-test")
                {
                    Assert.False(first.IsCompleted, "the first worker ended before it claimed the date");
                    await Task.Delay(TimeSpan.FromMilliseconds(50), Ct);
                }
            }

            var second = Worker("host-b/202/2/lease-test", TimeSpan.Zero);
            var byWorker = await Task.WhenAll(first, second);
            var outcomes = byWorker.SelectMany(o => o).ToList();

            var done = Assert.Single(byWorker[0], o => o.Kind == UnitOutcomeKind.Success);
            Assert.DoesNotContain(byWorker[1], o => o.Kind == UnitOutcomeKind.Success);
            Assert.DoesNotContain(outcomes, o => o.Kind is UnitOutcomeKind.Failed or UnitOutcomeKind.Interrupted);
            Assert.True(done.Duration > TimeSpan.FromSeconds(12), $"the date took {done.Duration}, not longer than three leases");
            await using var check = LedgerFactory.Create(location);
            var unit = await check.GetUnitAsync(dataset, rig.Day, Ct);
            Assert.Equal(UnitStatus.Success, unit!.Status);
            Assert.Equal(1, unit.AttemptCount);
            Assert.True(File.Exists(unit.FilePath));
            if (team is not null)
            {
                var attempts = await team.ReadAttemptsAsync(dataset, Ct);
                Assert.Single(attempts);
            }
        }
        finally
        {
            if (team is not null)
            {
                await team.DisposeAsync();
            }

            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>The clock moves 90 s while the date is fetched, and no time passes on it otherwise: the ledger, the metric and the outcome say 90 s.</summary>
    [Theory]
    [MemberData(nameof(Datasets))]
    public async Task Durations_come_from_the_injected_clock(string dataset)
    {
        var folder = Directory.CreateTempSubdirectory("backfill-clock-").FullName;
        try
        {
            await using var rig = await DatasetRig.StartAsync(dataset, folder, Ct);
            await using var ledger = LedgerFactory.Create(Path.Combine(folder, "backfill.db"));
            await ledger.MigrateAsync(Ct);
            var clock = new ManualClock(new DateTimeOffset(2031, 3, 4, 5, 6, 7, TimeSpan.Zero));
            var options = new ProcessingOptions
            {
                Dataset = dataset, OutputDirectory = Path.Combine(folder, "out"), TempDirectory = Path.Combine(folder, "temp"), Retry = DatasetRig.FastRetry,
            };
            await using var producer = rig.Producer(options, TimeSpan.Zero, () => clock.Advance(TimeSpan.FromSeconds(90)));

            var outcome = await UnitLifecycle.For(ledger, producer, options, clock).ProcessAsync(rig.Day, new UnitProgress(rig.Day), CancellationToken.None, Ct);

            Assert.True(outcome.Kind == UnitOutcomeKind.Success, outcome.Message);
            Assert.Equal(TimeSpan.FromSeconds(90), outcome.Duration);
            Assert.Equal(90_000, (await ledger.GetUnitAsync(dataset, rig.Day, Ct))!.DurationMs);
            var metric = Assert.Single(await ledger.ListMetricsAsync(dataset, rig.Day, Ct), m => m.Name == "duration_ms");
            Assert.Equal(90_000, metric.Value);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>A clock that only moves when told to; timers still run on real time (lease renewal).</summary>
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        private long _ticks = start.UtcTicks;

        public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

        public override long GetTimestamp() => Interlocked.Read(ref _ticks);

        public override long TimestampFrequency => TimeSpan.TicksPerSecond;

        public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
    }
}
