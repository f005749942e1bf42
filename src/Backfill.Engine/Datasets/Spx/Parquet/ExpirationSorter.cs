using System.Buffers;
using Backfill.Engine.Datasets.Spx.Staging;

namespace Backfill.Engine.Datasets.Spx.Parquet;

/// <summary>
/// Sorts one sub-unit's rows by (strike, right, ms_of_day) in place and drops exact key duplicates, keeping the
/// row that came first in the staging file (so the result does not depend on sort stability). Input that is
/// already strictly ordered (the usual case: the source delivers contracts in order) is detected in one pass and
/// left untouched.
/// </summary>
internal static class ExpirationSorter
{
    private const int MsBits = 27;   // 86,400,000 ms in a day < 2^27
    private const int RightBits = 8;
    private const long MaxPackedStrike = 1L << (63 - MsBits - RightBits);

    /// <returns>Number of duplicate rows dropped.</returns>
    public static int SortInPlace(GreeksColumnBatch batch)
    {
        var n = batch.Count;
        if (IsStrictlyOrdered(batch))
        {
            return 0;
        }

        var keys = ArrayPool<long>.Shared.Rent(Math.Max(n, 1));
        var order = ArrayPool<int>.Shared.Rent(Math.Max(n, 1));
        try
        {
            var packed = TryPack(batch, keys);
            for (var i = 0; i < n; i++)
            {
                order[i] = i;
            }

            if (packed)
            {
                Array.Sort(keys, order, 0, n);
            }
            else
            {
                Array.Sort(order, 0, n, new RowComparer(batch));
            }

            // Keep the first staged row of every run of equal keys.
            var kept = 0;
            var i2 = 0;
            while (i2 < n)
            {
                var best = order[i2];
                var j = i2 + 1;
                while (j < n && SameKey(batch, packed, keys, order, i2, j))
                {
                    best = Math.Min(best, order[j]);
                    j++;
                }

                order[kept++] = best;
                i2 = j;
            }

            batch.Permute(order.AsSpan(0, kept), kept);
            return n - kept;
        }
        finally
        {
            ArrayPool<long>.Shared.Return(keys);
            ArrayPool<int>.Shared.Return(order);
        }
    }

    private static bool IsStrictlyOrdered(GreeksColumnBatch batch)
    {
        var strike = batch.Strike;
        var right = batch.Right;
        var ms = batch.MsOfDay;
        for (var i = 1; i < batch.Count; i++)
        {
            var c = strike[i - 1].CompareTo(strike[i]);
            if (c == 0)
            {
                c = right[i - 1].CompareTo(right[i]);
                if (c == 0)
                {
                    c = ms[i - 1].CompareTo(ms[i]);
                }
            }

            if (c >= 0)
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameKey(GreeksColumnBatch raw, bool packed, long[] keys, int[] order, int a, int b) =>
        packed
            ? keys[a] == keys[b]
            : raw.Strike[order[a]] == raw.Strike[order[b]] && raw.Right[order[a]] == raw.Right[order[b]] && raw.MsOfDay[order[a]] == raw.MsOfDay[order[b]];

    private static bool TryPack(GreeksColumnBatch raw, long[] keys)
    {
        var strike = raw.Strike;
        var right = raw.Right;
        var ms = raw.MsOfDay;
        for (var i = 0; i < raw.Count; i++)
        {
            if (strike[i] < 0 || strike[i] >= MaxPackedStrike || (uint)ms[i] >= 1u << MsBits)
            {
                return false;
            }

            keys[i] = ((long)strike[i] << (MsBits + RightBits)) | ((long)right[i] << MsBits) | (uint)ms[i];
        }

        return true;
    }

    /// <summary>The general comparison, for strikes or times outside the packed key's range.</summary>
    private sealed class RowComparer(GreeksColumnBatch raw) : IComparer<int>
    {
        public int Compare(int x, int y)
        {
            var c = raw.Strike[x].CompareTo(raw.Strike[y]);
            if (c != 0)
            {
                return c;
            }

            c = raw.Right[x].CompareTo(raw.Right[y]);
            if (c != 0)
            {
                return c;
            }

            c = raw.MsOfDay[x].CompareTo(raw.MsOfDay[y]);
            return c != 0 ? c : x.CompareTo(y);
        }
    }
}
