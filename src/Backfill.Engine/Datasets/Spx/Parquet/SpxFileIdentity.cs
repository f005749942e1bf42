namespace Backfill.Engine.Datasets.Spx.Parquet;

/// <summary>What one option greeks file is: its trading date, where its data came from, and the dataset it belongs to.</summary>
/// <param name="Dataset">The dataset's name in the file's metadata (<c>spx</c>, or <c>options/SPY</c> for one root of the options family).</param>
public sealed record SpxFileIdentity(DateOnly TradeDate, string Source, string ApiVersion, string Dataset = SpxParquetMetadata.SpxDataset);
