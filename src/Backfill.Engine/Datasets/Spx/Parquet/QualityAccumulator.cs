using System.Runtime.InteropServices;
using Backfill.Engine.Datasets.Spx.Staging;

namespace Backfill.Engine.Datasets.Spx.Parquet;

/// <summary>
/// Counts the <see cref="QualityStats"/> checks over written batches, and with <paramref name="expectedBars"/> the bars
/// of each contract against the count its session should give (rows of one contract are consecutive in a batch).
/// </summary>
internal sealed class QualityAccumulator(Func<string, DateOnly, int>? expectedBars = null)
{
    private readonly Dictionary<(string Root, DateOnly Expiration, int Strike, byte Right), long>? _bars = expectedBars is null ? null : [];
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
        if (_bars is not null)
        {
            CountBars(batch, start, count);
        }
    }

    private void CountBars(GreeksColumnBatch batch, int start, int count)
    {
        var strike = batch.Strike;
        var right = batch.Right;
        var run = start;
        for (var i = start + 1; i <= start + count; i++)
        {
            if (i < start + count && strike[i] == strike[run] && right[i] == right[run])
            {
                continue;
            }

            ref var bars = ref CollectionsMarshal.GetValueRefOrAddDefault(_bars!, (batch.Root, batch.Expiration, strike[run], right[run]), out _);
            bars += i - run;
            run = i;
        }
    }

    public QualityStats ToStats()
    {
        long missing = 0, shortContracts = 0;
        if (_bars is not null)
        {
            var expected = new Dictionary<(string, DateOnly), int>();
            foreach (var ((root, expiration, _, _), bars) in _bars)
            {
                if (!expected.TryGetValue((root, expiration), out var want))
                {
                    want = expectedBars!(root, expiration);
                    expected[(root, expiration)] = want;
                }

                if (bars < want)
                {
                    missing += want - bars;
                    shortContracts++;
                }
            }
        }

        var denominator = _rows + _duplicates + missing;
        var score = _rows == 0 ? 0.0 : 1.0 - ((double)(_flagged + _duplicates + missing) / denominator);
        return new QualityStats(_rows, _duplicates, _flagged, _bidAboveAsk, _negativePrice, _deltaOutOfRange, _ivOutOfRange, score)
        {
            Contracts = _bars?.Count ?? 0,
            ShortContracts = shortContracts,
            MissingBars = missing,
        };
    }
}
