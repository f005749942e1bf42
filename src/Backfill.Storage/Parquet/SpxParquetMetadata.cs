namespace Backfill.Storage.Parquet;

/// <summary>Key-value metadata keys every Backfill Parquet file carries, and the spx dataset's constants.</summary>
public static class SpxParquetMetadata
{
    public const string Dataset = "backfill.dataset";
    public const string Date = "backfill.date";
    public const string Source = "backfill.source";
    public const string ApiVersion = "backfill.api_version";
    public const string SchemaVersion = "backfill.schema_version";
    public const string RowCount = "backfill.row_count";
    public const string ContentSha256 = "backfill.content_sha256";
    public const string DuplicatesDropped = "backfill.duplicates_dropped";

    /// <summary>The dataset name written by <see cref="SpxParquetWriter"/>.</summary>
    public const string SpxDataset = "spx";

    /// <summary>Bumped whenever a column is added, removed, renamed or retyped.</summary>
    public const string SpxSchemaVersion = "1";
}
