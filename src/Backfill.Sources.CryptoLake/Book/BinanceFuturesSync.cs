namespace Backfill.Sources.CryptoLake.Book;

/// <summary>
/// Binance USD-M (and COIN-M) futures' rule for a local book from <c>depthUpdate</c> messages (first id <c>U</c>, final
/// id <c>u</c>, the previous message's final id <c>pu</c>) and a REST snapshot (<c>lastUpdateId</c> L): drop
/// <c>u &lt; L</c>; the first applied message has <c>U ≤ L ≤ u</c>; each later one has <c>pu ==</c> the previous
/// <c>u</c>. Futures ids are not consecutive between messages (<c>U</c> of a message is usually far above the previous
/// <c>u + 1</c>), so the spot rule would call almost every futures message a gap. After a gap nothing applies until
/// the next snapshot.
/// </summary>
public sealed class BinanceFuturesSync : IDepthSync
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

        if (_synced ? finalUpdateId <= last : finalUpdateId < last)
        {
            Stale++;
            return DiffDecision.Stale;
        }

        var continues = _synced ? previousFinalUpdateId == last : firstUpdateId <= last;
        if (!continues)
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
}
