namespace Backfill.Storage.Parquet;

/// <summary>What <see cref="SpxParquetWriter"/> wrote: rows, the content checksum (also in the file) and quality.</summary>
public sealed record SpxParquetWriteResult(long RowCount, string ContentSha256, long DuplicatesDropped, int RowGroups, QualityStats Quality);
