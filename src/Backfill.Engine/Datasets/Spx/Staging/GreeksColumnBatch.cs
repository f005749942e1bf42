namespace Backfill.Engine.Datasets.Spx.Staging;

/// <summary>
/// The rows of one sub-unit in columns (root, expiration and trade date are the same for every row).
/// Arrays grow and are reused: a batch is pooled by the converter, never shared between two owners.
/// </summary>
internal sealed class GreeksColumnBatch
{
    public const int Bid = 0;
    public const int Ask = 1;
    public const int Delta = 2;
    public const int Theta = 3;
    public const int Vega = 4;
    public const int Rho = 5;
    public const int Epsilon = 6;
    public const int Lambda = 7;
    public const int ImpliedVol = 8;
    public const int IvError = 9;
    public const int UnderlyingPrice = 10;
    public const int DoubleColumns = 11;

    public GreeksColumnBatch(int capacity = 1024)
    {
        Capacity = Math.Max(capacity, 16);
        Strike = new int[Capacity];
        Right = new byte[Capacity];
        MsOfDay = new int[Capacity];
        MsOfDay2 = new int[Capacity];
        Doubles = new double[DoubleColumns][];
        for (var i = 0; i < DoubleColumns; i++)
        {
            Doubles[i] = new double[Capacity];
        }
    }

    private int[]? _intScratch;
    private byte[]? _byteScratch;
    private double[]? _doubleScratch;

    public int Count { get; set; }

    public int Capacity { get; private set; }

    public string Root { get; set; } = "";

    public DateOnly Expiration { get; set; }

    public DateOnly TradeDate { get; set; }

    /// <summary>Strike in thousandths of a dollar (the unscaled decimal(10,3)).</summary>
    public int[] Strike { get; private set; }

    /// <summary>ASCII 'C' or 'P'.</summary>
    public byte[] Right { get; private set; }

    public int[] MsOfDay { get; private set; }

    public int[] MsOfDay2 { get; private set; }

    /// <summary>Double columns indexed by the constants above.</summary>
    public double[][] Doubles { get; }

    public void Reset(string root, DateOnly expiration, DateOnly tradeDate)
    {
        Count = 0;
        Root = root;
        Expiration = expiration;
        TradeDate = tradeDate;
    }

    /// <summary>Grows to at least <paramref name="needed"/> rows (by a quarter at least, not doubling: batches are large).</summary>
    public void EnsureCapacity(int needed)
    {
        if (needed <= Capacity)
        {
            return;
        }

        var size = (int)Math.Min(Array.MaxLength, Math.Max(needed, Capacity + (Capacity / 4L)));
        Strike = Grow(Strike, size, Count);
        Right = Grow(Right, size, Count);
        MsOfDay = Grow(MsOfDay, size, Count);
        MsOfDay2 = Grow(MsOfDay2, size, Count);
        for (var i = 0; i < DoubleColumns; i++)
        {
            Doubles[i] = Grow(Doubles[i], size, Count);
        }

        Capacity = size;
    }

    /// <summary>
    /// Reorders rows in place: row i becomes old row <c>order[i]</c>, for the first <paramref name="count"/> rows.
    /// Uses one scratch column per element type (kept for the next call) instead of a second batch.
    /// </summary>
    public void Permute(ReadOnlySpan<int> order, int count)
    {
        Strike = Gather(Strike, ref _intScratch, order, count);
        MsOfDay = Gather(MsOfDay, ref _intScratch, order, count);
        MsOfDay2 = Gather(MsOfDay2, ref _intScratch, order, count);
        Right = Gather(Right, ref _byteScratch, order, count);
        for (var c = 0; c < DoubleColumns; c++)
        {
            Doubles[c] = Gather(Doubles[c], ref _doubleScratch, order, count);
        }

        Count = count;
    }

    private static T[] Gather<T>(T[] source, ref T[]? scratch, ReadOnlySpan<int> order, int count)
    {
        if (scratch is null || scratch.Length != source.Length)
        {
            scratch = GC.AllocateUninitializedArray<T>(source.Length);
        }

        var destination = scratch;
        for (var i = 0; i < count; i++)
        {
            destination[i] = source[order[i]];
        }

        scratch = source;
        return destination;
    }

    private static T[] Grow<T>(T[] old, int size, int count)
    {
        var next = GC.AllocateUninitializedArray<T>(size);
        Array.Copy(old, next, count);
        return next;
    }
}
