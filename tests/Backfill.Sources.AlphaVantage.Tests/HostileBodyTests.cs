using System.Text;
using System.Text.Json;
using Backfill.Core.Errors;
using Backfill.Tests.Shared;

namespace Backfill.Sources.AlphaVantage.Tests;

/// <summary>Error bodies and fields meant to damage a terminal or a log reach the exception message escaped and bounded.</summary>
public sealed class HostileBodyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<string, string> NoticesAndBodies()
    {
        var data = new TheoryData<string, string>();
        foreach (var key in new[] { "Error Message", "Note", "Information" })
        {
            foreach (var body in HostileText.Bodies.Keys)
            {
                data.Add(key, body);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NoticesAndBodies))]
    public async Task A_notice_in_a_json_body_is_escaped_and_bounded_in_the_message(string key, string body)
    {
        var json = Encoding.UTF8.GetBytes("{\"" + key + "\":\"").Concat(JsonEscaped(body)).Concat("\"}"u8.ToArray()).ToArray();
        var e = await FailAsync(RawHttpServer.Response(200, json, "application/json"), DataType.Json);
        HostileText.AssertHarmless(e.Message);
    }

    [Theory]
    [MemberData(nameof(HostileText.Names), MemberType = typeof(HostileText))]
    public async Task A_csv_header_that_is_not_the_expected_one_is_escaped_and_bounded(string body)
    {
        var e = await FailAsync(RawHttpServer.Response(200, HostileText.Bodies[body], "text/csv"), DataType.Csv);
        Assert.IsType<InvalidResponseException>(e);
        HostileText.AssertHarmless(e.Message);
    }

    [Theory]
    [MemberData(nameof(HostileText.Names), MemberType = typeof(HostileText))]
    public async Task A_symbol_echoed_in_meta_data_is_escaped_and_bounded(string body)
    {
        var json = "{\"Meta Data\":{\"2. Symbol\":\""u8.ToArray().Concat(JsonEscaped(body)).Concat("\"},\"Time Series (Daily)\":{}}"u8.ToArray()).ToArray();
        var e = await FailAsync(RawHttpServer.Response(200, json, "application/json"), DataType.Json);
        Assert.IsType<InvalidResponseException>(e);
        HostileText.AssertHarmless(e.Message);
    }

    [Theory]
    [MemberData(nameof(HostileText.Names), MemberType = typeof(HostileText))]
    public async Task A_date_or_price_that_is_no_number_is_escaped_and_bounded(string body)
    {
        var text = JsonEscaped(body);
        var date = "{\"Meta Data\":{},\"Time Series (Daily)\":{\""u8.ToArray().Concat(text).Concat("\":{}}}"u8.ToArray()).ToArray();
        var price = "{\"Meta Data\":{},\"Time Series (Daily)\":{\"2024-06-12\":{\"1. open\":\""u8.ToArray().Concat(text).Concat("\"}}}"u8.ToArray()).ToArray();
        foreach (var json in new[] { date, price })
        {
            var e = await FailAsync(RawHttpServer.Response(200, json, "application/json"), DataType.Json);
            Assert.IsType<InvalidResponseException>(e);
            HostileText.AssertHarmless(e.Message);
        }
    }

    private static async Task<BackfillException> FailAsync(byte[] response, DataType type)
    {
        await using var server = new RawHttpServer(_ => response);
        using var client = new AlphaVantageClient(new AlphaVantageClientOptions
        {
            BaseAddress = server.BaseAddress,
            ApiKey = new AlphaVantageApiKey("SECRETKEY123"),
            MinInterval = TimeSpan.Zero,
            RequestBudget = 100,
            Retry = RetryPolicyTable.Default.WithDelayScale(0),
        });
        return await Assert.ThrowsAnyAsync<BackfillException>(() =>
            client.GetDailyAsync(TickerSymbol.Parse("IBM"), DailyFunction.Daily, OutputSize.Compact, type, Ct));
    }

    /// <summary>The body inside a JSON string: the text JSON-escaped, except that invalid UTF-8 is kept as raw bytes.</summary>
    private static byte[] JsonEscaped(string body) =>
        body == "invalid-utf8"
            ? HostileText.InvalidUtf8.Where(b => b is not (0x1B or (byte)'"' or (byte)'\\')).ToArray()
            : JsonSerializer.SerializeToUtf8Bytes(Encoding.UTF8.GetString(HostileText.Bodies[body]))[1..^1];
}
