namespace Backfill.Engine.Datasets.Spx.Parquet;

/// <summary>
/// Per-file data quality, computed while writing. A row is flagged when any check fails: bid &gt; ask, a negative
/// bid, ask or underlying price, |delta| &gt; 1, or implied volatility outside [0, 10]. NaN values fail the checks
/// they take part in. Bars a contract lacks against its product's session (<see cref="MissingBars"/>, counted only
/// when the writer is told how many bars to expect) count like flagged rows:
/// <see cref="Score"/> = 1 − (flagged + duplicates + missing) / (rows + duplicates + missing); 0 for an empty file.
/// </summary>
public sealed record QualityStats(
    long Rows,
    long DuplicatesDropped,
    long FlaggedRows,
    long BidAboveAsk,
    long NegativePrice,
    long DeltaOutOfRange,
    long ImpliedVolOutOfRange,
    double Score)
{
    /// <summary>Contracts (root, expiration, strike, right) in the file; 0 when completeness was not checked.</summary>
    public long Contracts { get; init; }

    /// <summary>Contracts with fewer bars than their session should have.</summary>
    public long ShortContracts { get; init; }

    /// <summary>Bars missing over all contracts against the expected count (extra bars are not counted).</summary>
    public long MissingBars { get; init; }
}
