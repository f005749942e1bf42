namespace Backfill.Sources.CryptoLake.Book;

/// <summary>
/// A venue's rule for keeping a local book in sequence from its depth-diff stream and a REST snapshot. The rule belongs
/// to the market, not the exchange's name alone: Binance spot and Binance USD-M futures sequence their messages
/// differently (<see cref="BinanceSpotSync"/>, <see cref="BinanceFuturesSync"/>); <see cref="DepthSync.For"/> picks it.
/// </summary>
public interface IDepthSync
{
    long Gaps { get; }

    long Stale { get; }

    long Applied { get; }

    long? LastUpdateId { get; }

    /// <summary>A REST snapshot was loaded into the book: continue from its <c>lastUpdateId</c>.</summary>
    void Seed(long lastUpdateId);

    /// <param name="firstUpdateId"><c>U</c>.</param>
    /// <param name="finalUpdateId"><c>u</c>.</param>
    /// <param name="previousFinalUpdateId"><c>pu</c> where the venue sends it (futures), else null.</param>
    DiffDecision Decide(long firstUpdateId, long finalUpdateId, long? previousFinalUpdateId);
}

/// <summary>
/// The bookkeeping every venue rule shares: the last applied id, whether the book is in sequence since its snapshot,
/// and the counts; a rule says only what is stale and what continues the book.
/// </summary>
public abstract class DepthSyncRule : IDepthSync
{
    private long? _last;
    private bool _synced;

    public long Gaps { get; private set; }

    public long Stale { get; private set; }

    public long Applied { get; private set; }

    public long? LastUpdateId => _last;

    public void Seed(long lastUpdateId)
    {
        _last = lastUpdateId;
        _synced = false;
    }

    public DiffDecision Decide(long firstUpdateId, long finalUpdateId, long? previousFinalUpdateId)
    {
        if (_last is not { } last)
        {
            return DiffDecision.Unseeded;
        }

        if (IsStale(finalUpdateId, last, _synced))
        {
            Stale++;
            return DiffDecision.Stale;
        }

        if (!Continues(firstUpdateId, previousFinalUpdateId, last, _synced))
        {
            Gaps++;
            _last = null;
            return DiffDecision.Gap;
        }

        _synced = true;
        _last = finalUpdateId;
        Applied++;
        return DiffDecision.Apply;
    }

    /// <summary>Every update of the message is already in the book (<paramref name="synced"/>: a message was applied since the snapshot).</summary>
    private protected abstract bool IsStale(long finalUpdateId, long last, bool synced);

    /// <summary>The message follows the book without a missing update.</summary>
    private protected abstract bool Continues(long firstUpdateId, long? previousFinalUpdateId, long last, bool synced);
}

/// <summary>The sequencing rule of a Crypto Lake market, by its exchange name (<c>cryptobook.exchange</c>).</summary>
public static class DepthSync
{
    /// <summary>Exchange names whose depth stream follows Binance's futures rule (<c>pu</c> chaining).</summary>
    public static readonly IReadOnlySet<string> FuturesExchanges = new HashSet<string>(StringComparer.Ordinal) { "BINANCE_FUTURES", "BINANCE_FUTURES_COIN" };

    public static bool IsFutures(string exchange) => FuturesExchanges.Contains(exchange);

    /// <summary>A new rule for <paramref name="exchange"/>: the futures rule for Binance futures markets, else the spot rule.</summary>
    public static IDepthSync For(string exchange) => IsFutures(exchange) ? new BinanceFuturesSync() : new BinanceSpotSync();
}
