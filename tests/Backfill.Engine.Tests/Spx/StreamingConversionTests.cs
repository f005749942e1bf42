using Backfill.Tests.Shared;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;
using Backfill.Engine.Datasets.Spx.Parquet;
using Backfill.Engine.Datasets.Spx.Staging;
using ParquetSharp;

namespace Backfill.Engine.Tests.Spx;

/// <summary>
/// The converter streams ordered staging files in byte slices (bounded memory) and falls back to sorting a file in
/// memory when its rows are not in key order. These tests use tiny slices so that every boundary case occurs.
/// </summary>
public sealed class StreamingConversionTests
{
    private static readonly SpxFileIdentity Identity = new(TestRows.Day, "thetadata", "v2");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Slices_of_any_size_cover_every_line_exactly_once_in_file_order()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        var rows = OrderedRows("SPX", exp, strikes: 7, minutes: 9);
        await TestRows.WriteStagingAsync(dir.Path, "SPX", exp, rows, Ct);
        var file = GreeksStaging.ListComplete(dir.Path)[0];
        var length = new FileInfo(file.Path).Length;
        var whole = new GreeksColumnBatch();
        GreeksStagingReader.ReadInto(file, TestRows.Day, whole);

        foreach (var sliceBytes in new[] { 1, 2, 57, 199, 200, 201, 1000, 4096, (int)length - 1, (int)length, (int)length + 1 })
        {
            var strikes = new List<int>();
            var ms = new List<int>();
            var batch = new GreeksColumnBatch(16);
            RowKey? last = null;
            for (long start = 0; start < length; start += sliceBytes)
            {
                var keys = GreeksStagingReader.ReadSlice(file, start, Math.Min(length, start + sliceBytes), TestRows.Day, batch);
                Assert.True(keys.Ordered);
                if (batch.Count > 0)
                {
                    Assert.True(last is null || last.Value < keys.First);
                    Assert.Equal(RowKey.At(batch, 0), keys.First);
                    Assert.Equal(RowKey.At(batch, batch.Count - 1), keys.Last);
                    last = keys.Last;
                }

                strikes.AddRange(batch.Strike.AsSpan(0, batch.Count));
                ms.AddRange(batch.MsOfDay.AsSpan(0, batch.Count));
            }

            Assert.Equal(whole.Strike.AsSpan(0, whole.Count).ToArray(), strikes);
            Assert.Equal(whole.MsOfDay.AsSpan(0, whole.Count).ToArray(), ms);
        }
    }

    [Fact]
    public async Task A_slice_batch_stays_the_size_of_a_slice_however_large_the_file()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        await TestRows.WriteStagingAsync(dir.Path, "SPX", exp, OrderedRows("SPX", exp, strikes: 40, minutes: 100), Ct);
        var file = GreeksStaging.ListComplete(dir.Path)[0];
        var length = new FileInfo(file.Path).Length;
        var batch = new GreeksColumnBatch(16);
        var total = 0;
        for (long start = 0; start < length; start += 8192)
        {
            GreeksStagingReader.ReadSlice(file, start, Math.Min(length, start + 8192), TestRows.Day, batch);
            total += batch.Count;
        }

        Assert.Equal(8000, total);
        Assert.InRange(batch.Capacity, 1, 8192 / 100 * 2);
    }

    [Fact]
    public async Task Ordered_files_streamed_in_small_slices_give_the_rows_in_order_and_the_same_bytes_whatever_the_parallelism()
    {
        using var dir = new TempDirectory();
        var expected = await StageOrderedDayAsync(dir.Path);
        var files = GreeksStaging.ListComplete(dir.Path);

        var a = await new SpxParquetWriter(new SpxParquetWriterOptions { MaxRowGroupRows = 1024, ParseAhead = 1, SliceBytes = 3000 })
            .WriteAsync(files, dir.Combine("a.parquet"), Identity, Ct);
        var b = await new SpxParquetWriter(new SpxParquetWriterOptions { MaxRowGroupRows = 1024, ParseAhead = 4, SliceBytes = 3000 })
            .WriteAsync(files.Reverse().ToList(), dir.Combine("b.parquet"), Identity, Ct);

        Assert.Equal(expected, SpxParquetReader.ReadRows(dir.Combine("a.parquet")).ToList());
        Assert.Equal(a, b);
        Assert.Equal(File.ReadAllBytes(dir.Combine("a.parquet")), File.ReadAllBytes(dir.Combine("b.parquet")));
        Assert.Equal(0, a.DuplicatesDropped);
        Assert.Equal(1, a.Passes);
    }

    [Fact]
    public async Task Row_groups_hold_exactly_the_configured_rows_across_slices_and_files()
    {
        using var dir = new TempDirectory();
        var expected = await StageOrderedDayAsync(dir.Path);
        var output = dir.Combine("out.parquet");

        var result = await new SpxParquetWriter(new SpxParquetWriterOptions { MaxRowGroupRows = 1024, SliceBytes = 5000 })
            .WriteAsync(GreeksStaging.ListComplete(dir.Path), output, Identity, Ct);

        using var file = new ParquetFileReader(output);
        var groups = file.FileMetaData.NumRowGroups;
        Assert.Equal((expected.Count + 1023) / 1024, groups);
        Assert.Equal(groups, result.RowGroups);
        for (var g = 0; g < groups; g++)
        {
            using var rowGroup = file.RowGroup(g);
            Assert.Equal(g < groups - 1 ? 1024 : expected.Count - (1024 * (groups - 1)), rowGroup.MetaData.NumRows);
        }
    }

    [Fact]
    public async Task A_file_out_of_order_only_across_a_slice_boundary_is_sorted_and_its_duplicates_dropped()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        var ordered = OrderedRows("SPXW", exp, strikes: 6, minutes: 20);

        // Two ordered halves, the second starting below the first's end, then a duplicate of the first row.
        var shuffled = ordered.Skip(120).Concat(ordered.Take(120)).Append(ordered[0] with { Bid = 99 }).ToList();
        await TestRows.WriteStagingAsync(dir.Path, "SPXW", exp, shuffled, Ct);
        var other = OrderedRows("SPX", exp, strikes: 3, minutes: 20);
        await TestRows.WriteStagingAsync(dir.Path, "SPX", exp, other, Ct);

        // A slice boundary exactly where the second half starts: each slice on its own is in order.
        var sliceBytes = File.ReadLines(dir.Combine("SPXW-20240119.ndjson")).Take(120).Sum(line => line.Length + 1);
        var result = await new SpxParquetWriter(new SpxParquetWriterOptions { SliceBytes = sliceBytes })
            .WriteAsync(GreeksStaging.ListComplete(dir.Path), dir.Combine("out.parquet"), Identity, Ct);

        Assert.Equal(1, result.DuplicatesDropped);
        Assert.Equal(2, result.Passes);
        Assert.Equal(other.Count + ordered.Count, result.RowCount);
        Assert.Equal(other.Concat(ordered).ToList(), SpxParquetReader.ReadRows(dir.Combine("out.parquet")).ToList());
    }

    [Fact]
    public async Task A_bad_line_in_a_later_slice_is_reported_with_its_line_number_in_the_file()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        await TestRows.WriteStagingAsync(dir.Path, "SPX", exp, OrderedRows("SPX", exp, strikes: 4, minutes: 25), Ct);
        var path = dir.Combine("SPX-20240119.ndjson");
        var lines = File.ReadAllLines(path);
        lines[172] = lines[172][..60];
        await File.WriteAllTextAsync(path, string.Join('\n', lines) + "\n", Ct);

        var ex = await Assert.ThrowsAsync<FileCorruptionException>(
            () => new SpxParquetWriter(new SpxParquetWriterOptions { SliceBytes = 2000 }).WriteAsync(GreeksStaging.ListComplete(dir.Path), dir.Combine("out.parquet"), Identity, Ct));
        Assert.Contains("line 173:", ex.Message, StringComparison.Ordinal);
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_last_line_is_corruption_when_streaming()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        await TestRows.WriteStagingAsync(dir.Path, "SPX", exp, OrderedRows("SPX", exp, strikes: 2, minutes: 30), Ct);
        var path = dir.Combine("SPX-20240119.ndjson");
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        await File.WriteAllBytesAsync(path, bytes[..^1], Ct);

        var ex = await Assert.ThrowsAsync<FileCorruptionException>(
            () => new SpxParquetWriter(new SpxParquetWriterOptions { SliceBytes = 1500 }).WriteAsync(GreeksStaging.ListComplete(dir.Path), dir.Combine("out.parquet"), Identity, Ct));
        Assert.Contains("line 120:", ex.Message, StringComparison.Ordinal);
    }

    private static List<OptionGreeksRow> OrderedRows(string root, DateOnly expiration, int strikes, int minutes)
    {
        var rng = new Random(strikes * 1000 + minutes);
        var rows = new List<OptionGreeksRow>();
        for (var s = 0; s < strikes; s++)
        {
            foreach (var right in "CP")
            {
                for (var m = 0; m < minutes; m++)
                {
                    rows.Add(TestRows.Row(root, expiration, 4600_000 + (s * 5_000), right, 34_200_000 + (m * 60_000), Math.Round(rng.NextDouble(), 4)));
                }
            }
        }

        return rows;
    }

    /// <summary>Three ordered expirations (two roots) and an empty one; returns the rows in output order.</summary>
    private static async Task<List<OptionGreeksRow>> StageOrderedDayAsync(string directory)
    {
        var all = new List<OptionGreeksRow>();
        foreach (var (root, expiration, strikes) in new[] { ("SPX", new DateOnly(2024, 1, 19), 5), ("SPXW", new DateOnly(2024, 1, 2), 9), ("SPXW", new DateOnly(2024, 1, 3), 7) })
        {
            var rows = OrderedRows(root, expiration, strikes, minutes: 61);
            await TestRows.WriteStagingAsync(directory, root, expiration, rows, Ct);
            all.AddRange(rows);
        }

        await TestRows.WriteStagingAsync(directory, "SPXW", new DateOnly(2024, 1, 4), [], Ct);
        return all;
    }
}
