namespace Backfill.Engine.Datasets.Spx.Parquet;

/// <summary>What <see cref="SpxParquetWriter"/> wrote: rows, the content checksum (also in the file) and quality.</summary>
public sealed record SpxParquetWriteResult(long RowCount, string ContentSha256, long DuplicatesDropped, int RowGroups, QualityStats Quality)
{
    /// <summary>1 when every staging file was in key order and streamed; 2 when some was not and the conversion started over.</summary>
    public int Passes { get; init; } = 1;
}
