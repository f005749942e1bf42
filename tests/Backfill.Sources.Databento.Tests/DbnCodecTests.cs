using System.Buffers.Binary;
using Backfill.Sources.Databento.Dbn;
using ZstdSharp;

namespace Backfill.Sources.Databento.Tests;

public sealed class DbnCodecTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static DbnMetadata SampleMetadata(byte version) => new()
    {
        Version = version,
        Dataset = "GLBX.MDP3",
        Schema = DbnSchema.Statistics,
        Start = 1_735_776_000_000_000_000,
        End = 1_735_862_400_000_000_000,
        STypeIn = DbnSType.RawSymbol,
        STypeOut = DbnSType.InstrumentId,
        Symbols = ["HOH5", "OHH5 C24000"],
        NotFound = ["OHZ9 C99999"],
        Mappings =
        [
            new DbnSymbolMapping("HOH5", [new DbnMappingInterval(new DateOnly(2025, 1, 2), new DateOnly(2025, 1, 3), "224707")]),
            new DbnSymbolMapping("OHH5 C24000", [new DbnMappingInterval(new DateOnly(2025, 1, 2), new DateOnly(2025, 1, 3), "42341556")]),
        ],
    };

    private static DbnStat Settlement(uint id, decimal price) => new(
        new DbnRecordHeader(DbnStat.SizeV3, DbnRType.Statistics, 1, id, 1_735_846_200_000_000_000), 1_735_846_200_000_000_000, 1_735_776_000_000_000_000,
        DbnConstants.FromDecimal(price), DbnStat.UndefinedQuantity, 42, -5, DbnStatType.SettlementPrice, 3, 1, 2);

    [Theory]
    [InlineData((byte)1)]
    [InlineData((byte)2)]
    [InlineData((byte)3)]
    public async Task Metadata_round_trips_in_every_version(byte version)
    {
        var bytes = DbnWriter.EncodeMetadata(SampleMetadata(version));
        await using var reader = new DbnReader(new MemoryStream(bytes));
        var read = await reader.ReadMetadataAsync(Ct);
        Assert.Equal(version, read.Version);
        Assert.Equal("GLBX.MDP3", read.Dataset);
        Assert.Equal(DbnSchema.Statistics, read.Schema);
        Assert.Equal(DbnSType.RawSymbol, read.STypeIn);
        Assert.Equal(["HOH5", "OHH5 C24000"], read.Symbols);
        Assert.Equal(["OHZ9 C99999"], read.NotFound);
        Assert.Equal("42341556", read.Mappings[1].Intervals[0].Symbol);
        Assert.Equal(new DateOnly(2025, 1, 2), read.Mappings[1].Intervals[0].StartDate);
        Assert.Null(await reader.ReadAsync(Ct));
        if (version == 3)
        {
            Assert.Equal(0, bytes.Length % 8); // version 3 pads the metadata to 8 bytes
        }
    }

    [Theory]
    [InlineData((byte)2)]
    [InlineData((byte)3)]
    public async Task Statistics_round_trip_with_the_layout_of_their_version(byte version)
    {
        using var stream = new MemoryStream();
        using (var writer = new DbnWriter(stream, SampleMetadata(version), leaveOpen: true))
        {
            writer.Write(Settlement(42341556, 0.0738m));
        }

        Assert.Equal(DbnWriter.EncodeMetadata(SampleMetadata(version)).Length + (version == 3 ? 80 : 64), stream.Length);
        stream.Position = 0;
        await using var reader = new DbnReader(stream);
        var stat = Assert.IsType<DbnStat>(await reader.ReadAsync(Ct));
        Assert.Equal(0.0738m, DbnConstants.ToDecimal(stat.Price));
        Assert.Equal(DbnStatType.SettlementPrice, stat.StatType);
        Assert.Equal(DbnStat.UndefinedQuantity, stat.Quantity);
        Assert.Equal(new DateOnly(2025, 1, 2), DbnConstants.ToUtcDate(stat.TsRef));
        Assert.Equal((uint)42341556, stat.InstrumentId);
    }

    [Fact]
    public async Task Definition_round_trips_and_lands_on_the_documented_offsets()
    {
        var definition = new DbnDefinition(
            new DbnRecordHeader(DbnDefinition.SizeV3, DbnRType.Definition, 1, 42341556, 1), 1, 1_000_00, 1_000_000_000, 1_740_500_000_000_000_000, 0,
            DbnConstants.FromDecimal(2.40m), 224707, 42000, 2025, "USD", "OHH5 C24000", "OH", "XNYM", "OH", "OCAFPS", "OOF", "GAL", "HOH5", 'C', 'A', 3, 0);
        var buffer = new byte[DbnDefinition.SizeV3];
        var length = DbnWriter.Encode(definition, buffer);
        Assert.Equal(520, length);
        Assert.Equal(130, buffer[0]); // length in 4-byte words
        Assert.Equal(2_400_000_000, BinaryPrimitives.ReadInt64LittleEndian(buffer.AsSpan(104)));
        Assert.Equal("OHH5 C24000"u8.ToArray(), buffer.AsSpan(238, 11).ToArray());
        Assert.Equal((byte)'C', buffer[487]);
        var decoded = Assert.IsType<DbnDefinition>(DbnReader.DecodeRecord(buffer, 3));
        Assert.Equal(definition, decoded);
    }

    [Fact]
    public void Ohlcv_bar_decodes_from_bytes_built_from_the_published_layout()
    {
        // The GLBX ESH1 daily bar of 2020-12-28 in databento-python's test data: O 3702.75 H 3735 L 3697.25 C 3735 V 718174.
        var bytes = new byte[56];
        bytes[0] = 14;
        bytes[1] = 0x23;
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2), 1);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 5482);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), 1609113600000000000);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(16), 3702_750_000_000);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(24), 3735_000_000_000);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(32), 3697_250_000_000);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(40), 3735_000_000_000);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(48), 718174);
        var bar = Assert.IsType<DbnOhlcv>(DbnReader.DecodeRecord(bytes, 3));
        Assert.Equal(3702.75m, DbnConstants.ToDecimal(bar.Open));
        Assert.Equal(3697.25m, DbnConstants.ToDecimal(bar.Low));
        Assert.Equal(718174UL, bar.Volume);
        Assert.Equal(new DateOnly(2020, 12, 28), DbnConstants.ToUtcDate(bar.Header.TsEvent));
        var again = new byte[56];
        DbnWriter.Encode(bar, again);
        Assert.Equal(bytes, again);
    }

    [Fact]
    public async Task Zstd_streams_of_several_frames_decode_as_one()
    {
        var metadata = SampleMetadata(3);
        using var part1 = new MemoryStream();
        using (var writer = new DbnWriter(part1, metadata, zstdLevel: 3, leaveOpen: true))
        {
            writer.Write(Settlement(1, 1.5m));
        }

        var extra = new byte[80];
        DbnWriter.Encode(Settlement(2, 2.25m), extra);
        var frame2 = new Compressor(3).Wrap(extra).ToArray();
        var all = part1.ToArray().Concat(frame2).ToArray();
        Assert.Equal(0x28, all[0]);
        await using var reader = new DbnReader(new MemoryStream(all));
        var records = new List<DbnRecord>();
        await foreach (var r in reader.ReadAllAsync(Ct))
        {
            records.Add(r);
        }

        Assert.Equal([1.5m, 2.25m], records.Cast<DbnStat>().Select(s => DbnConstants.ToDecimal(s.Price)!.Value));
    }

    [Fact]
    public async Task Truncated_record_is_a_format_error()
    {
        using var stream = new MemoryStream();
        using (var writer = new DbnWriter(stream, SampleMetadata(3), leaveOpen: true))
        {
            writer.Write(Settlement(1, 1m));
        }

        var cut = stream.ToArray()[..^10];
        await using var reader = new DbnReader(new MemoryStream(cut));
        await reader.ReadMetadataAsync(Ct);
        var e = await Assert.ThrowsAsync<DbnFormatException>(async () => await reader.ReadAsync(Ct));
        Assert.Contains("ends inside", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Non_dbn_bytes_are_refused_with_what_was_found()
    {
        await using var reader = new DbnReader(new MemoryStream("<html>oops</html>"u8.ToArray()));
        var e = await Assert.ThrowsAsync<DbnFormatException>(async () => await reader.ReadMetadataAsync(Ct));
        Assert.Contains("Not a DBN stream", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_record_types_are_skipped_by_length()
    {
        using var stream = new MemoryStream();
        stream.Write(DbnWriter.EncodeMetadata(SampleMetadata(3)));
        var unknown = new byte[24];
        unknown[0] = 6;
        unknown[1] = 0x17; // system message
        stream.Write(unknown);
        var bar = new byte[56];
        DbnWriter.Encode(new DbnOhlcv(new DbnRecordHeader(56, DbnRType.Ohlcv1D, 1, 9, 0), 1, 2, 3, 4, 5), bar);
        stream.Write(bar);
        stream.Position = 0;
        await using var reader = new DbnReader(stream);
        Assert.IsType<DbnUnknownRecord>(await reader.ReadAsync(Ct));
        Assert.Equal(4, Assert.IsType<DbnOhlcv>(await reader.ReadAsync(Ct)).Close);
        Assert.Null(await reader.ReadAsync(Ct));
    }
}
