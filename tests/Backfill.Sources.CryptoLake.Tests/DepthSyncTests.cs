using Backfill.Sources.CryptoLake.Book;

namespace Backfill.Sources.CryptoLake.Tests;

/// <summary>
/// Binance spot and USD-M futures sequence depth messages differently; synthetic streams where the two rules disagree
/// show each market gets its own (Binance's "how to manage a local order book correctly", spot and futures pages).
/// </summary>
public sealed class DepthSyncTests
{
    [Fact]
    public void The_market_chooses_the_rule()
    {
        Assert.IsType<BinanceSpotSync>(DepthSync.For("BINANCE"));
        Assert.IsType<BinanceFuturesSync>(DepthSync.For("BINANCE_FUTURES"));
        Assert.IsType<BinanceSpotSync>(DepthSync.For("COINBASE"));
        Assert.True(DepthSync.IsFutures("BINANCE_FUTURES"));
        Assert.False(DepthSync.IsFutures("binance_futures")); // Crypto Lake's names are upper case; settings check them
    }

    [Fact]
    public void After_a_snapshot_the_message_ending_at_its_id_is_stale_for_spot_and_the_first_one_for_futures()
    {
        // Snapshot lastUpdateId 1000; the message U=990 u=1000 straddles it.
        var spot = DepthSync.For("BINANCE");
        var futures = DepthSync.For("BINANCE_FUTURES");
        spot.Seed(1000);
        futures.Seed(1000);
        Assert.Equal(DiffDecision.Stale, spot.Decide(990, 1000, null)); // spot: drop u <= L
        Assert.Equal(DiffDecision.Apply, futures.Decide(990, 1000, 980)); // futures: drop u < L; first has U <= L <= u

        // Futures ids jump between messages: U is not the previous u + 1, but pu chains them.
        Assert.Equal(DiffDecision.Apply, futures.Decide(1005, 1010, 1000));
        Assert.Equal(DiffDecision.Gap, spot.Decide(1005, 1010, null)); // spot needs U <= L + 1 for its first message
        Assert.Equal(0, futures.Gaps);
    }

    [Fact]
    public void A_broken_pu_chain_is_a_futures_gap_even_when_the_ids_look_consecutive()
    {
        var spot = new BinanceSpotSync();
        var futures = new BinanceFuturesSync();
        spot.Seed(1000);
        futures.Seed(1000);
        Assert.Equal(DiffDecision.Apply, spot.Decide(1001, 1010, null));
        Assert.Equal(DiffDecision.Apply, futures.Decide(995, 1010, 990));

        // U == previous u + 1 satisfies spot, but pu says a message ending at 1008 came before: one was missed.
        Assert.Equal(DiffDecision.Apply, spot.Decide(1011, 1015, null));
        Assert.Equal(DiffDecision.Gap, futures.Decide(1011, 1015, 1008));
        Assert.Equal(DiffDecision.Unseeded, futures.Decide(1016, 1020, 1015)); // nothing applies until the next snapshot
        futures.Seed(1020);
        Assert.Equal(DiffDecision.Apply, futures.Decide(1016, 1020, 1015));
        Assert.Equal(1, futures.Gaps);
    }

    [Fact]
    public void A_day_of_futures_messages_has_no_gap_under_its_rule_and_a_gap_at_every_reseed_under_spots()
    {
        var random = new Random(7);
        long u = 5_123_107_852_948;
        var messages = new List<(long U, long Final, long Pu)>();
        for (var i = 0; i < 10_000; i++)
        {
            // depth@0ms: each message's first id is far above the previous final id (other symbols' updates in between).
            var first = u + random.Next(2, 5_000);
            var final = first + random.Next(0, 40);
            messages.Add((first, final, u));
            u = final;
        }

        var futures = new BinanceFuturesSync();
        futures.Seed(messages[0].Final);
        var spot = new BinanceSpotSync();
        var spotGaps = 0;
        foreach (var (first, final, pu) in messages)
        {
            Assert.NotEqual(DiffDecision.Gap, futures.Decide(first, final, pu));
            if (spot.LastUpdateId is null)
            {
                spot.Seed(pu); // re-seeded from a snapshot at the previous message, as a spot client would after a gap
            }

            spotGaps += spot.Decide(first, final, pu) == DiffDecision.Gap ? 1 : 0;
        }

        Assert.Equal(0, futures.Gaps);
        Assert.Equal(messages.Count, futures.Applied);
        Assert.True(spotGaps > messages.Count * 99 / 100, $"spot rule: {spotGaps} gaps in {messages.Count} messages");
    }
}
