namespace Backfill.Sources.CryptoLake.Book;

/// <summary>
/// What a rebuild found: counts, the rebuilt-vs-vendor comparison at every snapshot, and clock skew. Distributions are
/// kept exactly (one value per snapshot or message) so percentiles are true order statistics.
/// </summary>
public sealed class BookQuality
{
    private readonly List<double> _deviationTicks = [];
    private readonly List<long> _skewMicros = [];
    private readonly long[] _gapsPerHour = new long[24];

    public long Messages { get; internal set; }

    public long DeltaRows { get; internal set; }

    /// <summary>Messages before the first usable snapshot (the book cannot be placed yet).</summary>
    public long UnseededMessages { get; internal set; }

    /// <summary>Messages whose sequence number is below the last applied one (dropped).</summary>
    public long OutOfOrderMessages { get; internal set; }

    /// <summary>Messages repeating the last applied sequence number, plus rows repeating a level inside one message.</summary>
    public long Duplicates { get; internal set; }

    /// <summary>Prices or sizes not on the grid (rounded to the nearest step).</summary>
    public long PrecisionLoss { get; internal set; }

    /// <summary>Messages after which best bid ≥ best ask.</summary>
    public long CrossedMessages { get; internal set; }

    public long Snapshots { get; internal set; }

    /// <summary>Vendor snapshots that are crossed themselves: not compared, not used to heal.</summary>
    public long CrossedSnapshots { get; internal set; }

    /// <summary>Snapshots that disagreed with the rebuilt book inside the region both know: a gap (missing or wrong updates) detected.</summary>
    public long Gaps { get; internal set; }

    /// <summary>Gaps repaired by loading that snapshot.</summary>
    public long GapsHealed { get; internal set; }

    /// <summary>Level differences (missing, extra, or other size) summed over all compared snapshots.</summary>
    public long LevelMismatches { get; internal set; }

    public IReadOnlyList<long> GapsPerHour => _gapsPerHour;

    /// <summary>|rebuilt mid − snapshot mid| in ticks, one value per compared snapshot.</summary>
    public IReadOnlyList<double> DeviationTicks => _deviationTicks;

    /// <summary>received_time − origin_time per message, microseconds (negative: the receiver's clock is behind).</summary>
    public IReadOnlyList<long> SkewMicros => _skewMicros;

    public double MaxDeviationTicks => _deviationTicks.Count == 0 ? 0 : _deviationTicks.Max();

    public static double Percentile<T>(IReadOnlyList<T> values, double p)
        where T : IConvertible
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return 0;
        }

        var sorted = values.Select(v => v.ToDouble(System.Globalization.CultureInfo.InvariantCulture)).Order().ToArray();
        var rank = (int)Math.Ceiling(p / 100 * sorted.Length) - 1;
        return sorted[Math.Clamp(rank, 0, sorted.Length - 1)];
    }

    internal void AddDeviation(double ticks) => _deviationTicks.Add(ticks);

    internal void AddSkew(long micros) => _skewMicros.Add(micros);

    internal void AddGap(long receivedNs)
    {
        Gaps++;
        _gapsPerHour[(int)(((receivedNs / 3_600_000_000_000L) % 24 + 24) % 24)]++;
    }
}
