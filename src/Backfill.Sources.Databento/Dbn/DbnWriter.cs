using System.Buffers.Binary;
using System.Text;
using ZstdSharp;

namespace Backfill.Sources.Databento.Dbn;

/// <summary>
/// Encodes a DBN stream: metadata (version 1, 2 or 3) then records. Used by the Databento simulator and by tests;
/// the layout mirrors <see cref="DbnReader"/> field by field. Definitions are written in the version 3 layout only.
/// </summary>
public sealed class DbnWriter : IDisposable, IAsyncDisposable
{
    private readonly Stream _output;
    private readonly bool _leaveOpen;
    private readonly byte[] _buffer = new byte[DbnDefinition.SizeV3];
    private readonly byte _version;

    /// <param name="output">Where bytes go.</param>
    /// <param name="metadata">Written at once; its <see cref="DbnMetadata.Version"/> selects the layout.</param>
    /// <param name="zstdLevel">When set, the stream is zstd-compressed at this level (one frame).</param>
    public DbnWriter(Stream output, DbnMetadata metadata, int? zstdLevel = null, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(metadata);
        if (metadata.Version is < 1 or > DbnConstants.CurrentVersion)
        {
            throw new ArgumentException($"DBN version {metadata.Version} cannot be written.", nameof(metadata));
        }

        _version = metadata.Version;
        _leaveOpen = leaveOpen;
        _output = zstdLevel is { } level ? new CompressionStream(output, level, leaveOpen: leaveOpen) : output;
        var bytes = EncodeMetadata(metadata);
        _output.Write(bytes);
    }

    public long RecordCount { get; private set; }

    /// <summary>The metadata block (prelude included) as bytes.</summary>
    public static byte[] EncodeMetadata(DbnMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var version = metadata.Version;
        var cstr = version == 1 ? DbnConstants.SymbolCstrLengthV1 : DbnConstants.SymbolCstrLength;
        using var body = new MemoryStream();
        var scratch = new byte[8];
        void Put(ReadOnlySpan<byte> s) => body.Write(s);
        void PutU16(ushort v) { BinaryPrimitives.WriteUInt16LittleEndian(scratch, v); Put(scratch.AsSpan(0, 2)); }
        void PutU32(uint v) { BinaryPrimitives.WriteUInt32LittleEndian(scratch, v); Put(scratch.AsSpan(0, 4)); }
        void PutU64(ulong v) { BinaryPrimitives.WriteUInt64LittleEndian(scratch, v); Put(scratch.AsSpan(0, 8)); }
        void PutCString(string s, int width) => Put(CString(s, width));

        PutCString(metadata.Dataset, 16);
        PutU16((ushort)metadata.Schema);
        PutU64(metadata.Start);
        PutU64(metadata.End);
        PutU64(metadata.Limit);
        if (version == 1)
        {
            PutU64(0);
        }

        body.WriteByte((byte)metadata.STypeIn);
        body.WriteByte((byte)metadata.STypeOut);
        body.WriteByte(metadata.TsOut ? (byte)1 : (byte)0);
        if (version >= 2)
        {
            PutU16((ushort)cstr);
            Put(new byte[53]);
        }
        else
        {
            Put(new byte[47]);
        }

        PutU32(0); // schema definition length
        foreach (var list in new[] { metadata.Symbols, metadata.Partial, metadata.NotFound })
        {
            PutU32((uint)list.Count);
            foreach (var symbol in list)
            {
                PutCString(symbol, cstr);
            }
        }

        PutU32((uint)metadata.Mappings.Count);
        foreach (var mapping in metadata.Mappings)
        {
            PutCString(mapping.RawSymbol, cstr);
            PutU32((uint)mapping.Intervals.Count);
            foreach (var interval in mapping.Intervals)
            {
                PutU32(Ymd(interval.StartDate));
                PutU32(Ymd(interval.EndDate));
                PutCString(interval.Symbol, cstr);
            }
        }

        if (version >= 3)
        {
            while ((8 + body.Length) % 8 != 0)
            {
                body.WriteByte(0);
            }
        }

        var result = new byte[8 + body.Length];
        "DBN"u8.CopyTo(result);
        result[3] = version;
        BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(4), (uint)body.Length);
        body.ToArray().CopyTo(result, 8);
        return result;
    }

    public void Write(DbnRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var length = Encode(record, _buffer, _version);
        _output.Write(_buffer, 0, length);
        RecordCount++;
    }

    /// <summary>Encodes one record into <paramref name="buffer"/> (at least 520 bytes); returns its length.</summary>
    public static int Encode(DbnRecord record, Span<byte> buffer, byte version = DbnConstants.CurrentVersion)
    {
        ArgumentNullException.ThrowIfNull(record);
        int size;
        byte rtype;
        switch (record)
        {
            case DbnOhlcv bar:
                size = DbnOhlcv.Size;
                rtype = bar.Header.RType is DbnRType.Ohlcv1S or DbnRType.Ohlcv1M or DbnRType.Ohlcv1H or DbnRType.OhlcvEod ? bar.Header.RType : DbnRType.Ohlcv1D;
                buffer[..size].Clear();
                I64(buffer, 16, bar.Open);
                I64(buffer, 24, bar.High);
                I64(buffer, 32, bar.Low);
                I64(buffer, 40, bar.Close);
                U64(buffer, 48, bar.Volume);
                break;
            case DbnTrade t:
                size = DbnTrade.RecordSize;
                rtype = DbnRType.Trade;
                buffer[..size].Clear();
                I64(buffer, 16, t.Price);
                U32(buffer, 24, t.Size);
                buffer[28] = (byte)t.Action;
                buffer[29] = (byte)t.Side;
                buffer[30] = t.Flags;
                buffer[31] = t.Depth;
                U64(buffer, 32, t.TsRecv);
                I32(buffer, 40, t.TsInDelta);
                U32(buffer, 44, t.Sequence);
                break;
            case DbnStat s when version >= 3:
                size = DbnStat.SizeV3;
                rtype = DbnRType.Statistics;
                buffer[..size].Clear();
                U64(buffer, 16, s.TsRecv);
                U64(buffer, 24, s.TsRef);
                I64(buffer, 32, s.Price);
                I64(buffer, 40, s.Quantity);
                U32(buffer, 48, s.Sequence);
                I32(buffer, 52, s.TsInDelta);
                U16(buffer, 56, (ushort)s.StatType);
                U16(buffer, 58, s.ChannelId);
                buffer[60] = s.UpdateAction;
                buffer[61] = s.StatFlags;
                break;
            case DbnStat s:
                size = DbnStat.SizeV1;
                rtype = DbnRType.Statistics;
                buffer[..size].Clear();
                U64(buffer, 16, s.TsRecv);
                U64(buffer, 24, s.TsRef);
                I64(buffer, 32, s.Price);
                I32(buffer, 40, s.Quantity == DbnStat.UndefinedQuantity ? int.MaxValue : checked((int)s.Quantity));
                U32(buffer, 44, s.Sequence);
                I32(buffer, 48, s.TsInDelta);
                U16(buffer, 52, (ushort)s.StatType);
                U16(buffer, 54, s.ChannelId);
                buffer[56] = s.UpdateAction;
                buffer[57] = s.StatFlags;
                break;
            case DbnDefinition d:
                if (version < 3)
                {
                    throw new ArgumentException("Definitions are written in the DBN version 3 layout only.", nameof(version));
                }

                size = DbnDefinition.SizeV3;
                rtype = DbnRType.Definition;
                buffer[..size].Clear();
                U64(buffer, 16, d.TsRecv);
                I64(buffer, 24, d.MinPriceIncrement);
                I64(buffer, 32, d.DisplayFactor);
                U64(buffer, 40, d.Expiration);
                U64(buffer, 48, d.Activation);
                for (var at = 56; at < 104; at += 8)
                {
                    I64(buffer, at, DbnConstants.UndefinedPrice); // limits, reference prices: not known
                }

                I64(buffer, 104, d.StrikePrice);
                U32(buffer, 140, d.UnderlyingId);
                I32(buffer, 176, d.ContractMultiplier);
                U16(buffer, 214, d.MaturityYear);
                CString(d.Currency, 4).CopyTo(buffer[224..]);
                CString(d.RawSymbol, 71).CopyTo(buffer[238..]);
                CString(d.Group, 21).CopyTo(buffer[309..]);
                CString(d.Exchange, 5).CopyTo(buffer[330..]);
                CString(d.Asset, 11).CopyTo(buffer[335..]);
                CString(d.Cfi, 7).CopyTo(buffer[346..]);
                CString(d.SecurityType, 7).CopyTo(buffer[353..]);
                CString(d.UnitOfMeasure, 31).CopyTo(buffer[360..]);
                CString(d.Underlying, 21).CopyTo(buffer[391..]);
                buffer[487] = (byte)d.InstrumentClass;
                buffer[493] = (byte)d.SecurityUpdateAction;
                buffer[494] = d.MaturityMonth;
                buffer[495] = d.MaturityDay;
                break;
            default:
                throw new ArgumentException($"{record.GetType().Name} cannot be encoded.", nameof(record));
        }

        buffer[0] = (byte)(size / 4);
        buffer[1] = rtype;
        U16(buffer, 2, record.Header.PublisherId);
        U32(buffer, 4, record.Header.InstrumentId);
        U64(buffer, 8, record.Header.TsEvent);
        return size;
    }

    public void Dispose()
    {
        if (!_leaveOpen || _output is CompressionStream)
        {
            _output.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_leaveOpen || _output is CompressionStream)
        {
            await _output.DisposeAsync();
        }
    }

    private static byte[] CString(string value, int width)
    {
        var bytes = new byte[width];
        Encoding.ASCII.GetBytes(value.AsSpan(0, Math.Min(value.Length, width - 1)), bytes);
        return bytes;
    }

    private static uint Ymd(DateOnly date) => (uint)((date.Year * 10000) + (date.Month * 100) + date.Day);

    private static void I64(Span<byte> b, int at, long v) => BinaryPrimitives.WriteInt64LittleEndian(b[at..], v);

    private static void U64(Span<byte> b, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(b[at..], v);

    private static void I32(Span<byte> b, int at, int v) => BinaryPrimitives.WriteInt32LittleEndian(b[at..], v);

    private static void U32(Span<byte> b, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(b[at..], v);

    private static void U16(Span<byte> b, int at, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(b[at..], v);
}
