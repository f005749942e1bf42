using ParquetSharp;

namespace Backfill.Simulators.CryptoLake;

/// <summary>
/// Writes one Crypto Lake table file with the raw column names the bucket holds (cryptofeed's: <c>timestamp</c>,
/// <c>receipt_timestamp</c>, <c>amount</c>, <c>id</c>), nanosecond int64 times, snappy, one row group per
/// <see cref="RowGroupRows"/> rows so memory stays bounded for a full day.
/// </summary>
internal sealed class LakeParquetWriter : IDisposable
{
    public const int RowGroupRows = 256 * 1024;
    private readonly ParquetFileWriter _file;
    private readonly Column[] _columns;
    private readonly List<Array> _buffers = [];
    private int _count;

    public LakeParquetWriter(string path, Column[] columns)
    {
        _columns = columns;
        _file = new ParquetFileWriter(path, columns, Compression.Snappy);
        foreach (var column in columns)
        {
            _buffers.Add(Array.CreateInstance(column.LogicalSystemType, RowGroupRows));
        }
    }

    public long Rows { get; private set; }

    /// <summary>The buffer of column <paramref name="index"/>; fill slot <see cref="Next"/> then call <see cref="Commit"/>.</summary>
    public T[] Buffer<T>(int index) => (T[])_buffers[index];

    public int Next => _count;

    public void Commit()
    {
        _count++;
        Rows++;
        if (_count == RowGroupRows)
        {
            Flush();
        }
    }

    public void Dispose()
    {
        Flush();
        _file.Close();
        _file.Dispose();
    }

    private void Flush()
    {
        if (_count == 0)
        {
            return;
        }

        using var group = _file.AppendRowGroup();
        for (var c = 0; c < _columns.Length; c++)
        {
            using var writer = group.NextColumn();
            switch (_buffers[c])
            {
                case long[] longs:
                    using (var w = writer.LogicalWriter<long>())
                    {
                        w.WriteBatch(longs, 0, _count);
                    }

                    break;
                case double[] doubles:
                    using (var w = writer.LogicalWriter<double>())
                    {
                        w.WriteBatch(doubles, 0, _count);
                    }

                    break;
                case double?[] nullable:
                    using (var w = writer.LogicalWriter<double?>())
                    {
                        w.WriteBatch(nullable, 0, _count);
                    }

                    break;
                case bool[] bools:
                    using (var w = writer.LogicalWriter<bool>())
                    {
                        w.WriteBatch(bools, 0, _count);
                    }

                    break;
                case string[] strings:
                    using (var w = writer.LogicalWriter<string>())
                    {
                        w.WriteBatch(strings, 0, _count);
                    }

                    break;
                default:
                    throw new InvalidOperationException($"No writer for column {_columns[c].Name}.");
            }
        }

        _count = 0;
    }
}
