using Backfill.Tests.Shared;
using Backfill.Storage.Parquet;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Engine.Datasets.Spx.Parquet;
using Backfill.Engine.Datasets.Spx.Staging;
using ParquetSharp;

namespace Backfill.Engine.Tests.Spx;

public sealed class SpxParquetWriterTests
{
    private static readonly SpxFileIdentity Identity = new(TestRows.Day, "thetadata", "v2");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Output_is_sorted_by_root_expiration_strike_right_time_and_values_read_back_exactly()
    {
        using var dir = new TempDirectory();
        await TestRows.StageDayAsync(dir.Path, Ct);
        var staged = await ReadStagedAsync(dir.Path);
        var output = dir.Combine("out.parquet");

        var result = await new SpxParquetWriter(new SpxParquetWriterOptions { MaxRowGroupRows = 1024 }).WriteAsync(GreeksStaging.ListComplete(dir.Path), output, Identity, Ct);

        var rows = SpxParquetReader.ReadRows(output).ToList();
        Assert.Equal(staged.Count, rows.Count);
        Assert.Equal(rows.Count, result.RowCount);
        Assert.True(result.RowGroups > 1);
        var expected = staged
            .OrderBy(r => r.Root, StringComparer.Ordinal).ThenBy(r => r.Expiration).ThenBy(r => r.StrikeMilli).ThenBy(r => r.Right).ThenBy(r => r.MsOfDay)
            .ToList();
        Assert.Equal(expected, rows);
        Assert.Equal("SPX", rows[0].Root);
    }

    [Fact]
    public async Task Duplicate_keys_are_dropped_counted_and_the_first_staged_row_kept()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        var first = TestRows.Row("SPX", exp, 4700_000, 'C', 100, 0.25);
        await TestRows.WriteStagingAsync(dir.Path, "SPX", exp, [first, TestRows.Row("SPX", exp, 4700_000, 'P', 100), first with { Bid = 9 }, first with { Bid = 8 }], Ct);

        var result = await new SpxParquetWriter().WriteAsync(GreeksStaging.ListComplete(dir.Path), dir.Combine("out.parquet"), Identity, Ct);

        Assert.Equal(2, result.DuplicatesDropped);
        Assert.Equal(2, result.RowCount);
        Assert.Equal(2, result.Quality.DuplicatesDropped);
        var rows = SpxParquetReader.ReadRows(dir.Combine("out.parquet")).ToList();
        Assert.Equal(first, rows[0]);
        Assert.Equal("2", Metadata(dir.Combine("out.parquet"))[ParquetMetadataKeys.DuplicatesDropped]);
    }

    [Fact]
    public async Task Metadata_holds_identity_row_count_and_content_checksum()
    {
        using var dir = new TempDirectory();
        await TestRows.StageDayAsync(dir.Path, Ct);
        var output = dir.Combine("out.parquet");

        var result = await new SpxParquetWriter().WriteAsync(GreeksStaging.ListComplete(dir.Path), output, Identity, Ct);

        var metadata = Metadata(output);
        Assert.Equal("spx", metadata[ParquetMetadataKeys.Dataset]);
        Assert.Equal("2024-01-02", metadata[ParquetMetadataKeys.Date]);
        Assert.Equal("thetadata", metadata[ParquetMetadataKeys.Source]);
        Assert.Equal("v2", metadata[ParquetMetadataKeys.ApiVersion]);
        Assert.Equal("1", metadata[ParquetMetadataKeys.SchemaVersion]);
        Assert.Equal(result.RowCount.ToString(System.Globalization.CultureInfo.InvariantCulture), metadata[ParquetMetadataKeys.RowCount]);
        Assert.Equal(result.ContentSha256, metadata[ParquetMetadataKeys.ContentSha256]);
        Assert.Equal(64, result.ContentSha256.Length);
    }

    [Fact]
    public async Task Same_staging_input_gives_byte_identical_files()
    {
        using var dir = new TempDirectory();
        await TestRows.StageDayAsync(dir.Path, Ct);
        var files = GreeksStaging.ListComplete(dir.Path);

        var a = await new SpxParquetWriter().WriteAsync(files, dir.Combine("a.parquet"), Identity, Ct);
        var b = await new SpxParquetWriter(new SpxParquetWriterOptions { ParseAhead = 1 }).WriteAsync(files.Reverse().ToList(), dir.Combine("b.parquet"), Identity, Ct);

        Assert.Equal(a, b);
        Assert.Equal(File.ReadAllBytes(dir.Combine("a.parquet")), File.ReadAllBytes(dir.Combine("b.parquet")));
    }

    [Fact]
    public async Task Low_cardinality_columns_are_dictionary_encoded_and_compressed_with_zstd()
    {
        using var dir = new TempDirectory();
        await TestRows.StageDayAsync(dir.Path, Ct);
        var output = dir.Combine("out.parquet");
        await new SpxParquetWriter().WriteAsync(GreeksStaging.ListComplete(dir.Path), output, Identity, Ct);

        using var file = new ParquetFileReader(output);
        using var rowGroup = file.RowGroup(0);
        foreach (var column in new[] { SpxParquetSchema.TradeDate, SpxParquetSchema.Root, SpxParquetSchema.Expiration, SpxParquetSchema.Right })
        {
            using var chunk = rowGroup.MetaData.GetColumnChunkMetaData(column);
            Assert.Contains(chunk.Encodings, e => e is Encoding.RleDictionary or Encoding.PlainDictionary);
            Assert.Equal(Compression.Zstd, chunk.Compression);
        }

        var schema = file.FileMetaData.Schema;
        Assert.Equal(Repetition.Required, schema.Column(SpxParquetSchema.Root).SchemaNode.Repetition);
        using var strikeType = schema.Column(SpxParquetSchema.Strike).LogicalType;
        var dec = Assert.IsType<DecimalLogicalType>(strikeType);
        Assert.Equal((10, 3), (dec.Precision, dec.Scale));
    }

    [Fact]
    public async Task Quality_stats_flag_out_of_range_rows()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        var good = TestRows.Row("SPX", exp, 4700_000, 'C', 1);
        await TestRows.WriteStagingAsync(
            dir.Path,
            "SPX",
            exp,
            [good, good with { MsOfDay = 2, Bid = 5, Ask = 4 }, good with { MsOfDay = 3, Delta = -1.5 }, good with { MsOfDay = 4, ImpliedVol = 11 }, good with { MsOfDay = 5, Bid = -1 }],
            Ct);

        var result = await new SpxParquetWriter().WriteAsync(GreeksStaging.ListComplete(dir.Path), dir.Combine("out.parquet"), Identity, Ct);

        var q = result.Quality;
        Assert.Equal((5L, 4L, 1L, 1L, 1L, 1L), (q.Rows, q.FlaggedRows, q.BidAboveAsk, q.NegativePrice, q.DeltaOutOfRange, q.ImpliedVolOutOfRange));
        Assert.Equal(0.2, q.Score, 10);
    }

    [Fact]
    public async Task Row_from_another_expiration_in_a_staging_file_is_rejected()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        await TestRows.WriteStagingAsync(dir.Path, "SPX", exp, [TestRows.Row("SPX", exp.AddDays(1), 4700_000, 'C', 1)], Ct);

        await Assert.ThrowsAsync<Backfill.Core.Errors.FileCorruptionException>(
            () => new SpxParquetWriter().WriteAsync(GreeksStaging.ListComplete(dir.Path), dir.Combine("out.parquet"), Identity, Ct));
    }

    internal static IReadOnlyDictionary<string, string> Metadata(string path)
    {
        using var file = new ParquetFileReader(path);
        return file.FileMetaData.KeyValueMetadata;
    }

    private static async Task<List<OptionGreeksRow>> ReadStagedAsync(string directory)
    {
        var rows = new List<OptionGreeksRow>();
        foreach (var file in GreeksStaging.ListComplete(directory))
        {
            await foreach (var row in GreeksStagingReader.ReadAllAsync(file.Path, Ct))
            {
                rows.Add(row);
            }
        }

        return rows;
    }
}
