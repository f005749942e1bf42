using ParquetSharp;
using ParquetSharp.Schema;

namespace Backfill.Engine.Datasets.Spx.Parquet;

/// <summary>The spx output schema: every column required, strike a decimal(10,3) stored as int64.</summary>
internal static class SpxParquetSchema
{
    public const int TradeDate = 0;
    public const int Root = 1;
    public const int Expiration = 2;
    public const int Strike = 3;
    public const int Right = 4;
    public const int MsOfDay = 5;
    public const int FirstDouble = 6; // bid .. iv_error: columns 6-15
    public const int MsOfDay2 = 16;
    public const int UnderlyingPrice = 17;
    public const int ColumnCount = 18;

    public static readonly string[] ColumnNames =
    [
        "trade_date", "root", "expiration", "strike", "right", "ms_of_day",
        "bid", "ask", "delta", "theta", "vega", "rho", "epsilon", "lambda", "implied_vol", "iv_error",
        "ms_of_day2", "underlying_price",
    ];

    public static GroupNode CreateSchema()
    {
        var nodes = new Node[ColumnCount];
        nodes[TradeDate] = Required("trade_date", LogicalType.Date(), PhysicalType.Int32);
        nodes[Root] = Required("root", LogicalType.String(), PhysicalType.ByteArray);
        nodes[Expiration] = Required("expiration", LogicalType.Date(), PhysicalType.Int32);
        nodes[Strike] = Required("strike", LogicalType.Decimal(10, 3), PhysicalType.Int64);
        nodes[Right] = Required("right", LogicalType.String(), PhysicalType.ByteArray);
        nodes[MsOfDay] = Required("ms_of_day", LogicalType.None(), PhysicalType.Int32);
        for (var i = FirstDouble; i < MsOfDay2; i++)
        {
            nodes[i] = Required(ColumnNames[i], LogicalType.None(), PhysicalType.Double);
        }

        nodes[MsOfDay2] = Required("ms_of_day2", LogicalType.None(), PhysicalType.Int32);
        nodes[UnderlyingPrice] = Required("underlying_price", LogicalType.None(), PhysicalType.Double);
        try
        {
            return new GroupNode("schema", Repetition.Required, nodes);
        }
        finally
        {
            foreach (var node in nodes)
            {
                node.Dispose();
            }
        }
    }

    /// <summary>zstd, dictionary encoding on every column (Arrow falls back to plain where a dictionary grows too big).</summary>
    public static WriterProperties CreateProperties(int compressionLevel)
    {
        using var builder = new WriterPropertiesBuilder();
        return builder
            .Compression(Compression.Zstd)
            .CompressionLevel(compressionLevel)
            .EnableDictionary()
            .CreatedBy("backfill (parquet-cpp-arrow 25)")
            .Build();
    }

    private static PrimitiveNode Required(string name, LogicalType logicalType, PhysicalType physicalType)
    {
        using (logicalType)
        {
            return new PrimitiveNode(name, Repetition.Required, logicalType, physicalType);
        }
    }
}
