using System.Buffers.Binary;
using System.Text;
using ZstdSharp;

namespace Backfill.Sources.Databento.Dbn;

/// <summary>
/// Streams a DBN file or HTTP body: the metadata header (versions 1 to 3), then one record at a time. A zstd-compressed
/// input (one or more frames, as <c>compression=zstd</c> responses and <c>.dbn.zst</c> files are) is detected by its
/// magic number and decompressed on the fly, so memory stays bounded by the largest record.
/// </summary>
/// <remarks>Format: github.com/databento/dbn (rust/dbn/src/decode/dbn, record.rs); see the vendor facts file.</remarks>
public sealed class DbnReader : IAsyncDisposable, IDisposable
{
    private static readonly byte[] ZstdMagic = [0x28, 0xB5, 0x2F, 0xFD];

    private readonly Stream _input;
    private readonly bool _leaveOpen;
    private readonly byte[] _buffer = new byte[1024];
    private Stream? _stream;
    private DbnMetadata? _metadata;

    /// <param name="input">The raw bytes: DBN, or zstd-compressed DBN.</param>
    /// <param name="leaveOpen">Leave <paramref name="input"/> open when this reader is disposed.</param>
    public DbnReader(Stream input, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(input);
        _input = input;
        _leaveOpen = leaveOpen;
    }

    /// <summary>The metadata, once <see cref="ReadMetadataAsync"/> has run.</summary>
    public DbnMetadata Metadata => _metadata ?? throw new InvalidOperationException("Read the metadata first.");

    /// <summary>Records decoded so far.</summary>
    public long RecordCount { get; private set; }

    /// <summary>Reads the prelude and metadata. Must be called once, before <see cref="ReadAsync"/>.</summary>
    /// <exception cref="DbnFormatException">Not DBN, an unsupported version, or a truncated header.</exception>
    public async ValueTask<DbnMetadata> ReadMetadataAsync(CancellationToken cancellationToken = default)
    {
        if (_metadata is not null)
        {
            return _metadata;
        }

        var head = new byte[8];
        var got = await ReadAtMostAsync(_input, head.AsMemory(0, 4), cancellationToken);
        if (got < 4)
        {
            throw new DbnFormatException($"The stream holds {got} byte(s); a DBN stream starts with at least 8.");
        }

        var prefix = head.AsSpan(0, 4).ToArray();
        if (prefix.AsSpan().SequenceEqual(ZstdMagic))
        {
            _stream = new BufferedStream(new DecompressionStream(new PrefixedStream(prefix, _input, _leaveOpen)), 1 << 16);
            await ReadExactAsync(head.AsMemory(0, 8), "prelude", cancellationToken);
        }
        else
        {
            _stream = new BufferedStream(new PrefixedStream(prefix, _input, _leaveOpen), 1 << 16);
            await ReadExactAsync(head.AsMemory(0, 8), "prelude", cancellationToken);
        }

        if (head[0] != (byte)'D' || head[1] != (byte)'B' || head[2] != (byte)'N')
        {
            throw new DbnFormatException(
                $"Not a DBN stream: it starts with 0x{Convert.ToHexString(head, 0, 4)} instead of 'DBN' (or a zstd frame).");
        }

        var version = head[3];
        if (version is < 1 or > DbnConstants.CurrentVersion)
        {
            throw new DbnFormatException($"DBN version {version} is not supported; this decoder reads versions 1 to {DbnConstants.CurrentVersion}.");
        }

        var length = BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(4));
        if (length < 100 || length > 256 * 1024 * 1024)
        {
            throw new DbnFormatException($"DBN metadata length {length} is implausible.");
        }

        var body = new byte[length];
        await ReadExactAsync(body, "metadata", cancellationToken);
        _metadata = ParseMetadata(version, body);
        return _metadata;
    }

    /// <summary>The next record, or null at the end of the stream.</summary>
    /// <exception cref="DbnFormatException">A record is truncated or shorter than its type requires.</exception>
    public async ValueTask<DbnRecord?> ReadAsync(CancellationToken cancellationToken = default)
    {
        if (_metadata is null)
        {
            await ReadMetadataAsync(cancellationToken);
        }

        var first = await ReadAtMostAsync(_stream!, _buffer.AsMemory(0, 1), cancellationToken);
        if (first == 0)
        {
            return null;
        }

        var length = _buffer[0] * 4;
        if (length < DbnRecordHeader.Size)
        {
            throw new DbnFormatException($"Record {RecordCount + 1} declares {length} bytes, less than its 16-byte header.");
        }

        await ReadExactAsync(_buffer.AsMemory(1, length - 1), $"record {RecordCount + 1}", cancellationToken);
        RecordCount++;
        return DecodeRecord(_buffer.AsSpan(0, length), _metadata!.Version);
    }

    /// <summary>Every remaining record.</summary>
    public async IAsyncEnumerable<DbnRecord> ReadAllAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (await ReadAsync(cancellationToken) is { } record)
        {
            yield return record;
        }
    }

    /// <summary>Decodes one complete record (header included) of DBN version <paramref name="version"/>.</summary>
    public static DbnRecord DecodeRecord(ReadOnlySpan<byte> record, byte version)
    {
        var header = new DbnRecordHeader(
            record[0] * 4,
            record[1],
            BinaryPrimitives.ReadUInt16LittleEndian(record[2..]),
            BinaryPrimitives.ReadUInt32LittleEndian(record[4..]),
            BinaryPrimitives.ReadUInt64LittleEndian(record[8..]));
        switch (header.RType)
        {
            case DbnRType.Ohlcv1S or DbnRType.Ohlcv1M or DbnRType.Ohlcv1H or DbnRType.Ohlcv1D or DbnRType.OhlcvEod:
                Require(record, DbnOhlcv.Size, "OHLCV");
                return new DbnOhlcv(header, I64(record, 16), I64(record, 24), I64(record, 32), I64(record, 40), U64(record, 48));
            case DbnRType.Trade:
                Require(record, DbnTrade.RecordSize, "trade");
                return new DbnTrade(header, I64(record, 16), U32(record, 24), (char)record[28], (char)record[29], record[30], record[31],
                    U64(record, 32), I32(record, 40), U32(record, 44));
            case DbnRType.Statistics when version >= 3:
                Require(record, DbnStat.SizeV3, "statistics");
                return new DbnStat(header, U64(record, 16), U64(record, 24), I64(record, 32), I64(record, 40), U32(record, 48), I32(record, 52),
                    (DbnStatType)U16(record, 56), U16(record, 58), record[60], record[61]);
            case DbnRType.Statistics:
                Require(record, DbnStat.SizeV1, "statistics");
                var quantity = I32(record, 40);
                return new DbnStat(header, U64(record, 16), U64(record, 24), I64(record, 32), quantity == int.MaxValue ? DbnStat.UndefinedQuantity : quantity,
                    U32(record, 44), I32(record, 48), (DbnStatType)U16(record, 52), U16(record, 54), record[56], record[57]);
            case DbnRType.Definition when version >= 3:
                Require(record, DbnDefinition.SizeV3, "definition");
                return new DbnDefinition(
                    header,
                    TsRecv: U64(record, 16),
                    MinPriceIncrement: I64(record, 24),
                    DisplayFactor: I64(record, 32),
                    Expiration: U64(record, 40),
                    Activation: U64(record, 48),
                    StrikePrice: I64(record, 104),
                    UnderlyingId: U32(record, 140),
                    ContractMultiplier: I32(record, 176),
                    MaturityYear: U16(record, 214),
                    Currency: CString(record.Slice(224, 4)),
                    RawSymbol: CString(record.Slice(238, 71)),
                    Group: CString(record.Slice(309, 21)),
                    Exchange: CString(record.Slice(330, 5)),
                    Asset: CString(record.Slice(335, 11)),
                    Cfi: CString(record.Slice(346, 7)),
                    SecurityType: CString(record.Slice(353, 7)),
                    UnitOfMeasure: CString(record.Slice(360, 31)),
                    Underlying: CString(record.Slice(391, 21)),
                    InstrumentClass: (char)record[487],
                    SecurityUpdateAction: (char)record[493],
                    MaturityMonth: record[494],
                    MaturityDay: record[495]);
            case DbnRType.Definition:
                throw new DbnFormatException(
                    $"Instrument definitions of DBN version {version} are not decoded (only version 3); request the data as DBN version 3.");
            default:
                return new DbnUnknownRecord(header);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stream is not null)
        {
            await _stream.DisposeAsync();
        }
        else if (!_leaveOpen)
        {
            await _input.DisposeAsync();
        }
    }

    public void Dispose()
    {
        if (_stream is not null)
        {
            _stream.Dispose();
        }
        else if (!_leaveOpen)
        {
            _input.Dispose();
        }
    }

    internal static DbnMetadata ParseMetadata(byte version, ReadOnlySpan<byte> body)
    {
        var reader = new SpanCursor(body);
        var dataset = CString(reader.Take(16));
        var schema = (DbnSchema)reader.U16();
        var start = reader.U64();
        var end = reader.U64();
        var limit = reader.U64();
        if (version == 1)
        {
            reader.U64(); // record_count, dropped in version 2
        }

        var stypeIn = (DbnSType)reader.U8();
        var stypeOut = (DbnSType)reader.U8();
        var tsOut = reader.U8() != 0;
        var cstr = DbnConstants.SymbolCstrLengthV1;
        if (version >= 2)
        {
            cstr = reader.U16();
            reader.Take(53);
        }
        else
        {
            reader.Take(47);
        }

        if (cstr is < 1 or > 1024)
        {
            throw new DbnFormatException($"DBN metadata declares a symbol width of {cstr}.");
        }

        var schemaDefinitionLength = reader.U32();
        if (schemaDefinitionLength != 0)
        {
            throw new DbnFormatException("DBN metadata with an embedded schema definition is not supported.");
        }

        var symbols = ReadSymbols(ref reader, cstr);
        var partial = ReadSymbols(ref reader, cstr);
        var notFound = ReadSymbols(ref reader, cstr);
        var mappingCount = reader.U32();
        var mappings = new List<DbnSymbolMapping>((int)Math.Min(mappingCount, 10_000));
        for (var i = 0; i < mappingCount; i++)
        {
            var raw = CString(reader.Take(cstr));
            var intervalCount = reader.U32();
            var intervals = new List<DbnMappingInterval>((int)Math.Min(intervalCount, 10_000));
            for (var j = 0; j < intervalCount; j++)
            {
                var startDate = FromYmd(reader.U32());
                var endDate = FromYmd(reader.U32());
                intervals.Add(new DbnMappingInterval(startDate, endDate, CString(reader.Take(cstr))));
            }

            mappings.Add(new DbnSymbolMapping(raw, intervals));
        }

        return new DbnMetadata
        {
            Version = version, Dataset = dataset, Schema = schema, Start = start, End = end, Limit = limit,
            STypeIn = stypeIn, STypeOut = stypeOut, TsOut = tsOut, Symbols = symbols, Partial = partial, NotFound = notFound, Mappings = mappings,
        };
    }

    private static List<string> ReadSymbols(ref SpanCursor reader, int cstr)
    {
        var count = reader.U32();
        var list = new List<string>((int)Math.Min(count, 10_000));
        for (var i = 0; i < count; i++)
        {
            list.Add(CString(reader.Take(cstr)));
        }

        return list;
    }

    private static DateOnly FromYmd(uint ymd)
    {
        try
        {
            return new DateOnly((int)(ymd / 10000), (int)(ymd / 100 % 100), (int)(ymd % 100));
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new DbnFormatException($"DBN metadata holds an invalid date {ymd}.", e);
        }
    }

    private static void Require(ReadOnlySpan<byte> record, int size, string what)
    {
        if (record.Length < size)
        {
            throw new DbnFormatException($"A {what} record is {record.Length} bytes; at least {size} are needed.");
        }
    }

    internal static string CString(ReadOnlySpan<byte> field)
    {
        var end = field.IndexOf((byte)0);
        return Encoding.ASCII.GetString(end < 0 ? field : field[..end]);
    }

    private static long I64(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadInt64LittleEndian(s[at..]);

    private static ulong U64(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt64LittleEndian(s[at..]);

    private static int I32(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadInt32LittleEndian(s[at..]);

    private static uint U32(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt32LittleEndian(s[at..]);

    private static ushort U16(ReadOnlySpan<byte> s, int at) => BinaryPrimitives.ReadUInt16LittleEndian(s[at..]);

    private async ValueTask ReadExactAsync(Memory<byte> target, string what, CancellationToken cancellationToken)
    {
        var got = await ReadAtMostAsync(_stream!, target, cancellationToken);
        if (got < target.Length)
        {
            throw new DbnFormatException($"The DBN stream ends inside the {what} ({got} of {target.Length} bytes).");
        }
    }

    private static async ValueTask<int> ReadAtMostAsync(Stream stream, Memory<byte> target, CancellationToken cancellationToken)
    {
        var total = 0;
        while (total < target.Length)
        {
            int n;
            try
            {
                n = await stream.ReadAsync(target[total..], cancellationToken);
            }
            catch (ZstdException e)
            {
                throw new DbnFormatException($"The zstd stream is corrupt: {e.Message}", e);
            }

            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private ref struct SpanCursor(ReadOnlySpan<byte> span)
    {
        private readonly ReadOnlySpan<byte> _span = span;
        private int _at;

        public ReadOnlySpan<byte> Take(int n)
        {
            if (_at + n > _span.Length)
            {
                throw new DbnFormatException($"The DBN metadata ends early (needs {_at + n} bytes, has {_span.Length}).");
            }

            var slice = _span.Slice(_at, n);
            _at += n;
            return slice;
        }

        public byte U8() => Take(1)[0];

        public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));

        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        public ulong U64() => BinaryPrimitives.ReadUInt64LittleEndian(Take(8));
    }
}
