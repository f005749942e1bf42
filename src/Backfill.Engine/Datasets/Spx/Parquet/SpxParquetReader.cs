using Backfill.Sources.ThetaData.Greeks;
using ParquetSharp;

namespace Backfill.Engine.Datasets.Spx.Parquet;

/// <summary>Reads an spx Parquet file back as rows, in file order, a bounded chunk at a time.</summary>
public static class SpxParquetReader
{
    private const int ChunkRows = 64 * 1024;

    /// <summary>Every row of the file; the file stays open until enumeration ends.</summary>
    public static IEnumerable<OptionGreeksRow> ReadRows(string path)
    {
        using var file = new ParquetFileReader(path);
        var rowGroups = file.FileMetaData.NumRowGroups;
        var tradeDate = new Date[ChunkRows];
        var root = new string[ChunkRows];
        var expiration = new Date[ChunkRows];
        var strike = new decimal[ChunkRows];
        var right = new string[ChunkRows];
        var ms = new int[ChunkRows];
        var ms2 = new int[ChunkRows];
        var doubles = new double[11][];
        for (var c = 0; c < doubles.Length; c++)
        {
            doubles[c] = new double[ChunkRows];
        }

        for (var g = 0; g < rowGroups; g++)
        {
            using var rowGroup = file.RowGroup(g);
            var remaining = rowGroup.MetaData.NumRows;
            using var c0 = rowGroup.Column(SpxParquetSchema.TradeDate).LogicalReader<Date>();
            using var c1 = rowGroup.Column(SpxParquetSchema.Root).LogicalReader<string>();
            using var c2 = rowGroup.Column(SpxParquetSchema.Expiration).LogicalReader<Date>();
            using var c3 = rowGroup.Column(SpxParquetSchema.Strike).LogicalReader<decimal>();
            using var c4 = rowGroup.Column(SpxParquetSchema.Right).LogicalReader<string>();
            using var c5 = rowGroup.Column(SpxParquetSchema.MsOfDay).LogicalReader<int>();
            using var c16 = rowGroup.Column(SpxParquetSchema.MsOfDay2).LogicalReader<int>();
            var doubleReaders = new LogicalColumnReader<double>[11];
            try
            {
                for (var c = 0; c < 10; c++)
                {
                    doubleReaders[c] = rowGroup.Column(SpxParquetSchema.FirstDouble + c).LogicalReader<double>();
                }

                doubleReaders[10] = rowGroup.Column(SpxParquetSchema.UnderlyingPrice).LogicalReader<double>();
                while (remaining > 0)
                {
                    var n = (int)Math.Min(remaining, ChunkRows);
                    Read(c0, tradeDate, n);
                    Read(c1, root, n);
                    Read(c2, expiration, n);
                    Read(c3, strike, n);
                    Read(c4, right, n);
                    Read(c5, ms, n);
                    Read(c16, ms2, n);
                    for (var c = 0; c < doubles.Length; c++)
                    {
                        Read(doubleReaders[c], doubles[c], n);
                    }

                    for (var i = 0; i < n; i++)
                    {
                        yield return new OptionGreeksRow(
                            DateOnly.FromDateTime(tradeDate[i].DateTime),
                            root[i],
                            DateOnly.FromDateTime(expiration[i].DateTime),
                            checked((int)(strike[i] * 1000m)),
                            right[i].Length == 1 ? right[i][0] : throw new InvalidDataException($"Right '{right[i]}' is not one letter."),
                            ms[i],
                            doubles[0][i],
                            doubles[1][i],
                            doubles[2][i],
                            doubles[3][i],
                            doubles[4][i],
                            doubles[5][i],
                            doubles[6][i],
                            doubles[7][i],
                            doubles[8][i],
                            doubles[9][i],
                            ms2[i],
                            doubles[10][i]);
                    }

                    remaining -= n;
                }
            }
            finally
            {
                foreach (var reader in doubleReaders)
                {
                    reader?.Dispose();
                }
            }
        }
    }

    private static void Read<T>(LogicalColumnReader<T> reader, T[] buffer, int count)
    {
        var read = 0;
        while (read < count)
        {
            var n = reader.ReadBatch(buffer.AsSpan(read, count - read));
            if (n == 0)
            {
                throw new InvalidDataException("Column ended before the row group's row count.");
            }

            read += n;
        }
    }
}
