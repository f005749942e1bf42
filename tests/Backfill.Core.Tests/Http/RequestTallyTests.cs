using System.Net;
using Backfill.Core.Errors;
using Backfill.Core.Http;

namespace Backfill.Core.Tests.Http;

public sealed class RequestTallyTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Answers <c>/ok/N</c> with N bytes and status 200, anything else with 429 and a short body.</summary>
    private sealed class Vendor : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var path = request.RequestUri!.AbsolutePath;
            return Task.FromResult(path.StartsWith("/ok/", StringComparison.Ordinal)
                ? new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(new byte[int.Parse(path[4..], System.Globalization.CultureInfo.InvariantCulture)]) }
                : new HttpResponseMessage(HttpStatusCode.TooManyRequests) { Content = new StringContent("slow down") });
        }
    }

    private static HttpClient Client() => new(new MeteringHandler(new Vendor())) { BaseAddress = new Uri("http://vendor.test/") };

    [Fact]
    public async Task Each_unit_counts_its_own_requests_bytes_statuses_and_retries_while_units_run_side_by_side()
    {
        using var http = Client();
        async Task<RequestTally> Unit(int size, int requests, bool throttled)
        {
            var tally = new RequestTally(TimeProvider.System);
            var retries = new List<int>();
            tally.Retrying += (_, attempt, _) => retries.Add(attempt);
            using (RequestTally.Begin(tally))
            {
                await Task.WhenAll(Enumerable.Range(0, requests).Select(async _ =>
                {
                    await Task.Yield();
                    var body = await http.GetByteArrayAsync($"ok/{size}", Ct);
                    Assert.Equal(size, body.Length);
                }));
                if (throttled)
                {
                    using var response = await http.GetAsync("busy", HttpCompletionOption.ResponseHeadersRead, Ct);
                    await using var stream = await response.Content.ReadAsStreamAsync(Ct);
                    await stream.CopyToAsync(Stream.Null, Ct);
                    RequestTally.ReportRetry(new RateLimitedException("429"), 0, TimeSpan.FromSeconds(2));
                }
            }

            Assert.Equal(throttled ? [0] : [], retries);
            return tally;
        }

        var results = await Task.WhenAll(Unit(1000, 5, throttled: true), Unit(7, 3, throttled: false));
        Assert.Equal((6L, 5 * 1000L + 9, 1, "200:5 429:1"), (results[0].Requests, results[0].Bytes, results[0].Retries, results[0].StatusSummary));
        Assert.Equal((3L, 21L, 0, "200:3"), (results[1].Requests, results[1].Bytes, results[1].Retries, results[1].StatusSummary));
        Assert.True(results[0].Elapsed > TimeSpan.Zero);
    }

    [Fact]
    public async Task Outside_a_unit_requests_pass_through_uncounted()
    {
        using var http = Client();
        Assert.Null(RequestTally.Current);
        Assert.Equal(12, (await http.GetByteArrayAsync("ok/12", Ct)).Length);
        RequestTally.ReportRetry(new RateLimitedException("429"), 0, TimeSpan.Zero);
    }

    [Fact]
    public async Task A_request_that_gets_no_answer_is_counted_as_none()
    {
        using var http = new HttpClient(new MeteringHandler(new Failing())) { BaseAddress = new Uri("http://vendor.test/") };
        var tally = new RequestTally(TimeProvider.System);
        using (RequestTally.Begin(tally))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync("x", Ct));
        }

        Assert.Equal((1L, 0L, "none:1"), (tally.Requests, tally.Bytes, tally.StatusSummary));
        Assert.Null(RequestTally.Current);
    }

    private sealed class Failing : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            throw new HttpRequestException("connection refused");
    }
}
