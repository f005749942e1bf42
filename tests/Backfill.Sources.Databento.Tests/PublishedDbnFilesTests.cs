using System.Buffers.Binary;
using Backfill.Sources.Databento.Dbn;
using ZstdSharp;

namespace Backfill.Sources.Databento.Tests;

/// <summary>
/// Decodes DBN version 3 files published with Databento's own open-source client (GLBX.MDP3, ESH1, 2020-12-28), so the
/// decoder is checked against bytes this project did not produce. The files live in the reference-data folder beside
/// the repository (<c>../shared/data/databento-dbn</c>) or in <c>BACKFILL_REFERENCE_DATA</c>.
/// </summary>
public sealed class PublishedDbnFilesTests
{
    private const uint Esh1 = 5482;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string FileOf(string schema)
    {
        var folder = ReferenceData.Folder("databento-dbn");
        var path = Path.Combine(folder, $"GLBX.MDP3.{schema}.dbn.zst");
        if (!File.Exists(path))
        {
            Assert.Skip($"reference file {Path.GetFileName(path)} is missing from {folder}");
        }

        return path;
    }

    private static async Task<(DbnMetadata Metadata, List<DbnRecord> Records)> ReadAsync(string schema)
    {
        await using var reader = new DbnReader(File.OpenRead(FileOf(schema)));
        var metadata = await reader.ReadMetadataAsync(Ct);
        var records = new List<DbnRecord>();
        await foreach (var record in reader.ReadAllAsync(Ct))
        {
            records.Add(record);
        }

        return (metadata, records);
    }

    [Theory]
    [InlineData("definition", DbnSchema.Definition, 1)]
    [InlineData("mbp-1", DbnSchema.Mbp1, 4)]
    [InlineData("ohlcv-1d", DbnSchema.Ohlcv1D, 1)]
    [InlineData("statistics", DbnSchema.Statistics, 4)]
    [InlineData("trades", DbnSchema.Trades, 4)]
    public async Task Metadata_and_symbology_of_every_published_file_decode(string schema, DbnSchema expected, int records)
    {
        var (metadata, read) = await ReadAsync(schema);
        Assert.Equal(3, metadata.Version);
        Assert.Equal("GLBX.MDP3", metadata.Dataset);
        Assert.Equal(expected, metadata.Schema);
        Assert.Equal(1_609_113_600_000_000_000UL, (ulong)metadata.Start);
        Assert.Equal(DbnSType.RawSymbol, metadata.STypeIn);
        Assert.Equal(DbnSType.InstrumentId, metadata.STypeOut);
        Assert.Equal(["ESH1"], metadata.Symbols);
        var interval = Assert.Single(Assert.Single(metadata.Mappings).Intervals);
        Assert.Equal(new DbnMappingInterval(new DateOnly(2020, 12, 28), new DateOnly(2020, 12, 29), "5482"), interval);
        Assert.Equal(records, read.Count);
        Assert.All(read, r => Assert.Equal(Esh1, r.Header.InstrumentId));
        Assert.All(read, r => Assert.Equal(1, r.Header.PublisherId));
    }

    [Fact]
    public async Task The_daily_bar_matches_the_published_values()
    {
        var bar = Assert.IsType<DbnOhlcv>(Assert.Single((await ReadAsync("ohlcv-1d")).Records));
        Assert.Equal(DbnRType.Ohlcv1D, bar.Header.RType);
        Assert.Equal(3702.75m, DbnConstants.ToDecimal(bar.Open));
        Assert.Equal(3735.00m, DbnConstants.ToDecimal(bar.High));
        Assert.Equal(3697.25m, DbnConstants.ToDecimal(bar.Low));
        Assert.Equal(3735.00m, DbnConstants.ToDecimal(bar.Close));
        Assert.Equal(718_174UL, bar.Volume);
        Assert.Equal(1_609_113_600_000_000_000UL, bar.Header.TsEvent);
    }

    [Fact]
    public async Task Trades_are_ordered_on_the_quarter_point_grid_with_receive_after_event()
    {
        var trades = (await ReadAsync("trades")).Records.Cast<DbnTrade>().ToList();
        Assert.Equal(3702.75m, DbnConstants.ToDecimal(trades[0].Price));
        Assert.Equal('T', trades[0].Action);
        Assert.Equal('B', trades[0].Side);
        Assert.Equal(145_885U, trades[0].Sequence);
        Assert.All(trades, t => Assert.Equal(0, t.Price % 250_000_000));
        Assert.All(trades, t => Assert.True(t.TsRecv > t.Header.TsEvent));
        Assert.Equal(trades.OrderBy(t => t.Sequence).Select(t => t.Sequence), trades.Select(t => t.Sequence));
    }

    [Fact]
    public async Task Statistics_keep_null_quantity_and_reference_time_sentinels()
    {
        var stats = (await ReadAsync("statistics")).Records.Cast<DbnStat>().ToList();
        Assert.Equal([DbnStatType.HighestBid, DbnStatType.HighestBid, DbnStatType.TradingSessionHighPrice, DbnStatType.HighestBid],
            stats.Select(s => s.StatType));
        Assert.Equal(3707.75m, DbnConstants.ToDecimal(stats[0].Price));
        Assert.All(stats, s => Assert.Equal(DbnStat.UndefinedQuantity, s.Quantity));
        Assert.All(stats, s => Assert.Equal(DbnConstants.UndefinedTimestamp, s.TsRef));
    }

    [Fact]
    public async Task The_future_definition_decodes_its_contract_terms()
    {
        var definition = Assert.IsType<DbnDefinition>(Assert.Single((await ReadAsync("definition")).Records));
        Assert.Equal("ESH1", definition.RawSymbol);
        Assert.Equal("ES", definition.Asset);
        Assert.Equal("XCME", definition.Exchange);
        Assert.Equal("FUT", definition.SecurityType);
        Assert.Equal("FFIXSX", definition.Cfi);
        Assert.Equal("USD", definition.Currency);
        Assert.Equal('F', definition.InstrumentClass);
        Assert.Equal(0.25m, DbnConstants.ToDecimal(definition.MinPriceIncrement));
        Assert.Equal(DbnConstants.UndefinedPrice, definition.StrikePrice);
        Assert.Equal(2021, definition.MaturityYear);
        Assert.Equal(3, definition.MaturityMonth);
        Assert.Equal(new DateTime(2021, 3, 19, 13, 30, 0, DateTimeKind.Utc), DateTime.UnixEpoch.AddTicks((long)(definition.Expiration / 100)));
    }

    [Theory]
    [InlineData("ohlcv-1d")]
    [InlineData("statistics")]
    [InlineData("trades")]
    public async Task Our_encoder_reproduces_the_published_records_byte_for_byte(string schema)
    {
        var raw = Decompress(File.ReadAllBytes(FileOf(schema)));
        var metadataLength = 8 + (int)BinaryPrimitives.ReadUInt32LittleEndian(raw.AsSpan(4));
        var (_, records) = await ReadAsync(schema);
        var offset = metadataLength;
        var buffer = new byte[1024];
        foreach (var record in records)
        {
            var written = DbnWriter.Encode(record, buffer);
            Assert.Equal(record.Header.Length, written);
            Assert.Equal(Convert.ToHexString(raw, offset, written), Convert.ToHexString(buffer, 0, written));
            offset += written;
        }

        Assert.Equal(raw.Length, offset);
    }

    private static byte[] Decompress(byte[] compressed)
    {
        using var input = new DecompressionStream(new MemoryStream(compressed));
        using var output = new MemoryStream();
        input.CopyTo(output);
        return output.ToArray();
    }
}
