using Backfill.Core.Errors;
using Backfill.Simulators.CryptoLake;
using Backfill.Sources.CryptoLake.Book;
using Backfill.Sources.CryptoLake.Lake;

namespace Backfill.Sources.CryptoLake.Tests;

/// <summary>The store and the rebuild against the simulator over real loopback HTTP and a local mirror.</summary>
public sealed class SimulatedLakeTests
{
    private static readonly DateOnly Date = new(2024, 8, 8);

    private static async Task<(BookQuality Quality, LakeReadStats Stats)> RebuildAsync(LakeStore store, string scratch)
    {
        var stats = new LakeReadStats();
        var rebuilder = new LakeBookRebuilder(CryptoLakeMarket.Tick, CryptoLakeMarket.Lot);
        var deltaPartition = LakePartition.Create(LakeTable.BookDeltaV2, "BINANCE", "BTC-USDT", Date);
        var bookPartition = LakePartition.Create(LakeTable.Book, "BINANCE", "BTC-USDT", Date);
        using var deltas = await store.FetchAsync(deltaPartition, (await store.ListAsync(deltaPartition, default)).Single(), scratch, default);
        using var book = await store.FetchAsync(bookPartition, (await store.ListAsync(bookPartition, default)).Single(), scratch, default);
        using var snapshots = LakeFileReader.ReadSnapshots(book.Path, stats).GetEnumerator();
        var pending = snapshots.MoveNext() ? snapshots.Current : null;
        foreach (var message in MessageGrouper.Group(LakeFileReader.ReadDeltas(deltas.Path, stats)))
        {
            while (pending is not null && pending.SequenceNumber < message.Span[0].SequenceNumber)
            {
                rebuilder.ApplySnapshot(pending);
                pending = snapshots.MoveNext() ? snapshots.Current : null;
            }

            rebuilder.ApplyMessage(message.Span);
        }

        while (pending is not null)
        {
            rebuilder.ApplySnapshot(pending);
            pending = snapshots.MoveNext() ? snapshots.Current : null;
        }

        return (rebuilder.Quality, stats);
    }

    [Fact]
    public async Task A_clean_simulated_day_rebuilds_with_no_gap_over_http()
    {
        await using var sim = await CryptoLakeSimulator.StartAsync(new CryptoLakeDayOptions { MessagesPerSecond = 0.2 }, cancellationToken: TestContext.Current.CancellationToken);
        using var store = LakeStore.Open(sim.BaseAddress.ToString());
        var scratch = Directory.CreateTempSubdirectory().FullName;
        var (quality, stats) = await RebuildAsync(store, scratch);
        var day = sim.Day(Date);
        Assert.Equal(day.Messages, quality.Messages);
        Assert.Equal(day.Snapshots, quality.Snapshots);
        Assert.True(quality.Snapshots > 1400);
        Assert.Equal(0, quality.Gaps);
        Assert.Equal(0, quality.LevelMismatches);
        Assert.Equal(0, quality.CrossedMessages);
        Assert.Equal(0, quality.PrecisionLoss);
        Assert.Equal(0, stats.Rejected);
        Assert.Empty(Directory.GetFiles(scratch));
    }

    [Fact]
    public async Task A_dropped_message_and_malformed_rows_are_found_in_a_local_mirror()
    {
        var mirror = Directory.CreateTempSubdirectory().FullName;
        var day = CryptoLakeMarket.WriteDay(mirror, Date, new CryptoLakeDayOptions
        {
            MessagesPerSecond = 0.2,
            DataFaults = new HashSet<CryptoLakeFaultKind> { CryptoLakeFaultKind.SequenceGap, CryptoLakeFaultKind.MalformedRows },
        });
        using var store = LakeStore.Open(mirror);
        var (quality, stats) = await RebuildAsync(store, mirror);
        Assert.NotNull(day.DroppedSequence);
        Assert.Equal(day.MalformedRows, stats.Rejected);
        Assert.True(quality.Gaps >= 1, "the missing message must show at the next snapshot");
        Assert.Equal(quality.Gaps, quality.GapsHealed);
        Assert.NotNull(stats.FirstRejection);
    }

    [Fact]
    public async Task A_truncated_body_is_retried_and_a_missing_day_is_no_data()
    {
        await using var sim = await CryptoLakeSimulator.StartAsync(new CryptoLakeDayOptions { MessagesPerSecond = 0.05 },
            new CryptoLakeFaultOptions { Probability = 0.5, Kinds = [CryptoLakeFaultKind.TruncatedBody], Seed = 3 }, cancellationToken: TestContext.Current.CancellationToken);
        using var store = LakeStore.Open(sim.BaseAddress.ToString(), retry: RetryPolicyTable.Default.WithDelayScale(0.001));
        var scratch = Directory.CreateTempSubdirectory().FullName;
        var (quality, _) = await RebuildAsync(store, scratch);
        Assert.Equal(0, quality.Gaps);
        Assert.True(sim.Stats.Faults > 0 && store.Retries > 0);
        var missing = LakePartition.Create(LakeTable.Trades, "BINANCE", "ETH-USDT", Date);
        await Assert.ThrowsAsync<NoDataException>(() => store.ListAsync(missing, TestContext.Current.CancellationToken));
    }
}
