using System.Buffers.Binary;
using System.Security.Cryptography;
using ParquetSharp;

namespace Backfill.Engine.Datasets.CryptoBook;

/// <summary>Kinds of row in a <c>crypto-book</c> file.</summary>
public static class CryptoBookEventType
{
    public const string Trade = "TRADE";
    public const string BookDelta = "BOOK_DELTA";
    public const string BookSnapshot = "BOOK_SNAPSHOT";
}

/// <summary>
/// Writes the unified event stream of one day: one row per trade, per book level change, and per top-N snapshot of the
/// rebuilt book, in arrival order. Prices are integer ticks and sizes integer lots (the file's metadata gives both
/// steps: price = price_ticks × backfill.tick_size). Row groups of <see cref="RowGroupRows"/> keep memory bounded.
/// <c>backfill.content_sha256</c> hashes every row's fields in order (little-endian, strings length-prefixed).
/// </summary>
internal sealed class CryptoBookEventWriter : IDisposable
{
    public const int RowGroupRows = 128 * 1024;
    public const string SchemaVersion = "1";
    public const string ContentSha256Key = "backfill.content_sha256";
    public const string RowCountKey = "backfill.row_count";

    private static readonly Column[] Columns =
    [
        new Column<long>("received_time_ns"),
        new Column<long>("origin_time_ns"),
        new Column<string>("event_type"),
        new Column<long?>("sequence_number"),
        new Column<string>("side"),
        new Column<long?>("price_ticks"),
        new Column<long?>("size_lots"),
        new Column<string>("trade_id"),
        new Column<string>("snapshot_reason"),
        new Column<long[]>("bid_price_ticks"),
        new Column<long[]>("bid_size_lots"),
        new Column<long[]>("ask_price_ticks"),
        new Column<long[]>("ask_size_lots"),
    ];

    private readonly ParquetFileWriter _file;
    private readonly Dictionary<string, string> _metadata;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly long[] _received = new long[RowGroupRows];
    private readonly long[] _origin = new long[RowGroupRows];
    private readonly string[] _type = new string[RowGroupRows];
    private readonly long?[] _sequence = new long?[RowGroupRows];
    private readonly string?[] _side = new string?[RowGroupRows];
    private readonly long?[] _price = new long?[RowGroupRows];
    private readonly long?[] _size = new long?[RowGroupRows];
    private readonly string?[] _tradeId = new string?[RowGroupRows];
    private readonly string?[] _reason = new string?[RowGroupRows];
    private readonly long[]?[] _bidPrices = new long[]?[RowGroupRows];
    private readonly long[]?[] _bidSizes = new long[]?[RowGroupRows];
    private readonly long[]?[] _askPrices = new long[]?[RowGroupRows];
    private readonly long[]?[] _askSizes = new long[]?[RowGroupRows];
    private readonly byte[] _scratch = new byte[64];
    private int _count;

    public CryptoBookEventWriter(string path, IReadOnlyDictionary<string, string> metadata)
    {
        using var properties = new WriterPropertiesBuilder().Compression(Compression.Zstd).Build();
        // ParquetSharp writes this dictionary at Close: the values known only at the end are filled in then.
        _metadata = new Dictionary<string, string>(metadata) { [ContentSha256Key] = string.Empty, [RowCountKey] = string.Empty };
        _file = new ParquetFileWriter(path, Columns, properties, _metadata);
    }

    public long Rows { get; private set; }

    public long Trades { get; private set; }

    public long Deltas { get; private set; }

    public long Snapshots { get; private set; }

    public void Trade(long received, long origin, string? tradeId, bool? buyer, long price, long size)
    {
        Trades++;
        Add(received, origin, CryptoBookEventType.Trade, null, buyer is null ? null : buyer.Value ? "buy" : "sell", price, size, tradeId, null, null, null, null, null);
    }

    public void Delta(long received, long origin, long sequence, bool isBid, long price, long size)
    {
        Deltas++;
        Add(received, origin, CryptoBookEventType.BookDelta, sequence, isBid ? "bid" : "ask", price, size, null, null, null, null, null, null);
    }

    public void Snapshot(long received, long origin, long? sequence, string reason, long[] bidPrices, long[] bidSizes, long[] askPrices, long[] askSizes)
    {
        Snapshots++;
        Add(received, origin, CryptoBookEventType.BookSnapshot, sequence, null, null, null, null, reason, bidPrices, bidSizes, askPrices, askSizes);
    }

    /// <summary>Writes the last row group and returns the content checksum; <paramref name="finalMetadata"/> (keys given empty at construction) goes to the footer.</summary>
    public string Finish(IReadOnlyDictionary<string, string> finalMetadata)
    {
        ArgumentNullException.ThrowIfNull(finalMetadata);
        Flush();
        var sha = Convert.ToHexStringLower(_hash.GetHashAndReset());
        foreach (var (key, value) in finalMetadata)
        {
            _metadata[key] = value;
        }

        _metadata[ContentSha256Key] = sha;
        _metadata[RowCountKey] = Rows.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _file.Close();
        return sha;
    }

    public void Dispose()
    {
        _file.Dispose();
        _hash.Dispose();
    }

    private void Add(long received, long origin, string type, long? sequence, string? side, long? price, long? size, string? tradeId, string? reason,
        long[]? bidPrices, long[]? bidSizes, long[]? askPrices, long[]? askSizes)
    {
        var i = _count;
        _received[i] = received;
        _origin[i] = origin;
        _type[i] = type;
        _sequence[i] = sequence;
        _side[i] = side;
        _price[i] = price;
        _size[i] = size;
        _tradeId[i] = tradeId;
        _reason[i] = reason;
        _bidPrices[i] = bidPrices;
        _bidSizes[i] = bidSizes;
        _askPrices[i] = askPrices;
        _askSizes[i] = askSizes;
        HashRow(i);
        _count++;
        Rows++;
        if (_count == RowGroupRows)
        {
            Flush();
        }
    }

    private void HashRow(int i) =>
        HashRow(_hash, _scratch, _received[i], _origin[i], _type[i], _sequence[i], _side[i], _price[i], _size[i], _tradeId[i], _reason[i],
            _bidPrices[i], _bidSizes[i], _askPrices[i], _askSizes[i]);

    /// <summary>Adds one row to the content checksum (<paramref name="scratch"/>: at least 40 bytes); <c>verify --deep</c> recomputes it the same way.</summary>
    internal static void HashRow(IncrementalHash hash, byte[] scratch, long received, long origin, string type, long? sequence, string? side, long? price,
        long? size, string? tradeId, string? reason, long[]? bidPrices, long[]? bidSizes, long[]? askPrices, long[]? askSizes)
    {
        var s = scratch.AsSpan();
        BinaryPrimitives.WriteInt64LittleEndian(s, received);
        BinaryPrimitives.WriteInt64LittleEndian(s[8..], origin);
        BinaryPrimitives.WriteInt64LittleEndian(s[16..], sequence ?? long.MinValue);
        BinaryPrimitives.WriteInt64LittleEndian(s[24..], price ?? long.MinValue);
        BinaryPrimitives.WriteInt64LittleEndian(s[32..], size ?? long.MinValue);
        hash.AppendData(s[..40]);
        foreach (var text in (ReadOnlySpan<string?>)[type, side, tradeId, reason])
        {
            var bytes = text is null ? [] : System.Text.Encoding.UTF8.GetBytes(text);
            BinaryPrimitives.WriteInt32LittleEndian(s, text is null ? -1 : bytes.Length);
            hash.AppendData(s[..4]);
            hash.AppendData(bytes);
        }

        foreach (var levels in (ReadOnlySpan<long[]?>)[bidPrices, bidSizes, askPrices, askSizes])
        {
            BinaryPrimitives.WriteInt32LittleEndian(s, levels?.Length ?? -1);
            hash.AppendData(s[..4]);
            foreach (var v in levels ?? [])
            {
                BinaryPrimitives.WriteInt64LittleEndian(s, v);
                hash.AppendData(s[..8]);
            }
        }
    }

    private void Flush()
    {
        if (_count == 0)
        {
            return;
        }

        using var group = _file.AppendRowGroup();
        Write(group, _received);
        Write(group, _origin);
        Write(group, _type);
        Write(group, _sequence);
        Write(group, _side);
        Write(group, _price);
        Write(group, _size);
        Write(group, _tradeId);
        Write(group, _reason);
        Write(group, _bidPrices);
        Write(group, _bidSizes);
        Write(group, _askPrices);
        Write(group, _askSizes);
        _count = 0;
    }

    private void Write<T>(RowGroupWriter group, T[] values)
    {
        using var column = group.NextColumn();
        using var writer = column.LogicalWriter<T>();
        writer.WriteBatch(values, 0, _count);
    }
}
