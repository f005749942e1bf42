using Backfill.Core.IO;
using Backfill.Sources.CryptoLake.Book;
using Backfill.Sources.CryptoLake.Lake;
using ParquetSharp;

namespace Backfill.Simulators.CryptoLake;

/// <summary>What a generated day holds.</summary>
public sealed record CryptoLakeDay(long Messages, long DeltaRows, long Snapshots, long Trades, long? DroppedSequence, long MalformedRows);

/// <summary>
/// A deterministic Binance-like BTC-USDT day in Crypto Lake's layout (spot: 0.01 tick, 0.00001 lot; a Binance futures
/// market such as <c>BINANCE_FUTURES</c> <c>BTC-USDT-PERP</c>: 0.1 tick, 0.001 lot): a book of about 200 levels a side
/// around a random-walk mid, depth messages whose <c>sequence_number</c> is the final update id and jumps by 1–40 per
/// message (as Binance's <c>u</c> does), trades at the touch that also change the book, and 20-level <c>book</c>
/// snapshots taken from the true book at a fixed interval. Times are nanoseconds; receive latency 1–40 ms, with a
/// few negative skews (receiver clock behind).
/// </summary>
public static class CryptoLakeMarket
{
    public static readonly DecimalGrid Tick = new(0.01m);
    public static readonly DecimalGrid Lot = new(0.00001m);
    public static readonly DecimalGrid FuturesTick = new(0.1m);
    public static readonly DecimalGrid FuturesLot = new(0.001m);

    /// <summary>The tick and lot of a simulated market: Binance USD-M perpetuals trade BTC in 0.1 USDT ticks and 0.001 BTC lots.</summary>
    public static (DecimalGrid Tick, DecimalGrid Lot) GridsOf(string exchange) => DepthSync.IsFutures(exchange) ? (FuturesTick, FuturesLot) : (Tick, Lot);

    /// <summary>Writes the three tables of <paramref name="date"/> under <paramref name="root"/> (one file each, <c>1.snappy.parquet</c>).</summary>
    public static CryptoLakeDay WriteDay(string root, DateOnly date, CryptoLakeDayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var dayStart = (date.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100;
        var random = new Random(StableSeed(options.Seed, date.DayNumber, options.Symbol));
        var book = new OrderBook();
        var (tick, lot) = GridsOf(options.Exchange);
        var futures = DepthSync.IsFutures(options.Exchange);
        var unitsPerDollar = futures ? 10L : 100L;
        var mid = (60_000L * unitsPerDollar) + (random.Next(-200_000, 200_000) * unitsPerDollar / 100);
        for (var i = 1; i <= 200; i++)
        {
            book.Set(true, mid - i, RandomSize(random));
            book.Set(false, mid + i - 1, RandomSize(random));
        }

        string PathOf(LakeTable table)
        {
            var dir = Path.Combine(root, LakePartition.Create(table, options.Exchange, options.Symbol, date).RelativePrefix.TrimEnd('/'));
            OwnerOnly.CreateDirectory(dir);
            return Path.Combine(dir, "1.snappy.parquet");
        }

        var totalMessages = (long)Math.Max(1, Math.Round(86_400 * options.MessagesPerSecond));
        var step = 86_400_000_000_000L / totalMessages;
        var snapshotEvery = options.SnapshotIntervalSeconds * 1_000_000_000L;
        var gapAt = options.DataFaults.Contains(CryptoLakeFaultKind.SequenceGap) ? totalMessages / 2 : -1;
        var malformedEvery = options.DataFaults.Contains(CryptoLakeFaultKind.MalformedRows) ? Math.Max(1, totalMessages / 5) : long.MaxValue;
        long sequence = 40_000_000_000L + random.Next(0, 1_000_000);
        long snapshots = 0, trades = 0, rows = 0, malformed = 0, tradeId = 3_700_000_000L;
        long? dropped = null;
        var nextSnapshot = dayStart;
        Span<(long Price, long Size)> top = stackalloc (long, long)[LakeFileReader.BookLevels];
        var changes = new List<(bool IsBid, long Price, long Size)>(16);
        using (var deltas = new LakeParquetWriter(PathOf(LakeTable.BookDeltaV2), DeltaColumns()))
        using (var snaps = new LakeParquetWriter(PathOf(LakeTable.Book), BookColumns()))
        using (var tradeFile = new LakeParquetWriter(PathOf(LakeTable.Trades), TradeColumns()))
        {
            for (long m = 0; m < totalMessages; m++)
            {
                var origin = dayStart + (m * step) + random.NextInt64(0, Math.Max(1, step / 2));
                var received = origin + (random.Next(50) == 0 ? -random.Next(1, 2_000) * 1_000L : random.Next(1_000, 40_000) * 1_000L);
                while (origin >= nextSnapshot)
                {
                    WriteSnapshot(snaps, book, top, sequence, nextSnapshot, nextSnapshot + 3_000_000, tick, lot);
                    snapshots++;
                    nextSnapshot += snapshotEvery;
                }

                // Futures (depth@0ms) ids run far ahead between one message and the next.
                sequence += random.Next(1, 41) * (futures ? 97L : 1L);
                changes.Clear();
                if (random.Next(4) == 0)
                {
                    // A trade at the touch: the aggressor takes part or all of the best level.
                    var buy = random.Next(2) == 0;
                    var price = (buy ? book.BestAsk : book.BestBid)!.Value;
                    var size = buy ? book.BestAskSize : book.BestBidSize;
                    var take = Math.Max(1, random.NextInt64(1, size + 1));
                    var t = tradeFile.Next;
                    tradeFile.Buffer<long>(0)[t] = origin;
                    tradeFile.Buffer<long>(1)[t] = received;
                    tradeFile.Buffer<string>(2)[t] = (++tradeId).ToString(System.Globalization.CultureInfo.InvariantCulture);
                    tradeFile.Buffer<string>(3)[t] = buy ? "buy" : "sell";
                    tradeFile.Buffer<double>(4)[t] = (double)tick.ToDecimal(price);
                    tradeFile.Buffer<double>(5)[t] = (double)lot.ToDecimal(take);
                    tradeFile.Commit();
                    trades++;
                    changes.Add((!buy, price, size - take));
                    if (size - take == 0)
                    {
                        // Refill behind the taken level so the book keeps its depth.
                        changes.Add((!buy, buy ? price + 200 : price - 200, RandomSize(random)));
                    }
                }

                var n = random.Next(1, 7);
                for (var k = 0; k < n; k++)
                {
                    var isBid = random.Next(2) == 0;
                    var best = isBid ? book.BestBid!.Value : book.BestAsk!.Value;
                    var offset = (long)Math.Floor(Math.Pow(random.NextDouble(), 2) * 60);
                    var price = isBid ? best - offset : best + offset;
                    if (offset == 0 && random.Next(3) == 0)
                    {
                        // Improve the touch by one tick when the spread allows it.
                        price = isBid ? best + 1 : best - 1;
                        if (isBid ? price >= book.BestAsk : price <= book.BestBid)
                        {
                            continue;
                        }
                    }

                    var remove = random.Next(3) == 0 && (isBid ? book.BidLevels : book.AskLevels) > 20;
                    changes.Add((isBid, price, remove ? 0 : RandomSize(random)));
                }

                foreach (var (isBid, price, size) in changes)
                {
                    book.Set(isBid, price, size);
                }

                if (m == gapAt)
                {
                    dropped = sequence;
                    continue;
                }

                foreach (var (isBid, price, size) in changes)
                {
                    var r = deltas.Next;
                    deltas.Buffer<long>(0)[r] = origin;
                    deltas.Buffer<long>(1)[r] = received;
                    deltas.Buffer<long>(2)[r] = sequence;
                    deltas.Buffer<bool>(3)[r] = isBid;
                    var bad = m % malformedEvery == malformedEvery - 1 && r % 2 == 0;
                    deltas.Buffer<double>(4)[r] = bad ? double.NaN : (double)tick.ToDecimal(price);
                    deltas.Buffer<double>(5)[r] = (double)lot.ToDecimal(size);
                    malformed += bad ? 1 : 0;
                    deltas.Commit();
                    rows++;
                }
            }

            WriteSnapshot(snaps, book, top, sequence, Math.Max(nextSnapshot, dayStart + 86_399_000_000_000L), dayStart + 86_399_003_000_000L, tick, lot);
            snapshots++;
        }

        return new CryptoLakeDay(totalMessages - (dropped is null ? 0 : 1), rows, snapshots, trades, dropped, malformed);
    }

    private static long RandomSize(Random random) => random.Next(1, 5_000) * (random.Next(10) == 0 ? 20L : 1L);

    private static void WriteSnapshot(LakeParquetWriter file, OrderBook book, Span<(long Price, long Size)> top, long sequence, long origin, long received, DecimalGrid tick, DecimalGrid lot)
    {
        var r = file.Next;
        file.Buffer<long>(0)[r] = origin;
        file.Buffer<long>(1)[r] = received;
        file.Buffer<long>(2)[r] = sequence;
        var column = 3;
        foreach (var isBid in new[] { true, false })
        {
            var n = book.Top(isBid, top);
            for (var l = 0; l < LakeFileReader.BookLevels; l++)
            {
                file.Buffer<double?>(column++)[r] = l < n ? (double)tick.ToDecimal(top[l].Price) : null;
                file.Buffer<double?>(column++)[r] = l < n ? (double)lot.ToDecimal(top[l].Size) : null;
            }
        }

        file.Commit();
    }

    private static Column[] DeltaColumns() =>
    [
        new Column<long>("timestamp"), new Column<long>("receipt_timestamp"), new Column<long>("sequence_number"),
        new Column<bool>("side_is_bid"), new Column<double>("price"), new Column<double>("size"),
    ];

    private static Column[] TradeColumns() =>
    [
        new Column<long>("timestamp"), new Column<long>("receipt_timestamp"), new Column<string>("id"),
        new Column<string>("side"), new Column<double>("price"), new Column<double>("amount"),
    ];

    private static Column[] BookColumns()
    {
        var columns = new List<Column> { new Column<long>("timestamp"), new Column<long>("receipt_timestamp"), new Column<long>("sequence_number") };
        foreach (var side in new[] { "bid", "ask" })
        {
            for (var l = 0; l < LakeFileReader.BookLevels; l++)
            {
                columns.Add(new Column<double?>(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{side}_{l}_price")));
                columns.Add(new Column<double?>(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{side}_{l}_size")));
            }
        }

        return [.. columns];
    }

    /// <summary>A seed that is the same in every process (<see cref="HashCode"/> is randomized per process).</summary>
    private static int StableSeed(int seed, int dayNumber, string symbol)
    {
        var h = 17L;
        foreach (var c in symbol)
        {
            h = unchecked((h * 31) + c);
        }

        return unchecked((int)((h * 1_000_003) ^ ((long)seed * 7_919) ^ ((long)dayNumber * 104_729)));
    }
}
