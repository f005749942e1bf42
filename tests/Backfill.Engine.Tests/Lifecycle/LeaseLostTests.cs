using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Microsoft.Data.Sqlite;

namespace Backfill.Engine.Tests.Lifecycle;

/// <summary>
/// A worker whose lease lapsed (a paused process, a slow ledger) and whose date another worker took over stops its
/// attempt at the next renewal and says so: it neither fails the date that is no longer its own nor reports whatever
/// error its interrupted work ran into (the new holder cleans up the old holder's publish leftovers).
/// </summary>
public sealed class LeaseLostTests
{
    private static readonly DateOnly Date = new(2024, 6, 12);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_worker_whose_date_was_taken_over_stops_and_leaves_the_date_to_the_new_holder(bool producerHonoursAbort)
    {
        var folder = Directory.CreateTempSubdirectory("backfill-lease-lost-").FullName;
        try
        {
            var location = Path.Combine(folder, "backfill.db");
            await using var ledger = LedgerFactory.Create(location);
            await ledger.MigrateAsync(Ct);
            var producer = new StallingProducer(producerHonoursAbort);
            var options = new ProcessingOptions
            {
                Dataset = "tiny",
                OutputDirectory = Path.Combine(folder, "out"),
                TempDirectory = Path.Combine(folder, "temp"),
                Lease = TimeSpan.FromMilliseconds(600),
            };
            var lifecycle = UnitLifecycle.For(ledger, producer, options, owner: "host-a:100");
            var run = lifecycle.ProcessAsync(Date, new UnitProgress(Date), CancellationToken.None, CancellationToken.None);
            await producer.Started.Task.WaitAsync(TimeSpan.FromSeconds(30), Ct);

            // What a second worker's claim does once the first one's lease has lapsed.
            await using (var connection = new SqliteConnection($"Data Source={location};Pooling=False"))
            {
                await connection.OpenAsync(Ct);
                await using var steal = connection.CreateCommand();
                steal.CommandText = "UPDATE processing_log SET owner = 'host-b:200', attempt_count = attempt_count + 1 WHERE dataset = 'tiny' AND trade_date = '2024-06-12';";
                Assert.Equal(1, await steal.ExecuteNonQueryAsync(Ct));
            }

            if (!producerHonoursAbort)
            {
                producer.FailNow.TrySetResult();
            }

            var outcome = await run.WaitAsync(TimeSpan.FromSeconds(30), Ct);
            Assert.Equal(UnitOutcomeKind.Skipped, outcome.Kind);
            Assert.StartsWith("lease lost: this worker's 0.6 s lease lapsed", outcome.Message, StringComparison.Ordinal);
            Assert.Contains("host-b:200 took the date over", outcome.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("FileNotFound", outcome.Message, StringComparison.Ordinal);
            Assert.Equal(producerHonoursAbort, producer.SawAbort);

            // The new holder's row is untouched: still processing, still its own, no failure or error recorded by the old holder.
            var row = await ledger.GetUnitAsync("tiny", Date, Ct);
            Assert.NotNull(row);
            Assert.Equal((UnitStatus.Processing, "host-b:200", (string?)null), (row.Status, row.Owner, row.LastErrorType));
            Assert.Empty(await ledger.ListErrorsAsync("tiny", null, 10, Ct));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>Works until aborted, or (ignoring the abort, as a publish in progress does) fails the way a lost publish does.</summary>
    private sealed class StallingProducer(bool honoursAbort) : IUnitProducer
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource FailNow { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool SawAbort { get; private set; }

        public long RequestsSent => 0;

        public async Task<UnitProduct> ProduceAsync(UnitContext unit, CancellationToken stop, CancellationToken abort)
        {
            Started.TrySetResult();
            if (honoursAbort)
            {
                try
                {
                    await Task.Delay(Timeout.InfiniteTimeSpan, abort);
                }
                catch (OperationCanceledException)
                {
                    SawAbort = true;
                    throw;
                }
            }

            // The failure may come before or after a renewal notices the takeover; the outcome must be the same.
            await FailNow.Task;
            throw new FileNotFoundException("Could not find file '.tiny-2024-06-12.parquet.tmp'.");
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
