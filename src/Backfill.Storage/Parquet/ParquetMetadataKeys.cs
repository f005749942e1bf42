namespace Backfill.Storage.Parquet;

/// <summary>Key-value metadata keys every Backfill Parquet file carries, whatever its dataset.</summary>
public static class ParquetMetadataKeys
{
    public const string Dataset = "backfill.dataset";
    public const string Date = "backfill.date";
    public const string Source = "backfill.source";
    public const string ApiVersion = "backfill.api_version";
    public const string SchemaVersion = "backfill.schema_version";
    public const string RowCount = "backfill.row_count";
    public const string ContentSha256 = "backfill.content_sha256";
    public const string DuplicatesDropped = "backfill.duplicates_dropped";
}
