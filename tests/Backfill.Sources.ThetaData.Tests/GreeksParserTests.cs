using System.Text;
using Backfill.Core.Errors;
using Backfill.Sources.ThetaData.Greeks;
using static Backfill.Sources.ThetaData.Tests.TestSupport;

namespace Backfill.Sources.ThetaData.Tests;

/// <summary>Recorded-shape bodies through both parsers, whole and cut at every byte, including the orders the vendors allow.</summary>
public sealed class GreeksParserTests
{
    private const string Format =
        """["ms_of_day","bid","ask","delta","theta","vega","rho","epsilon","lambda","implied_vol","iv_error","ms_of_day2","underlying_price","date"]""";

    private const string Contract = """{"root":"SPXW","expiration":20240621,"strike":5300000,"right":"C"}""";

    private const string Tick1 = "[34200000,10.1,10.4,0.51,-1.2,3.4,0.5,-0.4,40.1,0.12,0.0,34200000,5300.5,20240612]";

    private const string Tick2 = "[34260000,10.2,10.5,0.52,-1.2,3.4,0.5,-0.4,40.1,0.12,0.0,34260000,5301.0,20240612]";

    private const string BadTick = "[34320000,10.6,10.5,0.52,-1.2,3.4,0.5,-0.4,40.1,0.12,0.0,34320000,5301.0,20240612]";

    private static string V2(string item) => $$$"""{"header":{"error_type":"null","next_page":"null","format":{{{Format}}}},"response":[{{{item}}}]}""";

    private static string V3Row(string time) =>
        $$"""{"timestamp":"2024-06-12T{{time}}","bid":10.1,"ask":10.4,"delta":0.51,"theta":-1.2,"vega":3.4,"rho":0.5,"epsilon":-0.4,"lambda":40.1,"implied_vol":0.12,"iv_error":0.0,"underlying_timestamp":"2024-06-12T{{time}}","underlying_price":5300.5}""";

    private const string V3Contract = """{"symbol":"SPXW","strike":5300.000,"right":"CALL","expiration":"2024-06-21"}""";

    [Fact]
    public async Task V2_ticks_before_their_contract_give_the_rows_they_give_after_it()
    {
        var after = await ParseV2Async(V2($$"""{"contract":{{Contract}},"ticks":[{{Tick1}},{{Tick2}}]}"""), whole: true);
        var before = await ParseV2Async(V2($$$"""{"ticks":[{{{Tick1}}},{{{Tick2}}}],"contract":{{{Contract}}}}"""), whole: true);
        Assert.Equal(2, after.Rows.Count);
        Assert.Equal(after.Rows, before.Rows);
        Assert.Equal(new OptionGreeksRow(Day, "SPXW", new DateOnly(2024, 6, 21), 5_300_000, 'C', 34_200_000, 10.1, 10.4, 0.51, -1.2, 3.4, 0.5, -0.4, 40.1, 0.12, 0.0, 34_200_000, 5300.5), after.Rows[0]);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task V2_rows_are_the_same_whether_the_body_comes_whole_or_one_byte_at_a_time(bool contractFirst)
    {
        var item = contractFirst
            ? $$$"""{"contract":{{{Contract}}},"tick":[{{{Tick1}}},{{{BadTick}}},{{{Tick2}}}],"extra":{"a":[1,2]}}"""
            : $$$"""{"ticks":[{{{Tick1}}},{{{BadTick}}},{{{Tick2}}}],"extra":{"a":[1,2]},"contract":{{{Contract}}}}""";
        var body = V2(item)[..^1] + ""","trailer":[1,{"b":2}]}""";
        var whole = await ParseV2Async(body, whole: true, firstRowNumber: 10);
        var trickled = await ParseV2Async(body, whole: false, firstRowNumber: 10);
        Assert.Equal(2, whole.Rows.Count);
        Assert.Equal(whole.Rows, trickled.Rows);
        Assert.Equal([12L], whole.Rejected.Select(r => r.RowNumber));
        Assert.Equal(whole.Rejected, trickled.Rejected);
        Assert.Equal(13, whole.RowNumber);
        Assert.Equal(13, trickled.RowNumber);
    }

    [Fact]
    public async Task V2_item_without_a_contract_is_an_invalid_response()
    {
        var e = await Assert.ThrowsAsync<InvalidResponseException>(() => ParseV2Async(V2($$"""{"ticks":[{{Tick1}}]}"""), whole: true));
        Assert.Contains("a response item has no contract", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task V2_header_error_type_is_the_typed_error_it_names()
    {
        var body = """{"header":{"error_type":"PERMISSION","error_msg":"upgrade"},"response":[]}""";
        var e = await Assert.ThrowsAsync<PermissionDeniedException>(() => ParseV2Async(body, whole: false));
        Assert.Contains("upgrade", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task V3_rows_are_the_same_whether_the_body_comes_whole_or_one_byte_at_a_time(bool whole)
    {
        var body = $$"""{"response":[{"contract":{{V3Contract}},"data":[{{V3Row("09:30:00.000")}},7,{{V3Row("09:31:00")}}]},{"skip":null,"contract":{{V3Contract}},"data":[]}]}""";
        var result = await ParseV3Async(body, whole);
        Assert.Equal(2, result.Rows.Count);
        Assert.Equal(new OptionGreeksRow(Day, "SPXW", new DateOnly(2024, 6, 21), 5_300_000, 'C', 34_200_000, 10.1, 10.4, 0.51, -1.2, 3.4, 0.5, -0.4, 40.1, 0.12, 0.0, 34_200_000, 5300.5), result.Rows[0]);
        Assert.Equal(34_260_000, result.Rows[1].MsOfDay);
        Assert.Equal([new RejectedRow(2, "a data row is not an object")], result.Rejected);
    }

    [Fact]
    public async Task V3_data_before_its_contract_is_an_invalid_response()
    {
        var e = await Assert.ThrowsAsync<InvalidResponseException>(() => ParseV3Async($$$"""{"response":[{"data":[{{{V3Row("09:30:00")}}}],"contract":{{{V3Contract}}}}]}""", whole: true));
        Assert.Contains("data came before its contract", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_body_that_ends_inside_the_document_is_truncated_even_where_it_is_also_misordered()
    {
        var v3 = await Assert.ThrowsAsync<InvalidResponseException>(() => ParseV3Async("""{"response":[{"data":""", whole: true));
        var v2 = await Assert.ThrowsAsync<InvalidResponseException>(() => ParseV2Async(V2($$"""{"contract":{{Contract}},"ticks":[{{Tick1}}""")[..^2], whole: false));
        Assert.Contains("truncated", v3.Message, StringComparison.Ordinal);
        Assert.Contains("truncated", v2.Message, StringComparison.Ordinal);
    }

    private static async Task<ParseResult> ParseV2Async(string body, bool whole, long firstRowNumber = 0)
    {
        var sink = new CollectingSink();
        using var parser = new V2GreeksParser(Body(body, whole), "test", TimeSpan.FromSeconds(5), new OptionSourceStats(), sink, firstRowNumber);
        var rows = await DrainAsync(parser);
        return new ParseResult(rows, [.. sink.Rows], parser.RowNumber);
    }

    private static async Task<ParseResult> ParseV3Async(string body, bool whole)
    {
        var sink = new CollectingSink();
        using var parser = new V3GreeksParser(Body(body, whole), "test", TimeSpan.FromSeconds(5), new OptionSourceStats(), sink);
        var rows = await DrainAsync(parser);
        return new ParseResult(rows, [.. sink.Rows], 0);
    }

    private static async Task<List<OptionGreeksRow>> DrainAsync(ChunkedJsonParser parser)
    {
        var rows = new List<OptionGreeksRow>();
        var batch = new List<OptionGreeksRow>();
        while (await parser.ReadBatchAsync(batch, Ct))
        {
            rows.AddRange(batch);
            batch.Clear();
        }

        return rows;
    }

    private static Stream Body(string text, bool whole)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        return whole ? new MemoryStream(bytes) : new TrickleStream(bytes);
    }

    private sealed record ParseResult(List<OptionGreeksRow> Rows, List<RejectedRow> Rejected, long RowNumber);

    /// <summary>Hands out one byte per read, so every unit is cut by the buffer end at every possible place.</summary>
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
