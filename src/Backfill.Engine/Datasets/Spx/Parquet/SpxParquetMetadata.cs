namespace Backfill.Engine.Datasets.Spx.Parquet;

/// <summary>The spx dataset's constants in its files' metadata (the keys are <see cref="Storage.Parquet.ParquetMetadataKeys"/>).</summary>
public static class SpxParquetMetadata
{
    /// <summary>The dataset name <see cref="SpxParquetWriter"/> writes unless the file's identity names another.</summary>
    public const string SpxDataset = Spx.SpxDataset.DatasetName;

    /// <summary>Bumped whenever a column is added, removed, renamed or retyped.</summary>
    public const string SpxSchemaVersion = "1";
}
