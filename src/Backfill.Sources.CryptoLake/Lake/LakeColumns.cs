using Backfill.Core.Errors;
using Backfill.Core.Text;
using ParquetSharp;

namespace Backfill.Sources.CryptoLake.Lake;

/// <summary>
/// Reads one row group's columns by name through the physical readers, so timestamps work whatever their logical
/// unit (stored as nanoseconds, as lakeapi expects; milli/micro-second units are scaled) and nullable columns keep
/// their nulls. Crypto Lake's raw cryptofeed names and lakeapi's renamed ones are both accepted.
/// </summary>
internal static class LakeColumns
{
    public static int Find(ParquetFileReader file, string table, params string[] names)
    {
        var schema = file.FileMetaData.Schema;
        foreach (var name in names)
        {
            var index = schema.ColumnIndex(name);
            if (index >= 0)
            {
                return index;
            }
        }

        throw new InvalidResponseException($"The {table} file has no column {string.Join(" or ", names)}; columns: {VendorText.Sanitize(string.Join(", ", Enumerable.Range(0, schema.NumColumns).Select(i => schema.Column(i).Name)))}.");
    }

    public static int FindOptional(ParquetFileReader file, params string[] names)
    {
        var schema = file.FileMetaData.Schema;
        foreach (var name in names)
        {
            var index = schema.ColumnIndex(name);
            if (index >= 0)
            {
                return index;
            }
        }

        return -1;
    }

    /// <summary>Nanoseconds since the epoch; <paramref name="present"/> false where null.</summary>
    public static void ReadNanos(RowGroupReader group, int column, int rows, long[] values, bool[] present)
    {
        using var reader = group.Column(column);
        var descriptor = reader.ColumnDescriptor;
        if (descriptor.PhysicalType == PhysicalType.Double)
        {
            var seconds = new double[rows];
            ReadDense((ColumnReader<double>)reader, rows, seconds, present);
            for (var i = 0; i < rows; i++)
            {
                values[i] = present[i] && double.IsFinite(seconds[i]) ? (long)Math.Round(seconds[i] * 1e9) : 0;
                present[i] &= double.IsFinite(seconds[i]);
            }

            return;
        }

        Expect(descriptor, PhysicalType.Int64);
        ReadDense((ColumnReader<long>)reader, rows, values, present);
        using var logical = descriptor.LogicalType;
        var scale = logical is TimestampLogicalType timestamp
            ? timestamp.TimeUnit switch
            {
                TimeUnit.Millis => 1_000_000L,
                TimeUnit.Micros => 1_000L,
                _ => 1L,
            }
            : 1L;
        if (scale != 1)
        {
            for (var i = 0; i < rows; i++)
            {
                values[i] *= scale;
            }
        }
    }

    public static void ReadInt64(RowGroupReader group, int column, int rows, long[] values, bool[] present)
    {
        using var reader = group.Column(column);
        if (reader.ColumnDescriptor.PhysicalType == PhysicalType.Int32)
        {
            var narrow = new int[rows];
            ReadDense((ColumnReader<int>)reader, rows, narrow, present);
            for (var i = 0; i < rows; i++)
            {
                values[i] = narrow[i];
            }

            return;
        }

        Expect(reader.ColumnDescriptor, PhysicalType.Int64);
        ReadDense((ColumnReader<long>)reader, rows, values, present);
    }

    public static void ReadDouble(RowGroupReader group, int column, int rows, double[] values, bool[] present)
    {
        using var reader = group.Column(column);
        if (reader.ColumnDescriptor.PhysicalType == PhysicalType.Float)
        {
            var narrow = new float[rows];
            ReadDense((ColumnReader<float>)reader, rows, narrow, present);
            for (var i = 0; i < rows; i++)
            {
                // float32 prices lose digits already at the vendor: decimal keeps what the float32 meant.
                values[i] = (double)(decimal)narrow[i];
            }

            return;
        }

        Expect(reader.ColumnDescriptor, PhysicalType.Double);
        ReadDense((ColumnReader<double>)reader, rows, values, present);
    }

    public static void ReadBool(RowGroupReader group, int column, int rows, bool[] values, bool[] present)
    {
        using var reader = group.Column(column);
        Expect(reader.ColumnDescriptor, PhysicalType.Boolean);
        ReadDense((ColumnReader<bool>)reader, rows, values, present);
    }

    public static string?[] ReadStrings(RowGroupReader group, int column, int rows)
    {
        using var reader = group.Column(column);
        if (reader.ColumnDescriptor.PhysicalType is PhysicalType.Int64 or PhysicalType.Int32)
        {
            var numbers = new long[rows];
            var present = new bool[rows];
            ReadInt64(group, column, rows, numbers, present);
            var text = new string?[rows];
            for (var i = 0; i < rows; i++)
            {
                text[i] = present[i] ? numbers[i].ToString(System.Globalization.CultureInfo.InvariantCulture) : null;
            }

            return text;
        }

        using var logical = reader.LogicalReader<string?>();
        return logical.ReadAll(rows);
    }

    private static void Expect(ColumnDescriptor descriptor, PhysicalType type)
    {
        if (descriptor.PhysicalType != type)
        {
            throw new InvalidResponseException($"Column '{VendorText.Sanitize(descriptor.Name, 64)}' is {descriptor.PhysicalType}, expected {type}.");
        }
    }

    /// <summary>Reads <paramref name="rows"/> values and spreads the dense non-null values back to their rows.</summary>
    private static void ReadDense<T>(ColumnReader<T> reader, int rows, T[] values, bool[] present)
        where T : unmanaged
    {
        var optional = reader.ColumnDescriptor.MaxDefinitionLevel > 0;
        var definitions = optional ? new short[rows] : null;
        var read = 0;
        var dense = 0;
        while (read < rows)
        {
            var levels = reader.ReadBatch(rows - read, definitions is null ? default : definitions.AsSpan(read), default, values.AsSpan(dense), out var valuesRead);
            if (levels == 0)
            {
                throw new InvalidResponseException($"Column '{VendorText.Sanitize(reader.ColumnDescriptor.Name, 64)}' ended after {read} of {rows} rows.");
            }

            read += (int)levels;
            dense += (int)valuesRead;
        }

        if (definitions is null)
        {
            Array.Fill(present, true, 0, rows);
            return;
        }

        for (int i = rows - 1, v = dense - 1; i >= 0; i--)
        {
            if (definitions[i] > 0)
            {
                values[i] = values[v--];
                present[i] = true;
            }
            else
            {
                values[i] = default;
                present[i] = false;
            }
        }
    }
}
