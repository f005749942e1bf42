using System.Globalization;
using ParquetSharp;

namespace Backfill.Sources.CryptoLake.Lake;

/// <summary>
/// Streams the rows of Crypto Lake Parquet files one row group at a time (memory bounded by the largest row group).
/// Columns are found by their raw cryptofeed name or lakeapi's renamed one (<c>timestamp</c>/<c>origin_time</c>,
/// <c>receipt_timestamp</c>/<c>received_time</c>, <c>amount</c>/<c>quantity</c>, <c>id</c>/<c>trade_id</c>).
/// Malformed rows are counted in <see cref="LakeReadStats"/> and skipped, never guessed.
/// </summary>
public static class LakeFileReader
{
    public const int BookLevels = 20;
    private static readonly string[] Origin = ["origin_time", "timestamp"];
    private static readonly string[] Received = ["received_time", "receipt_timestamp"];

    public static IEnumerable<LakeDelta> ReadDeltas(string path, LakeReadStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        using var file = new ParquetFileReader(path);
        const string table = "book_delta_v2";
        var cOrigin = LakeColumns.FindOptional(file, Origin);
        var cReceived = LakeColumns.Find(file, table, Received);
        var cSeq = LakeColumns.Find(file, table, "sequence_number");
        var cSide = LakeColumns.Find(file, table, "side_is_bid");
        var cPrice = LakeColumns.Find(file, table, "price");
        var cSize = LakeColumns.Find(file, table, "size");
        for (var g = 0; g < file.FileMetaData.NumRowGroups; g++)
        {
            using var group = file.RowGroup(g);
            var n = checked((int)group.MetaData.NumRows);
            var times = RowTimes.Read(group, cOrigin, cReceived, n);
            var seq = new long[n];
            var side = new bool[n];
            var price = new double[n];
            var size = new double[n];
            var pSeq = new bool[n];
            var pSide = new bool[n];
            var pPrice = new bool[n];
            var pSize = new bool[n];
            LakeColumns.ReadInt64(group, cSeq, n, seq, pSeq);
            LakeColumns.ReadBool(group, cSide, n, side, pSide);
            LakeColumns.ReadDouble(group, cPrice, n, price, pPrice);
            LakeColumns.ReadDouble(group, cSize, n, size, pSize);
            for (var i = 0; i < n; i++)
            {
                var row = stats.Rows++;
                if (!times.HasReceived[i] || !pSeq[i] || !pSide[i] || !pPrice[i] || !pSize[i])
                {
                    stats.Reject(table, row, "a required field is null");
                }
                else if (!double.IsFinite(price[i]) || price[i] <= 0 || !double.IsFinite(size[i]) || size[i] < 0)
                {
                    stats.Reject(table, row, $"price {price[i].ToString(CultureInfo.InvariantCulture)} / size {size[i].ToString(CultureInfo.InvariantCulture)} out of range");
                }
                else
                {
                    yield return new LakeDelta(seq[i], times.Origin(i), times.Received[i], side[i], price[i], size[i]);
                }
            }
        }
    }

    public static IEnumerable<LakeTrade> ReadTrades(string path, LakeReadStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        using var file = new ParquetFileReader(path);
        const string table = "trades";
        var cOrigin = LakeColumns.FindOptional(file, Origin);
        var cReceived = LakeColumns.Find(file, table, Received);
        var cSide = LakeColumns.FindOptional(file, "side");
        var cId = LakeColumns.FindOptional(file, "trade_id", "id");
        var cPrice = LakeColumns.Find(file, table, "price");
        var cQty = LakeColumns.Find(file, table, "quantity", "amount");
        for (var g = 0; g < file.FileMetaData.NumRowGroups; g++)
        {
            using var group = file.RowGroup(g);
            var n = checked((int)group.MetaData.NumRows);
            var times = RowTimes.Read(group, cOrigin, cReceived, n);
            var price = new double[n];
            var qty = new double[n];
            var pPrice = new bool[n];
            var pQty = new bool[n];
            LakeColumns.ReadDouble(group, cPrice, n, price, pPrice);
            LakeColumns.ReadDouble(group, cQty, n, qty, pQty);
            var sides = cSide >= 0 ? LakeColumns.ReadStrings(group, cSide, n) : null;
            var ids = cId >= 0 ? LakeColumns.ReadStrings(group, cId, n) : null;
            for (var i = 0; i < n; i++)
            {
                var row = stats.Rows++;
                if (!times.HasReceived[i] || !pPrice[i] || !pQty[i])
                {
                    stats.Reject(table, row, "a required field is null");
                }
                else if (!double.IsFinite(price[i]) || price[i] <= 0 || !double.IsFinite(qty[i]) || qty[i] <= 0)
                {
                    stats.Reject(table, row, $"price {price[i].ToString(CultureInfo.InvariantCulture)} / quantity {qty[i].ToString(CultureInfo.InvariantCulture)} out of range");
                }
                else
                {
                    bool? buyer = sides?[i] switch
                    {
                        "buy" or "BUY" or "Buy" => true,
                        "sell" or "SELL" or "Sell" => false,
                        _ => null,
                    };
                    yield return new LakeTrade(times.Origin(i), times.Received[i], ids?[i], buyer, price[i], qty[i]);
                }
            }
        }
    }

    public static IEnumerable<LakeSnapshot> ReadSnapshots(string path, LakeReadStats stats)
    {
        ArgumentNullException.ThrowIfNull(stats);
        using var file = new ParquetFileReader(path);
        const string table = "book";
        var cOrigin = LakeColumns.FindOptional(file, Origin);
        var cReceived = LakeColumns.Find(file, table, Received);
        var cSeq = LakeColumns.Find(file, table, "sequence_number");
        var levels = new int[4, BookLevels];
        var inv = CultureInfo.InvariantCulture;
        for (var l = 0; l < BookLevels; l++)
        {
            levels[0, l] = LakeColumns.FindOptional(file, string.Create(inv, $"bid_{l}_price"));
            levels[1, l] = LakeColumns.FindOptional(file, string.Create(inv, $"bid_{l}_size"));
            levels[2, l] = LakeColumns.FindOptional(file, string.Create(inv, $"ask_{l}_price"));
            levels[3, l] = LakeColumns.FindOptional(file, string.Create(inv, $"ask_{l}_size"));
        }

        if (levels[0, 0] < 0 || levels[2, 0] < 0)
        {
            LakeColumns.Find(file, table, "bid_0_price", "ask_0_price");
        }

        for (var g = 0; g < file.FileMetaData.NumRowGroups; g++)
        {
            using var group = file.RowGroup(g);
            var n = checked((int)group.MetaData.NumRows);
            var times = RowTimes.Read(group, cOrigin, cReceived, n);
            var seq = new long[n];
            var pSeq = new bool[n];
            LakeColumns.ReadInt64(group, cSeq, n, seq, pSeq);
            var values = new double[4, BookLevels][];
            var present = new bool[4, BookLevels][];
            for (var k = 0; k < 4; k++)
            {
                for (var l = 0; l < BookLevels; l++)
                {
                    values[k, l] = new double[n];
                    present[k, l] = new bool[n];
                    if (levels[k, l] >= 0)
                    {
                        LakeColumns.ReadDouble(group, levels[k, l], n, values[k, l], present[k, l]);
                    }
                }
            }

            for (var i = 0; i < n; i++)
            {
                var row = stats.Rows++;
                if (!times.HasReceived[i] || !pSeq[i])
                {
                    stats.Reject(table, row, "received time or sequence_number is null");
                    continue;
                }

                var bids = Side(values, present, 0, i, out var bidSizes);
                var asks = Side(values, present, 2, i, out var askSizes);
                if (bids.Length == 0 && asks.Length == 0)
                {
                    stats.Reject(table, row, "no level on either side");
                    continue;
                }

                yield return new LakeSnapshot(seq[i], times.Origin(i), times.Received[i], bids, bidSizes, asks, askSizes);
            }
        }
    }

    private static double[] Side(double[,][] values, bool[,][] present, int priceKind, int row, out double[] sizes)
    {
        var count = 0;
        while (count < BookLevels && present[priceKind, count][row] && present[priceKind + 1, count][row]
               && double.IsFinite(values[priceKind, count][row]) && values[priceKind, count][row] > 0
               && double.IsFinite(values[priceKind + 1, count][row]) && values[priceKind + 1, count][row] > 0)
        {
            count++;
        }

        var prices = new double[count];
        sizes = new double[count];
        for (var l = 0; l < count; l++)
        {
            prices[l] = values[priceKind, l][row];
            sizes[l] = values[priceKind + 1, l][row];
        }

        return prices;
    }

    /// <summary>One row group's receive times (required) and origin times (optional: a row without one takes its receive time).</summary>
    private sealed class RowTimes
    {
        private long[] _origin = [];
        private bool[] _hasOrigin = [];

        public long[] Received { get; private init; } = [];

        public bool[] HasReceived { get; private init; } = [];

        public static RowTimes Read(RowGroupReader group, int originColumn, int receivedColumn, int rows)
        {
            var times = new RowTimes { Received = new long[rows], HasReceived = new bool[rows] };
            if (originColumn >= 0)
            {
                times._origin = new long[rows];
                times._hasOrigin = new bool[rows];
                LakeColumns.ReadNanos(group, originColumn, rows, times._origin, times._hasOrigin);
            }

            LakeColumns.ReadNanos(group, receivedColumn, rows, times.Received, times.HasReceived);
            return times;
        }

        public long Origin(int row) => row < _hasOrigin.Length && _hasOrigin[row] ? _origin[row] : Received[row];
    }
}
