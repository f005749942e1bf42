namespace Backfill.Sources.CryptoLake.Lake;

/// <summary>One <c>book_delta_v2</c> row: the new absolute size of one price level (0 deletes it).</summary>
/// <param name="SequenceNumber">The venue message's final update id (Binance <c>u</c>), shared by every row of the message.</param>
public readonly record struct LakeDelta(long SequenceNumber, long OriginTimeNs, long ReceivedTimeNs, bool IsBid, double Price, double Size);

/// <summary>One <c>trades</c> row; <paramref name="BuyerAggressor"/> is null when the side is missing or unknown.</summary>
public readonly record struct LakeTrade(long OriginTimeNs, long ReceivedTimeNs, string? TradeId, bool? BuyerAggressor, double Price, double Quantity);

/// <summary>
/// One <c>book</c> row: up to 20 levels a side, best first. A level whose price or size is null or not finite ends
/// that side (thin books).
/// </summary>
public sealed class LakeSnapshot(long sequenceNumber, long originTimeNs, long receivedTimeNs, double[] bidPrices, double[] bidSizes, double[] askPrices, double[] askSizes)
{
    public long SequenceNumber { get; } = sequenceNumber;

    public long OriginTimeNs { get; } = originTimeNs;

    public long ReceivedTimeNs { get; } = receivedTimeNs;

    public IReadOnlyList<double> BidPrices { get; } = bidPrices;

    public IReadOnlyList<double> BidSizes { get; } = bidSizes;

    public IReadOnlyList<double> AskPrices { get; } = askPrices;

    public IReadOnlyList<double> AskSizes { get; } = askSizes;
}

/// <summary>Rows read and rows refused (null field, non-finite or negative number) while reading files.</summary>
public sealed class LakeReadStats
{
    public long Rows { get; set; }

    public long Rejected { get; set; }

    /// <summary>Why the first refused row was refused, for the unit's message.</summary>
    public string? FirstRejection { get; set; }

    internal void Reject(string table, long row, string reason)
    {
        Rejected++;
        FirstRejection ??= $"{table} row {row}: {reason}";
    }
}
