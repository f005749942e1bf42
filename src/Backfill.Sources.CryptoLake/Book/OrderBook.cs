namespace Backfill.Sources.CryptoLake.Book;

/// <summary>
/// A price-level (L2) book on integer ticks and integer size units. Sizes are absolute: setting 0 removes the level,
/// and removing a level that is not there is normal (Binance says so). Best prices are cached.
/// </summary>
public sealed class OrderBook
{
    private static readonly IComparer<long> Descending = Comparer<long>.Create(static (a, b) => b.CompareTo(a));
    private readonly SortedDictionary<long, long> _bids = new(Descending);
    private readonly SortedDictionary<long, long> _asks = new();
    private long? _bestBid;
    private long? _bestAsk;

    public int BidLevels => _bids.Count;

    public int AskLevels => _asks.Count;

    public long? BestBid => _bestBid;

    public long? BestAsk => _bestAsk;

    public long BestBidSize => _bestBid is { } p ? _bids[p] : 0;

    public long BestAskSize => _bestAsk is { } p ? _asks[p] : 0;

    /// <summary>Best bid at or above best ask.</summary>
    public bool IsCrossed => _bestBid is { } b && _bestAsk is { } a && b >= a;

    public void Clear()
    {
        _bids.Clear();
        _asks.Clear();
        _bestBid = null;
        _bestAsk = null;
    }

    public void Set(bool isBid, long price, long size)
    {
        var side = isBid ? _bids : _asks;
        if (size > 0)
        {
            side[price] = size;
            if (isBid)
            {
                if (_bestBid is not { } best || price > best)
                {
                    _bestBid = price;
                }
            }
            else if (_bestAsk is not { } best || price < best)
            {
                _bestAsk = price;
            }

            return;
        }

        if (side.Remove(price) && (isBid ? _bestBid : _bestAsk) == price)
        {
            long? next = null;
            foreach (var key in side.Keys)
            {
                next = key;
                break;
            }

            if (isBid)
            {
                _bestBid = next;
            }
            else
            {
                _bestAsk = next;
            }
        }
    }

    /// <summary>Copies up to <paramref name="levels"/>.Length levels of a side, best first; returns how many.</summary>
    public int Top(bool isBid, Span<(long Price, long Size)> levels)
    {
        var count = 0;
        foreach (var (price, size) in isBid ? _bids : _asks)
        {
            if (count == levels.Length)
            {
                break;
            }

            levels[count++] = (price, size);
        }

        return count;
    }

    /// <summary>Levels of a side from the best down to <paramref name="limit"/> inclusive (bids: price ≥ limit; asks: price ≤ limit).</summary>
    public List<(long Price, long Size)> LevelsTo(bool isBid, long limit)
    {
        var result = new List<(long, long)>();
        foreach (var (price, size) in isBid ? _bids : _asks)
        {
            if (isBid ? price < limit : price > limit)
            {
                break;
            }

            result.Add((price, size));
        }

        return result;
    }

    /// <summary>Removes every level beyond <paramref name="limit"/> (bids below it, asks above it).</summary>
    public void TrimBeyond(bool isBid, long limit)
    {
        var side = isBid ? _bids : _asks;
        var doomed = new List<long>();
        foreach (var price in side.Keys)
        {
            if (isBid ? price < limit : price > limit)
            {
                doomed.Add(price);
            }
        }

        foreach (var price in doomed)
        {
            side.Remove(price);
        }
    }

    /// <summary>Removes every level from the best down to <paramref name="limit"/> inclusive.</summary>
    public void ClearTo(bool isBid, long limit)
    {
        foreach (var (price, _) in LevelsTo(isBid, limit))
        {
            Set(isBid, price, 0);
        }
    }
}
