using System.IO.Compression;
using System.Text.Json;
using Backfill.Sources.CryptoLake.Book;
using Backfill.Sources.CryptoLake.Lake;

namespace Backfill.Sources.CryptoLake.Tests;

/// <summary>
/// The rebuild against the venue's own truth: a public Binance spot BTCUSDT capture (REST snapshot, depth@100ms diffs,
/// bookTicker). After every applied diff the rebuilt best bid/ask must equal the latest bookTicker with <c>u</c> at most
/// the diff's <c>u</c>.
/// </summary>
public sealed class BinanceCaptureTests
{
    private const string Capture = "binance-btcusdt-spot/btcusdt_20240808.gz";
    private static readonly DecimalGrid Tick = new(0.01m);
    private static readonly DecimalGrid Lot = new(0.00000001m); // the wire precision: a few resting sizes are finer than the 0.00001 lot

    [Fact]
    public void Spot_rebuild_matches_every_bookTicker_with_no_gap_and_no_crossed_book()
    {
        var capture = Parse(ReferenceData.RequireFile(Capture));
        var book = new OrderBook();
        var offGrid = 0;
        foreach (var (price, size) in capture.SnapshotBids)
        {
            book.Set(true, Tick.ParseUnits(price, out var a), Lot.ParseUnits(size, out var b));
            offGrid += (a ? 1 : 0) + (b ? 1 : 0);
        }

        foreach (var (price, size) in capture.SnapshotAsks)
        {
            book.Set(false, Tick.ParseUnits(price, out var a), Lot.ParseUnits(size, out var b));
            offGrid += (a ? 1 : 0) + (b ? 1 : 0);
        }

        var sync = new BinanceSpotSync();
        sync.Seed(capture.LastUpdateId);
        var tickerIds = capture.Tickers.Select(t => t.U).ToArray();
        int compared = 0, crossed = 0;
        var mismatches = new List<string>();
        foreach (var diff in capture.Diffs)
        {
            var decision = sync.Decide(diff.FirstId, diff.FinalId);
            if (decision != DiffDecision.Apply)
            {
                Assert.Equal(DiffDecision.Stale, decision);
                continue;
            }

            foreach (var (isBid, price, size) in diff.Levels)
            {
                book.Set(isBid, Tick.ParseUnits(price, out var a), Lot.ParseUnits(size, out var b));
                offGrid += (a ? 1 : 0) + (b ? 1 : 0);
            }

            crossed += book.IsCrossed ? 1 : 0;
            var at = Array.BinarySearch(tickerIds, diff.FinalId);
            at = at >= 0 ? at : ~at - 1;
            if (at < 0)
            {
                continue;
            }

            var t = capture.Tickers[at];
            compared++;
            var expected = (Tick.ParseUnits(t.Bid, out _), Lot.ParseUnits(t.BidSize, out _), Tick.ParseUnits(t.Ask, out _), Lot.ParseUnits(t.AskSize, out _));
            var actual = (book.BestBid, book.BestBidSize, book.BestAsk, book.BestAskSize);
            if (actual != expected)
            {
                mismatches.Add($"u={diff.FinalId}: rebuilt {actual}, bookTicker u={t.U} {expected}");
            }
        }

        Assert.Empty(mismatches);
        Assert.Equal(0, crossed);
        Assert.Equal(0, sync.Gaps);
        Assert.Equal(0, offGrid);
        Assert.True(compared >= 3400, $"only {compared} diffs compared");
        Assert.True(sync.Stale > 0, "the capture starts with diffs older than the snapshot; they must be dropped");
    }

    [Fact]
    public void Lake_shaped_rebuild_of_the_capture_agrees_with_every_snapshot_and_finds_no_gap()
    {
        // The capture turned into Crypto Lake's form: one row per level change with sequence_number = u, seeded by a
        // 20-level snapshot, and checked against 20-level snapshots taken from the venue-rule rebuild every 50 messages.
        var capture = Parse(ReferenceData.RequireFile(Capture));
        var truth = new OrderBook();
        foreach (var (price, size) in capture.SnapshotBids)
        {
            truth.Set(true, Tick.ParseUnits(price, out _), Lot.ParseUnits(size, out _));
        }

        foreach (var (price, size) in capture.SnapshotAsks)
        {
            truth.Set(false, Tick.ParseUnits(price, out _), Lot.ParseUnits(size, out _));
        }

        var sync = new BinanceSpotSync();
        sync.Seed(capture.LastUpdateId);
        var lake = new LakeBookRebuilder(Tick, Lot);
        lake.ApplySnapshot(TopOf(truth, capture.LastUpdateId));
        var applied = 0;
        foreach (var diff in capture.Diffs)
        {
            if (sync.Decide(diff.FirstId, diff.FinalId) != DiffDecision.Apply)
            {
                continue;
            }

            var rows = diff.Levels.Select(l => new LakeDelta(diff.FinalId, diff.EventNs, diff.ReceivedNs, l.IsBid, double.Parse(l.Price, System.Globalization.CultureInfo.InvariantCulture), double.Parse(l.Size, System.Globalization.CultureInfo.InvariantCulture))).ToArray();
            foreach (var (isBid, price, size) in diff.Levels)
            {
                truth.Set(isBid, Tick.ParseUnits(price, out _), Lot.ParseUnits(size, out _));
            }

            Assert.Equal(MessageOutcome.Applied, lake.ApplyMessage(rows));
            if (++applied % 50 == 0)
            {
                lake.ApplySnapshot(TopOf(truth, diff.FinalId));
            }
        }

        Assert.True(lake.Quality.Snapshots > 60);
        Assert.Equal(0, lake.Quality.Gaps);
        Assert.Equal(0, lake.Quality.LevelMismatches);
        Assert.Equal(0, lake.Quality.PrecisionLoss);
        Assert.Equal(0, lake.Quality.CrossedMessages);
        Assert.Equal(0, lake.Quality.MaxDeviationTicks);
        Assert.Equal(truth.BestBid, lake.Book.BestBid);
        Assert.Equal(truth.BestAsk, lake.Book.BestAsk);
    }

    private static LakeSnapshot TopOf(OrderBook book, long sequence)
    {
        Span<(long Price, long Size)> bids = stackalloc (long, long)[20];
        Span<(long Price, long Size)> asks = stackalloc (long, long)[20];
        var nb = book.Top(true, bids);
        var na = book.Top(false, asks);
        double P(long u) => (double)Tick.ToDecimal(u);
        double S(long u) => (double)Lot.ToDecimal(u);
        var bp = new double[nb];
        var bs = new double[nb];
        var ap = new double[na];
        var az = new double[na];
        for (var i = 0; i < nb; i++)
        {
            (bp[i], bs[i]) = (P(bids[i].Price), S(bids[i].Size));
        }

        for (var i = 0; i < na; i++)
        {
            (ap[i], az[i]) = (P(asks[i].Price), S(asks[i].Size));
        }

        return new LakeSnapshot(sequence, 0, 0, bp, bs, ap, az);
    }

    private sealed record Diff(long FirstId, long FinalId, long EventNs, long ReceivedNs, List<(bool IsBid, string Price, string Size)> Levels);

    private sealed record Ticker(long U, string Bid, string BidSize, string Ask, string AskSize);

    private sealed record CaptureData(long LastUpdateId, List<(string, string)> SnapshotBids, List<(string, string)> SnapshotAsks, List<Diff> Diffs, List<Ticker> Tickers);

    private static CaptureData Parse(string path)
    {
        long lastUpdateId = -1;
        var bids = new List<(string, string)>();
        var asks = new List<(string, string)>();
        var diffs = new List<Diff>();
        var tickers = new List<Ticker>();
        using var gz = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        using var reader = new StreamReader(gz);
        while (reader.ReadLine() is { } line)
        {
            var space = line.IndexOf(' ', StringComparison.Ordinal);
            var received = long.Parse(line.AsSpan(0, space), System.Globalization.CultureInfo.InvariantCulture);
            using var doc = JsonDocument.Parse(line.AsMemory(space + 1));
            var root = doc.RootElement;
            if (root.TryGetProperty("lastUpdateId", out var last))
            {
                lastUpdateId = last.GetInt64();
                bids.AddRange(root.GetProperty("bids").EnumerateArray().Select(l => (l[0].GetString()!, l[1].GetString()!)));
                asks.AddRange(root.GetProperty("asks").EnumerateArray().Select(l => (l[0].GetString()!, l[1].GetString()!)));
                continue;
            }

            var stream = root.GetProperty("stream").GetString()!;
            var data = root.GetProperty("data");
            if (stream.EndsWith("@bookTicker", StringComparison.Ordinal))
            {
                tickers.Add(new Ticker(data.GetProperty("u").GetInt64(), data.GetProperty("b").GetString()!, data.GetProperty("B").GetString()!, data.GetProperty("a").GetString()!, data.GetProperty("A").GetString()!));
            }
            else if (stream.Contains("@depth", StringComparison.Ordinal))
            {
                var levels = new List<(bool, string, string)>();
                levels.AddRange(data.GetProperty("b").EnumerateArray().Select(l => (true, l[0].GetString()!, l[1].GetString()!)));
                levels.AddRange(data.GetProperty("a").EnumerateArray().Select(l => (false, l[0].GetString()!, l[1].GetString()!)));
                diffs.Add(new Diff(data.GetProperty("U").GetInt64(), data.GetProperty("u").GetInt64(), data.GetProperty("E").GetInt64() * 1_000_000, received, levels));
            }
        }

        Assert.True(lastUpdateId > 0, "the capture has no REST snapshot");
        tickers.Sort((x, y) => x.U.CompareTo(y.U));
        return new CaptureData(lastUpdateId, bids, asks, diffs, tickers);
    }
}
