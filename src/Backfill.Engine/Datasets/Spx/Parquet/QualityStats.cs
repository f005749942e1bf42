namespace Backfill.Engine.Datasets.Spx.Parquet;

/// <summary>
/// Per-file data quality, computed while writing. A row is flagged when any check fails: bid &gt; ask, a negative
/// bid, ask or underlying price, |delta| &gt; 1, or implied volatility outside [0, 10]. NaN values fail the checks
/// they take part in. <see cref="Score"/> = 1 − (flagged + duplicates) / (rows + duplicates); 0 for an empty file.
/// </summary>
public sealed record QualityStats(
    long Rows,
    long DuplicatesDropped,
    long FlaggedRows,
    long BidAboveAsk,
    long NegativePrice,
    long DeltaOutOfRange,
    long ImpliedVolOutOfRange,
    double Score);
