using System.Text;
using System.Text.Json;
using Backfill.Core.Errors;
using Backfill.Sources.Databento.Dbn;
using Backfill.Sources.Databento.Http;
using Backfill.Tests.Shared;

namespace Backfill.Sources.Databento.Tests;

/// <summary>Error bodies meant to damage a terminal or a log reach the exception message escaped and bounded.</summary>
public sealed class HostileBodyTests
{
    private static readonly DateOnly Day = new(2025, 1, 2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [MemberData(nameof(HostileText.Names), MemberType = typeof(HostileText))]
    public async Task A_plain_text_error_body_is_escaped_and_bounded_in_the_message(string body)
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(400, HostileText.Bodies[body]));
        using var client = Client(server);
        var e = await Assert.ThrowsAsync<InvalidRequestException>(() => client.GetRangeAsync(Request, cancellationToken: Ct));
        HostileText.AssertHarmlessQuote(body, e.Message);
    }

    [Theory]
    [MemberData(nameof(HostileText.Names), MemberType = typeof(HostileText))]
    public async Task A_json_detail_is_escaped_and_bounded_in_the_message(string body)
    {
        var text = Encoding.UTF8.GetString(HostileText.Bodies[body]);
        foreach (var json in new object[] { new { detail = text }, new { detail = new { @case = "odd_" + text, message = text } } })
        {
            await using var server = new RawHttpServer(_ => RawHttpServer.Response(422, JsonSerializer.SerializeToUtf8Bytes(json), "application/json"));
            using var client = Client(server);
            var e = await Assert.ThrowsAsync<InvalidRequestException>(() => client.GetRangeAsync(Request, cancellationToken: Ct));
            HostileText.AssertHarmless(e.Message);
        }
    }

    [Theory]
    [MemberData(nameof(HostileText.Names), MemberType = typeof(HostileText))]
    public async Task A_cost_that_is_no_number_is_escaped_and_bounded_in_the_message(string body)
    {
        await using var server = new RawHttpServer(_ => RawHttpServer.Response(200, HostileText.Bodies[body]));
        using var client = Client(server);
        var e = await Assert.ThrowsAsync<InvalidResponseException>(() => client.GetCostAsync(Request, Ct));
        HostileText.AssertHarmless(e.Message);
    }

    private static GetRangeRequest Request => GetRangeRequest.ForDates("GLBX.MDP3", ["HOH5"], DbnSchema.Statistics, DbnSType.RawSymbol, Day, Day.AddDays(1));

    private static DatabentoHistoricalClient Client(RawHttpServer server) => new(new DatabentoClientOptions
    {
        BaseAddress = server.BaseAddress,
        ApiKey = new DatabentoApiKey("db-TESTKEY0123456789abcdefgh"),
        Retry = RetryPolicyTable.Default.WithDelayScale(0),
    });
}
