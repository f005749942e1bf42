using System.Text;
using System.Text.Json;
using Backfill.Core.Errors;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Tests.Shared;
using static Backfill.Sources.ThetaData.Tests.TestSupport;

namespace Backfill.Sources.ThetaData.Tests;

/// <summary>Error bodies and fields meant to damage a terminal or a log reach the exception message escaped and bounded.</summary>
public sealed class HostileBodyTests
{
    [Theory]
    [MemberData(nameof(HostileText.Names), MemberType = typeof(HostileText))]
    public async Task A_plain_text_error_body_is_escaped_and_bounded_in_the_message(string body)
    {
        foreach (var version in new[] { ThetaApiVersion.V2, ThetaApiVersion.V3 })
        {
            await using var server = new RawHttpServer(_ => RawHttpServer.Response(473, HostileText.Bodies[body]));
            var e = await Assert.ThrowsAsync<InvalidRequestException>(() => Client(server, version).ListExpirationsAsync("SPXW", Ct));
            HostileText.AssertHarmlessQuote(body, e.Message);
        }
    }

    [Theory]
    [MemberData(nameof(HostileText.Names), MemberType = typeof(HostileText))]
    public async Task A_v2_error_message_in_a_json_error_body_is_escaped_and_bounded(string body)
    {
        var json = V2Header(error: "INVALID_PARAMS", message: Text(body));
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(473, json, "application/json"));
        var e = await Assert.ThrowsAsync<InvalidRequestException>(() => Client(server).ListExpirationsAsync("SPXW", Ct));
        HostileText.AssertHarmless(e.Message);
    }

    [Theory]
    [MemberData(nameof(HostileText.Names), MemberType = typeof(HostileText))]
    public async Task A_v2_header_error_with_status_200_is_escaped_and_bounded(string body)
    {
        var json = V2Header(error: "ODD_" + Text(body), message: Text(body));
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, json, "application/json"));
        var e = await Assert.ThrowsAnyAsync<BackfillException>(() => ReadAllAsync(Client(server), Request, null));
        HostileText.AssertHarmless(e.Message);
    }

    [Theory]
    [MemberData(nameof(HostileText.Names), MemberType = typeof(HostileText))]
    public async Task A_plain_text_body_with_status_200_is_escaped_and_bounded(string body)
    {
        foreach (var version in new[] { ThetaApiVersion.V2, ThetaApiVersion.V3 })
        {
            await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, HostileText.Bodies[body]));
            var e = await Assert.ThrowsAsync<InvalidResponseException>(() => ReadAllAsync(Client(server, version), Request, null));
            HostileText.AssertHarmless(e.Message);
        }
    }

    [Fact]
    public async Task A_plain_no_data_answer_with_hostile_text_is_escaped()
    {
        var body = Encoding.UTF8.GetBytes("No data " + HostileText.Mixed);
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, body));
        var e = await Assert.ThrowsAsync<NoDataException>(() => ReadAllAsync(Client(server), Request, null));
        HostileText.AssertHarmless(e.Message);
    }

    [Fact]
    public async Task A_next_page_that_is_no_url_is_escaped_in_the_message()
    {
        var json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { header = new { error_type = "null", next_page = HostileText.Mixed }, response = Array.Empty<int>() }));
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, json, "application/json"));
        var e = await Assert.ThrowsAsync<InvalidResponseException>(() => ReadAllAsync(Client(server), Request, null));
        HostileText.AssertHarmless(e.Message);
        Assert.Contains("next_page", e.Message, StringComparison.Ordinal);
    }

    private static OptionGreeksRequest Request => new("SPXW", new DateOnly(2024, 6, 21), Day);

    private static IOptionGreeksSource Client(RawHttpServer server, ThetaApiVersion version = ThetaApiVersion.V2) =>
        ThetaDataClientFactory.Create(new ThetaDataClientOptions
        {
            BaseAddress = server.BaseAddress,
            ApiVersion = version,
            Retry = RetryPolicyTable.Default.WithDelayScale(0),
        });

    /// <summary>The body as text, as a JSON string would carry it (invalid UTF-8 decoded with replacement characters).</summary>
    private static string Text(string body) => Encoding.UTF8.GetString(HostileText.Bodies[body]);

    private static byte[] V2Header(string error, string message) =>
        Encoding.UTF8.GetBytes(JsonSerializer.Serialize(new { header = new { error_type = error, error_msg = message }, response = Array.Empty<int>() }));
}
