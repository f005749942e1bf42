namespace Backfill.Engine.Datasets.Spx.Staging;

/// <summary>The sort key of a row within one sub-unit: (strike, right, ms_of_day).</summary>
internal readonly record struct RowKey(int Strike, byte Right, int MsOfDay) : IComparable<RowKey>
{
    public static RowKey At(GreeksColumnBatch batch, int index) => new(batch.Strike[index], batch.Right[index], batch.MsOfDay[index]);

    public int CompareTo(RowKey other)
    {
        var c = Strike.CompareTo(other.Strike);
        if (c != 0)
        {
            return c;
        }

        c = Right.CompareTo(other.Right);
        return c != 0 ? c : MsOfDay.CompareTo(other.MsOfDay);
    }

    public static bool operator <(RowKey left, RowKey right) => left.CompareTo(right) < 0;

    public static bool operator >(RowKey left, RowKey right) => left.CompareTo(right) > 0;

    public static bool operator <=(RowKey left, RowKey right) => left.CompareTo(right) <= 0;

    public static bool operator >=(RowKey left, RowKey right) => left.CompareTo(right) >= 0;
}

/// <summary>
/// What a slice parse learnt about key order: whether its rows are strictly increasing, and its first and last keys
/// (meaningless when the slice is empty).
/// </summary>
internal readonly record struct SliceKeys(bool Ordered, RowKey First, RowKey Last);
