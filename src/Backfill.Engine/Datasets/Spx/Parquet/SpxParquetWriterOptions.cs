namespace Backfill.Engine.Datasets.Spx.Parquet;

/// <summary>Tuning of <see cref="SpxParquetWriter"/>; the defaults keep peak memory well under 300 MB.</summary>
public sealed record SpxParquetWriterOptions
{
    /// <summary>Rows per row group (a row group is buffered compressed in memory until it is closed).</summary>
    public int MaxRowGroupRows { get; init; } = 512 * 1024;

    /// <summary>zstd level.</summary>
    public int CompressionLevel { get; init; } = 3;

    /// <summary>Staging slices parsed ahead of the writer (and in parallel with each other).</summary>
    public int ParseAhead { get; init; } = 2;

    /// <summary>
    /// Bars each contract (root, expiration) should have on the file's date, for the quality score's completeness
    /// check (<see cref="QualityStats.MissingBars"/>); null skips the check. It never changes the file's bytes.
    /// </summary>
    public Func<string, DateOnly, int>? ExpectedBarsPerContract { get; init; }

    /// <summary>Bytes of staging NDJSON per parsed slice (tests use small slices to cross many boundaries).</summary>
    internal int SliceBytes { get; init; } = 4 << 20;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRowGroupRows, 1024);
        ArgumentOutOfRangeException.ThrowIfLessThan(ParseAhead, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(CompressionLevel, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(SliceBytes, 1);
    }
}
