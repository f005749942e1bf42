namespace Backfill.Sources.CryptoLake.Book;

/// <summary>What to do with one Binance depth-diff message.</summary>
public enum DiffDecision
{
    /// <summary>Apply it: it continues the book.</summary>
    Apply,

    /// <summary>Drop it: every update in it is already in the book (<c>u</c> ≤ the last applied id).</summary>
    Stale,

    /// <summary>Updates are missing between the book and this message: the book must be re-seeded from a snapshot.</summary>
    Gap,

    /// <summary>No snapshot yet: the message cannot be placed.</summary>
    Unseeded,
}

/// <summary>
/// Binance spot's rule for a local book from <c>depthUpdate</c> messages (first id <c>U</c>, final id <c>u</c>) and a
/// REST snapshot (<c>lastUpdateId</c> L): drop <c>u ≤ L</c>; the first applied message has <c>U ≤ L+1 ≤ u</c>; each
/// later one has <c>U == previous u + 1</c>. After a gap nothing applies until the next snapshot.
/// </summary>
public sealed class BinanceSpotSync : DepthSyncRule
{
    /// <summary>Spot messages carry no <c>pu</c>; continuity is <c>U == previous u + 1</c>.</summary>
    public DiffDecision Decide(long firstUpdateId, long finalUpdateId) => Decide(firstUpdateId, finalUpdateId, null);

    private protected override bool IsStale(long finalUpdateId, long last, bool synced) => finalUpdateId <= last;

    private protected override bool Continues(long firstUpdateId, long? previousFinalUpdateId, long last, bool synced) =>
        synced ? firstUpdateId == last + 1 : firstUpdateId <= last + 1;
}
