using Backfill.Sources.CryptoLake.Book;
using Backfill.Sources.CryptoLake.Lake;

namespace Backfill.Sources.CryptoLake.Tests;

public sealed class LakeBookRebuilderTests
{
    private static readonly DecimalGrid Tick = new(0.01m);
    private static readonly DecimalGrid Lot = new(0.00001m);

    private static LakeSnapshot Snapshot(long seq, (double P, double S)[] bids, (double P, double S)[] asks) =>
        new(seq, seq * 1000, seq * 1000 + 5_000, bids.Select(b => b.P).ToArray(), bids.Select(b => b.S).ToArray(), asks.Select(a => a.P).ToArray(), asks.Select(a => a.S).ToArray());

    private static LakeDelta Row(long seq, bool bid, double price, double size) => new(seq, seq * 1000, seq * 1000 + 2_000, bid, price, size);

    private static LakeBookRebuilder Seeded()
    {
        var r = new LakeBookRebuilder(Tick, Lot);
        r.ApplySnapshot(Snapshot(100, [(100.00, 1), (99.99, 2), (99.98, 3)], [(100.01, 1), (100.02, 2), (100.03, 3)]));
        return r;
    }

    [Fact]
    public void Message_grouping_puts_rows_sharing_a_sequence_number_in_one_message()
    {
        LakeDelta[] rows = [Row(5, true, 1, 1), Row(5, false, 2, 1), Row(9, true, 1, 0), Row(30, true, 1, 2), Row(30, true, 1.01, 2), Row(30, false, 2, 0)];
        var sizes = MessageGrouper.Group(rows).Select(m => (m.Span[0].SequenceNumber, m.Length)).ToList();
        Assert.Equal([(5L, 2), (9L, 1), (30L, 3)], sizes);
    }

    [Fact]
    public void Jumping_sequence_numbers_are_not_gaps_without_U()
    {
        // Binance's u steps by ~19 between messages: a "+1" test would flag almost every boundary.
        var r = Seeded();
        Assert.Equal(MessageOutcome.Applied, r.ApplyMessage([Row(119, true, 100.00, 5)]));
        Assert.Equal(MessageOutcome.Applied, r.ApplyMessage([Row(1585, false, 100.01, 4)]));
        var outcome = r.ApplySnapshot(Snapshot(1585, [(100.00, 5), (99.99, 2), (99.98, 3)], [(100.01, 4), (100.02, 2), (100.03, 3)]));
        Assert.True(outcome.Compared);
        Assert.Equal(0, outcome.Mismatches);
        Assert.Equal(0, r.Quality.Gaps);
    }

    [Fact]
    public void A_missing_message_is_found_at_the_next_snapshot_and_healed_by_it()
    {
        var r = Seeded();
        r.ApplyMessage([Row(110, true, 100.00, 0)]);
        // Message 120 (the bid at 100.00 back with 7, the best ask's size to 9) never arrived.
        var outcome = r.ApplySnapshot(Snapshot(120, [(100.00, 7), (99.99, 2), (99.98, 3)], [(100.01, 9), (100.02, 2), (100.03, 3)]));
        Assert.Equal(2, outcome.Mismatches);
        Assert.Equal(1, r.Quality.Gaps);
        Assert.Equal(1, r.Quality.GapsHealed);
        Assert.Equal(Tick.ToUnits(100.00m, out _), r.Book.BestBid);
        Assert.Equal(Lot.ToUnits(9m, out _), r.Book.BestAskSize);
        Assert.Equal(0.5, outcome.DeviationTicks);
        var next = r.ApplySnapshot(Snapshot(121, [(100.00, 7), (99.99, 2), (99.98, 3)], [(100.01 + 0.01, 2), (100.03, 3)]));
        Assert.True(next.Mismatches > 0, "the ask at 100.01 vanished without a delta: another gap");
        r.ApplyMessage([Row(130, false, 100.02, 1)]);
        Assert.Equal(0, r.ApplySnapshot(Snapshot(130, [(100.00, 7), (99.99, 2), (99.98, 3)], [(100.02, 1), (100.03, 3)])).Mismatches);
        Assert.Equal(2, r.Quality.Gaps);
    }

    [Fact]
    public void Levels_beyond_the_known_region_are_not_counted_as_mismatches()
    {
        var r = Seeded();
        r.ApplyMessage([Row(101, true, 100.00, 0), Row(101, true, 99.99, 0)]);
        // The vendor now shows a level at 99.97 the rebuilt book never saw (it was below the seed's 20 levels).
        var outcome = r.ApplySnapshot(Snapshot(101, [(99.98, 3), (99.97, 8)], [(100.01, 1), (100.02, 2), (100.03, 3)]));
        Assert.Equal(0, outcome.Mismatches);
        Assert.Equal(Tick.ToUnits(99.97m, out _), r.Book.LevelsTo(true, 0)[^1].Price);
    }

    [Fact]
    public void Crossed_books_are_counted_and_crossed_vendor_snapshots_are_not_used()
    {
        var r = Seeded();
        r.ApplyMessage([Row(101, true, 100.02, 1)]);
        Assert.True(r.Book.IsCrossed);
        Assert.Equal(1, r.Quality.CrossedMessages);
        var outcome = r.ApplySnapshot(Snapshot(102, [(100.05, 1)], [(100.01, 1)]));
        Assert.False(outcome.Loaded);
        Assert.Equal(1, r.Quality.CrossedSnapshots);
        Assert.Equal(0, r.Quality.Gaps);
    }

    [Fact]
    public void Out_of_order_and_duplicate_messages_are_dropped_and_counted()
    {
        var r = Seeded();
        Assert.Equal(MessageOutcome.Applied, r.ApplyMessage([Row(150, true, 100.00, 4)]));
        Assert.Equal(MessageOutcome.Duplicate, r.ApplyMessage([Row(150, true, 100.00, 9)]));
        Assert.Equal(MessageOutcome.OutOfOrder, r.ApplyMessage([Row(140, true, 100.00, 9)]));
        Assert.Equal(Lot.ToUnits(4m, out _), r.Book.BestBidSize);
        r.ApplyMessage([Row(160, false, 100.01, 2), Row(160, false, 100.01, 2)]);
        Assert.Equal(1, r.Quality.OutOfOrderMessages);
        Assert.Equal(2, r.Quality.Duplicates);
    }

    [Fact]
    public void Messages_before_the_first_snapshot_are_not_applied()
    {
        var r = new LakeBookRebuilder(Tick, Lot);
        Assert.Equal(MessageOutcome.Unseeded, r.ApplyMessage([Row(1, true, 100, 1)]));
        Assert.Null(r.Book.BestBid);
        Assert.Equal(1, r.Quality.UnseededMessages);
    }

    [Fact]
    public void Prices_off_the_tick_grid_are_counted_as_precision_loss()
    {
        var r = Seeded();
        r.ApplyMessage([Row(101, true, 99.995, 1), Row(101, true, 99.97, 0.000001)]);
        Assert.Equal(2, r.Quality.PrecisionLoss);
        Assert.Equal(Tick.ToUnits(100.00m, out _), r.Book.BestBid);
    }

    [Fact]
    public void Float64_prices_become_exact_ticks_without_drift()
    {
        var grid = new DecimalGrid(0.01m);
        Assert.Equal(6183763, grid.ToUnits(61837.63, out var off));
        Assert.False(off);
        Assert.Equal(30, grid.ToUnits(0.1 + 0.2, out off));
        Assert.False(off, "0.30000000000000004 stands for 0.3: no float drift reaches the ticks");
        Assert.Equal(6183764, grid.ToUnits(61837.635, out off));
        Assert.True(off, "half a tick is off the grid");
    }

    [Fact]
    public void Binance_spot_rule_drops_stale_diffs_and_flags_a_broken_chain()
    {
        var sync = new BinanceSpotSync();
        Assert.Equal(DiffDecision.Unseeded, sync.Decide(1, 5));
        sync.Seed(100);
        Assert.Equal(DiffDecision.Stale, sync.Decide(90, 100));
        Assert.Equal(DiffDecision.Apply, sync.Decide(95, 120));
        Assert.Equal(DiffDecision.Apply, sync.Decide(121, 140));
        Assert.Equal(DiffDecision.Gap, sync.Decide(142, 150));
        Assert.Equal(DiffDecision.Unseeded, sync.Decide(151, 160));
        sync.Seed(155);
        Assert.Equal(DiffDecision.Gap, sync.Decide(157, 170));
        sync.Seed(155);
        Assert.Equal(DiffDecision.Apply, sync.Decide(151, 160));
        Assert.Equal(2, sync.Gaps);
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("BTC/USDT")]
    [InlineData("btc-usdt")]
    [InlineData("BTC-USDT/../../etc")]
    [InlineData("..")]
    [InlineData("")]
    public void Symbols_that_could_leave_the_partition_are_refused(string symbol)
    {
        var e = Assert.Throws<Backfill.Core.Errors.InvalidInputException>(() => LakePartition.Create(LakeTable.BookDeltaV2, "BINANCE", symbol, new DateOnly(2024, 1, 1)));
        Assert.Contains("BTC-USDT", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Partition_prefix_follows_the_bucket_layout()
    {
        var p = LakePartition.Create(LakeTable.BookDeltaV2, "BINANCE", "BTC-USDT", new DateOnly(2024, 8, 8));
        Assert.Equal("book_delta_v2/exchange=BINANCE/symbol=BTC-USDT/dt=2024-08-08/", p.RelativePrefix);
        Assert.Throws<Backfill.Core.Errors.InvalidInputException>(() => LakePartition.Create(LakeTable.Book, "binance/..", "BTC-USDT", new DateOnly(2024, 8, 8)));
    }

    [Fact]
    public void An_s3_url_opens_the_bucket_and_one_with_credentials_in_it_is_refused_without_echoing_them()
    {
        using var store = LakeStore.Open("s3://qnt.data/market-data/cryptofeed/");
        Assert.Equal("s3://qnt.data/market-data/cryptofeed", store.Description);
        var e = Assert.Throws<Backfill.Core.Errors.InvalidInputException>(() => LakeStore.Open("s3://AKIDEXAMPLE:hunter2@qnt.data/market-data"));
        Assert.Contains("cryptolake.baseUrl", e.Message, StringComparison.Ordinal);
        Assert.Contains("AWS_ACCESS_KEY_ID", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", e.Message, StringComparison.Ordinal);
    }
}
