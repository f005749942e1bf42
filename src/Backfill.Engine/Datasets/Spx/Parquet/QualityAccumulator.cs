using Backfill.Engine.Datasets.Spx.Staging;

namespace Backfill.Engine.Datasets.Spx.Parquet;

/// <summary>Counts the <see cref="QualityStats"/> checks over written batches.</summary>
internal sealed class QualityAccumulator
{
    private long _rows;
    private long _duplicates;
    private long _flagged;
    private long _bidAboveAsk;
    private long _negativePrice;
    private long _deltaOutOfRange;
    private long _ivOutOfRange;

    public void AddDuplicates(long count) => _duplicates += count;

    public void Add(GreeksColumnBatch batch, int start, int count)
    {
        var bid = batch.Doubles[GreeksColumnBatch.Bid];
        var ask = batch.Doubles[GreeksColumnBatch.Ask];
        var delta = batch.Doubles[GreeksColumnBatch.Delta];
        var iv = batch.Doubles[GreeksColumnBatch.ImpliedVol];
        var underlying = batch.Doubles[GreeksColumnBatch.UnderlyingPrice];
        for (var i = start; i < start + count; i++)
        {
            var flagged = false;
            if (!(bid[i] <= ask[i]))
            {
                _bidAboveAsk++;
                flagged = true;
            }

            if (!(bid[i] >= 0 && ask[i] >= 0 && underlying[i] >= 0))
            {
                _negativePrice++;
                flagged = true;
            }

            if (!(Math.Abs(delta[i]) <= 1))
            {
                _deltaOutOfRange++;
                flagged = true;
            }

            if (!(iv[i] >= 0 && iv[i] <= 10))
            {
                _ivOutOfRange++;
                flagged = true;
            }

            if (flagged)
            {
                _flagged++;
            }
        }

        _rows += count;
    }

    public QualityStats ToStats()
    {
        var denominator = _rows + _duplicates;
        var score = _rows == 0 ? 0.0 : 1.0 - ((double)(_flagged + _duplicates) / denominator);
        return new QualityStats(_rows, _duplicates, _flagged, _bidAboveAsk, _negativePrice, _deltaOutOfRange, _ivOutOfRange, score);
    }
}
