namespace Backfill.Engine.Datasets.Spx.Parquet;

/// <summary>What one spx output file is: its trading date and where its data came from.</summary>
public sealed record SpxFileIdentity(DateOnly TradeDate, string Source, string ApiVersion);
