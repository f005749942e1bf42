namespace Backfill.Sources.CryptoLake.Book;

/// <summary>
/// Binance USD-M (and COIN-M) futures' rule for a local book from <c>depthUpdate</c> messages (first id <c>U</c>, final
/// id <c>u</c>, the previous message's final id <c>pu</c>) and a REST snapshot (<c>lastUpdateId</c> L): drop
/// <c>u &lt; L</c>; the first applied message has <c>U ≤ L ≤ u</c>; each later one has <c>pu ==</c> the previous
/// <c>u</c>. Futures ids are not consecutive between messages (<c>U</c> of a message is usually far above the previous
/// <c>u + 1</c>), so the spot rule would call almost every futures message a gap. After a gap nothing applies until
/// the next snapshot.
/// </summary>
public sealed class BinanceFuturesSync : DepthSyncRule
{
    private protected override bool IsStale(long finalUpdateId, long last, bool synced) => synced ? finalUpdateId <= last : finalUpdateId < last;

    private protected override bool Continues(long firstUpdateId, long? previousFinalUpdateId, long last, bool synced) =>
        synced ? previousFinalUpdateId == last : firstUpdateId <= last;
}
