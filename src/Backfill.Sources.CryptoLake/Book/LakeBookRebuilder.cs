using Backfill.Sources.CryptoLake.Lake;

namespace Backfill.Sources.CryptoLake.Book;

public enum MessageOutcome
{
    Applied,
    Unseeded,
    OutOfOrder,
    Duplicate,
}

/// <summary>What one vendor snapshot did to the rebuilt book.</summary>
/// <param name="Compared">False for the seeding snapshot and for crossed vendor snapshots.</param>
/// <param name="Mismatches">Level differences inside the region both books know.</param>
/// <param name="DeviationTicks">|rebuilt mid − snapshot mid| in ticks (0 when not compared).</param>
public readonly record struct SnapshotOutcome(bool Compared, bool Loaded, int Mismatches, double DeviationTicks);

/// <summary>
/// Rebuilds an L2 book from Crypto Lake's <c>book_delta_v2</c> messages and checks it against every <c>book</c>
/// snapshot. Feed it messages and snapshots merged by sequence number (a snapshot after every message whose sequence
/// number is at most its own).
/// <para>
/// Crypto Lake stores only the final update id of each Binance message (<c>sequence_number</c> = <c>u</c>), not the
/// first (<c>U</c>), so a missing message cannot be seen in the sequence numbers: consecutive messages legitimately
/// jump by many ids. What can be checked: sequence numbers rise strictly from message to message (a lower one is out of
/// order, an equal one a duplicate), and each snapshot agrees with the rebuilt book. A disagreement is counted as a gap
/// and healed by loading that snapshot.
/// </para>
/// <para>
/// A 20-level snapshot only tells the top of the book, so the rebuilt book is compared inside the price region it
/// knows: from the best prices to the deepest snapshot level loaded (levels beyond may exist unseen).
/// </para>
/// </summary>
public sealed class LakeBookRebuilder(DecimalGrid priceGrid, DecimalGrid sizeGrid)
{
    private readonly HashSet<(bool, long)> _seenInMessage = [];
    private long _bidFloor;
    private long _askCeiling;

    public OrderBook Book { get; } = new();

    public BookQuality Quality { get; } = new();

    public DecimalGrid PriceGrid => priceGrid;

    public DecimalGrid SizeGrid => sizeGrid;

    public bool Seeded { get; private set; }

    public long? LastSequence { get; private set; }

    /// <summary>Applies one message: every row of <paramref name="rows"/> shares one sequence number.</summary>
    public MessageOutcome ApplyMessage(ReadOnlySpan<LakeDelta> rows)
    {
        if (rows.IsEmpty)
        {
            throw new ArgumentException("A message has at least one row.", nameof(rows));
        }

        var sequence = rows[0].SequenceNumber;
        Quality.Messages++;
        Quality.DeltaRows += rows.Length;
        Quality.AddSkew((rows[0].ReceivedTimeNs - rows[0].OriginTimeNs) / 1_000);
        if (!Seeded)
        {
            Quality.UnseededMessages++;
            return MessageOutcome.Unseeded;
        }

        if (LastSequence is { } last && sequence <= last)
        {
            if (sequence == last)
            {
                Quality.Duplicates++;
                return MessageOutcome.Duplicate;
            }

            Quality.OutOfOrderMessages++;
            return MessageOutcome.OutOfOrder;
        }

        _seenInMessage.Clear();
        foreach (ref readonly var row in rows)
        {
            if (row.SequenceNumber != sequence)
            {
                throw new ArgumentException($"Row sequence {row.SequenceNumber} differs from the message's {sequence}.", nameof(rows));
            }

            var price = priceGrid.ToUnits(row.Price, out var offPrice);
            var size = sizeGrid.ToUnits(row.Size, out var offSize);
            if (offPrice || offSize)
            {
                Quality.PrecisionLoss++;
            }

            if (!_seenInMessage.Add((row.IsBid, price)))
            {
                Quality.Duplicates++;
            }

            Book.Set(row.IsBid, price, size);
        }

        LastSequence = sequence;
        if (Book.IsCrossed)
        {
            Quality.CrossedMessages++;
        }

        return MessageOutcome.Applied;
    }

    /// <summary>Compares the rebuilt book with a vendor snapshot, counts differences, and loads the snapshot.</summary>
    public SnapshotOutcome ApplySnapshot(LakeSnapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        Quality.Snapshots++;
        var bids = Units(snapshot.BidPrices, snapshot.BidSizes);
        var asks = Units(snapshot.AskPrices, snapshot.AskSizes);
        if (bids.Count > 0 && asks.Count > 0 && bids[0].Price >= asks[0].Price)
        {
            Quality.CrossedSnapshots++;
            return new SnapshotOutcome(false, false, 0, 0);
        }

        var compared = false;
        var mismatches = 0;
        double deviation = 0;
        if (Seeded)
        {
            compared = true;
            if (bids.Count > 0)
            {
                var floor = Math.Max(_bidFloor, bids[^1].Price);
                mismatches += Differences(Book.LevelsTo(true, floor), bids.Where(l => l.Price >= floor).ToList(), descending: true);
            }

            if (asks.Count > 0)
            {
                var ceiling = Math.Min(_askCeiling, asks[^1].Price);
                mismatches += Differences(Book.LevelsTo(false, ceiling), asks.Where(l => l.Price <= ceiling).ToList(), descending: false);
            }

            if (Book.BestBid is { } bb && Book.BestAsk is { } ba && bids.Count > 0 && asks.Count > 0)
            {
                deviation = Math.Abs((bb + ba) - (bids[0].Price + asks[0].Price)) / 2.0;
                Quality.AddDeviation(deviation);
            }

            Quality.LevelMismatches += mismatches;
            if (mismatches > 0)
            {
                Quality.AddGap(snapshot.ReceivedTimeNs);
                Quality.GapsHealed++;
            }
        }

        Load(bids, true, fresh: !Seeded || mismatches > 0);
        Load(asks, false, fresh: !Seeded || mismatches > 0);
        Seeded = true;
        LastSequence = LastSequence is { } last ? Math.Max(last, snapshot.SequenceNumber) : snapshot.SequenceNumber;
        return new SnapshotOutcome(compared, true, mismatches, deviation);
    }

    private void Load(List<(long Price, long Size)> levels, bool isBid, bool fresh)
    {
        if (levels.Count == 0)
        {
            return;
        }

        var deepest = levels[^1].Price;
        Book.ClearTo(isBid, deepest);
        if (fresh)
        {
            Book.TrimBeyond(isBid, deepest);
        }

        foreach (var (price, size) in levels)
        {
            Book.Set(isBid, price, size);
        }

        if (isBid)
        {
            _bidFloor = fresh || !Seeded ? deepest : Math.Min(_bidFloor, deepest);
        }
        else
        {
            _askCeiling = fresh || !Seeded ? deepest : Math.Max(_askCeiling, deepest);
        }
    }

    private List<(long Price, long Size)> Units(IReadOnlyList<double> prices, IReadOnlyList<double> sizes)
    {
        var levels = new List<(long, long)>(prices.Count);
        for (var i = 0; i < prices.Count; i++)
        {
            var price = priceGrid.ToUnits(prices[i], out var offPrice);
            var size = sizeGrid.ToUnits(sizes[i], out var offSize);
            if (offPrice || offSize)
            {
                Quality.PrecisionLoss++;
            }

            levels.Add((price, size));
        }

        return levels;
    }

    /// <summary>Levels present on one side only, plus common prices with different sizes (both lists best first).</summary>
    private static int Differences(List<(long Price, long Size)> rebuilt, List<(long Price, long Size)> vendor, bool descending)
    {
        int i = 0, j = 0, differences = 0;
        while (i < rebuilt.Count || j < vendor.Count)
        {
            if (i == rebuilt.Count)
            {
                differences += vendor.Count - j;
                break;
            }

            if (j == vendor.Count)
            {
                differences += rebuilt.Count - i;
                break;
            }

            var order = rebuilt[i].Price.CompareTo(vendor[j].Price) * (descending ? -1 : 1);
            if (order == 0)
            {
                differences += rebuilt[i].Size == vendor[j].Size ? 0 : 1;
                i++;
                j++;
            }
            else if (order < 0)
            {
                differences++;
                i++;
            }
            else
            {
                differences++;
                j++;
            }
        }

        return differences;
    }
}
