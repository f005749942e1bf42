using System.Net;
using System.Net.Sockets;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;
using Backfill.Simulators.ThetaData;
using static Backfill.Sources.ThetaData.Tests.TestSupport;

namespace Backfill.Sources.ThetaData.Tests;

public sealed class ClientTests
{
    [Fact]
    public async Task Normal_day_yields_every_row_the_simulator_served_with_sane_fields()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(Small(), cancellationToken: Ct);
        var source = Client(sim);
        var (root, exp, rows) = await FirstTradedAsync(source);
        Assert.NotEmpty(rows);
        Assert.Equal(sim.Stats.RowsServed, source.Stats.Rows);
        Assert.Equal(0, rows.Count % 391);
        Assert.All(rows, r =>
        {
            Assert.Equal(Day, r.TradeDate);
            Assert.Equal(root, r.Root);
            Assert.Equal(exp, r.Expiration);
            Assert.InRange(r.MsOfDay, 34_200_000, 57_600_000);
            Assert.Equal(r.MsOfDay, r.MsOfDay2);
            Assert.True(r.Bid <= r.Ask);
            Assert.InRange(r.UnderlyingPrice, 4000, 7000);
        });
        Assert.Equal(34_200_000, rows[0].MsOfDay);
        Assert.Equal(57_600_000, rows[390].MsOfDay);
    }

    [Fact]
    public async Task Paging_across_many_pages_gives_the_same_rows_as_one_page()
    {
        await using var whole = await ThetaDataSimulator.StartAsync(Small(), cancellationToken: Ct);
        await using var paged = await ThetaDataSimulator.StartAsync(Small(tickLimit: 500), cancellationToken: Ct);
        var (root, exp, expected) = await FirstTradedAsync(Client(whole));
        var rows = await ReadAllAsync(Client(paged), new OptionGreeksRequest(root, exp, Day), null);
        Assert.Equal(expected, rows);
        var pages = paged.Stats.RequestsPerPath.Where(p => p.Key.StartsWith("/v2/page/", StringComparison.Ordinal)).Sum(p => p.Value);
        Assert.True(pages >= expected.Count / 500 - 1, $"{pages} pages");
    }

    [Fact]
    public async Task Holiday_is_no_data()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(Small(), cancellationToken: Ct);
        var e = await Assert.ThrowsAsync<NoDataException>(() =>
            ReadAllAsync(Client(sim), new OptionGreeksRequest("SPXW", new DateOnly(2024, 7, 5), new DateOnly(2024, 7, 4)), null));
        Assert.Equal(472, e.StatusCode);
        Assert.Equal(1, sim.Stats.TotalRequests);
    }

    [Theory]
    [InlineData(ThetaFaultKind.RateLimit429)]
    [InlineData(ThetaFaultKind.Disconnected474)]
    [InlineData(ThetaFaultKind.ServerStarting571)]
    [InlineData(ThetaFaultKind.ServerError500)]
    public async Task Transient_statuses_are_retried_until_success(ThetaFaultKind kind)
    {
        var (root, exp, expected) = await CleanAsync();
        await using var sim = await ThetaDataSimulator.StartAsync(Small() with { Faults = new() { Probability = 0.5, Kinds = [kind] } }, cancellationToken: Ct);
        var source = Client(sim);
        var expirations = await source.ListExpirationsAsync(root, Ct);
        Assert.Contains(exp, expirations);
        for (var i = 0; i < 4; i++)
        {
            Assert.Equal(expected, await ReadAllAsync(source, new OptionGreeksRequest(root, exp, Day), null));
        }

        Assert.True(sim.Stats.Faults(kind) > 0);
        Assert.Equal(sim.Stats.Faults(kind), source.Stats.Retries);
    }

    [Theory]
    [InlineData(0, 6)]
    [InlineData(3, 3)]
    [InlineData(5, 1)]
    public async Task Retries_continue_the_callers_attempt_count_and_stop_at_the_table(int prior, int requests)
    {
        // Every request fails with 474 (ConnectionFailed, 6 attempts in the product table): a caller that already
        // used some attempts gets only the rest, so the caller and the client together stay within the table.
        await using var sim = await ThetaDataSimulator.StartAsync(Small() with { Faults = new() { Probability = 1, Kinds = [ThetaFaultKind.Disconnected474] } }, cancellationToken: Ct);
        using var source = (IDisposable)ThetaDataClientFactory.Create(new ThetaDataClientOptions
        {
            BaseAddress = sim.BaseAddress,
            Retry = RetryPolicyTable.Default.WithDelayScale(0),
        });
        var observer = new CountingObserver(prior);
        await Assert.ThrowsAsync<ConnectionFailedException>(() =>
            ReadAllAsync((IOptionGreeksSource)source, new OptionGreeksRequest("SPXW", new DateOnly(2024, 6, 14), Day), observer));
        Assert.Equal(requests, sim.Stats.TotalRequests);
        Assert.Equal(Enumerable.Range(prior, requests - 1), observer.Retried);
    }

    [Fact]
    public async Task Large_request_570_is_not_retried()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(Small() with { Faults = new() { Probability = 1, Kinds = [ThetaFaultKind.LargeRequest570] } }, cancellationToken: Ct);
        var e = await Assert.ThrowsAsync<LargeRequestException>(() => ReadAllAsync(Client(sim), new OptionGreeksRequest("SPXW", Day, Day), null));
        Assert.Equal(570, e.StatusCode);
        Assert.Equal(1, sim.Stats.TotalRequests);
    }

    [Fact]
    public async Task Invalid_params_473_is_not_retried()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(Small(), cancellationToken: Ct);
        var e = await Assert.ThrowsAsync<InvalidRequestException>(() => ReadAllAsync(Client(sim), new OptionGreeksRequest("SPXW", Day, Day, 90_000), null));
        Assert.Equal(473, e.StatusCode);
        Assert.Equal(1, sim.Stats.TotalRequests);
    }

    [Theory]
    [InlineData(471, ErrorKind.PermissionDenied)]
    [InlineData(472, ErrorKind.NoData)]
    [InlineData(473, ErrorKind.InvalidRequest)]
    [InlineData(475, ErrorKind.InvalidRequest)]
    [InlineData(404, ErrorKind.InvalidRequest)]
    [InlineData(474, ErrorKind.ConnectionFailed)]
    [InlineData(571, ErrorKind.TerminalNotRunning)]
    [InlineData(570, ErrorKind.LargeRequest)]
    [InlineData(429, ErrorKind.RateLimited)]
    [InlineData(410, ErrorKind.ApiVersionGone)]
    [InlineData(470, ErrorKind.ServerError)]
    [InlineData(476, ErrorKind.ServerError)]
    [InlineData(477, ErrorKind.ServerError)]
    [InlineData(572, ErrorKind.ServerError)]
    [InlineData(503, ErrorKind.ServerError)]
    public void Status_codes_map_to_typed_errors(int status, ErrorKind kind)
    {
        var e = ThetaErrors.FromStatus(status, "SPXW", "detail", null);
        Assert.Equal(kind, e.Kind);
        Assert.Equal(status, e.StatusCode);
    }

    [Fact]
    public async Task Reset_mid_body_is_a_connection_failure()
    {
        var (root, exp, _) = await CleanAsync();
        await using var sim = await ThetaDataSimulator.StartAsync(Small() with { Faults = new() { Probability = 1, Kinds = [ThetaFaultKind.ResetMidBody] } }, cancellationToken: Ct);
        await Assert.ThrowsAsync<ConnectionFailedException>(() => ReadAllAsync(Client(sim), new OptionGreeksRequest(root, exp, Day), null));
    }

    [Fact]
    public async Task Truncated_json_is_an_invalid_response()
    {
        var (root, exp, _) = await CleanAsync();
        await using var sim = await ThetaDataSimulator.StartAsync(Small() with { Faults = new() { Probability = 1, Kinds = [ThetaFaultKind.TruncatedJson] } }, cancellationToken: Ct);
        await Assert.ThrowsAsync<InvalidResponseException>(() => ReadAllAsync(Client(sim), new OptionGreeksRequest(root, exp, Day), null));
    }

    [Fact]
    public async Task Malformed_rows_are_reported_and_valid_rows_kept()
    {
        var (root, exp, expected) = await CleanAsync();
        await using var sim = await ThetaDataSimulator.StartAsync(Small() with { Faults = new() { Probability = 1, Kinds = [ThetaFaultKind.MalformedRows] } }, cancellationToken: Ct);
        var sink = new CollectingSink();
        var rows = await ReadAllAsync(Client(sim), new OptionGreeksRequest(root, exp, Day), sink);
        Assert.Equal([3L, 10L, 20L, 30L], sink.Rows.Select(r => r.RowNumber).Order());
        Assert.Contains(sink.Rows, r => r.Reason.Contains("fields", StringComparison.Ordinal));
        Assert.Contains(sink.Rows, r => r.Reason.Contains("not a number", StringComparison.Ordinal));
        Assert.Contains(sink.Rows, r => r.Reason.Contains("bid", StringComparison.Ordinal));
        Assert.Contains(sink.Rows, r => r.Reason.Contains("delta", StringComparison.Ordinal));
        Assert.Equal(expected.Count - 4, rows.Count);
        Assert.Equal(expected.Where((_, i) => i is not (2 or 9 or 19 or 29)), rows);
    }

    [Fact]
    public async Task Slow_first_byte_within_the_timeout_succeeds()
    {
        var (root, exp, expected) = await CleanAsync();
        await using var sim = await ThetaDataSimulator.StartAsync(Small() with { Faults = new() { Probability = 1, Kinds = [ThetaFaultKind.SlowFirstByte] } }, cancellationToken: Ct);
        Assert.Equal(expected, await ReadAllAsync(Client(sim, timeout: TimeSpan.FromSeconds(5)), new OptionGreeksRequest(root, exp, Day), null));
        Assert.Equal(1, sim.Stats.Faults(ThetaFaultKind.SlowFirstByte));
    }

    [Fact]
    public async Task First_byte_later_than_the_timeout_is_a_connection_failure()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(Small() with { FirstByteDelay = TimeSpan.FromSeconds(3) }, cancellationToken: Ct);
        var source = ThetaDataClientFactory.Create(new ThetaDataClientOptions
        {
            BaseAddress = sim.BaseAddress,
            RequestTimeout = TimeSpan.FromMilliseconds(200),
            Retry = RetryPolicyTable.Default.WithDelayScale(0.001),
        });
        await Assert.ThrowsAsync<ConnectionFailedException>(() => source.ListExpirationsAsync("SPXW", Ct));
        Assert.Equal(6, source.Stats.Requests);
    }

    [Fact]
    public async Task V2_gone_is_api_version_gone_with_the_v3_hint()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(Small() with { V2Gone = true }, cancellationToken: Ct);
        var e = await Assert.ThrowsAsync<ApiVersionGoneException>(() => Client(sim).ListExpirationsAsync("SPXW", Ct));
        Assert.Contains("set thetadata.apiVersion to v3 and thetadata.baseUrl to http://127.0.0.1:25503", e.Message, StringComparison.Ordinal);
        Assert.Equal(410, e.StatusCode);
        Assert.Equal(1, sim.Stats.TotalRequests);
    }

    [Fact]
    public async Task Refused_connection_means_the_terminal_is_not_running()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        var source = ThetaDataClientFactory.Create(new ThetaDataClientOptions
        {
            BaseAddress = new Uri($"http://127.0.0.1:{port}"),
            Retry = RetryPolicyTable.Default.WithDelayScale(0.001),
        });
        var e = await Assert.ThrowsAsync<TerminalNotRunningException>(() => source.ListExpirationsAsync("SPX", Ct));
        Assert.Contains("Is the Theta Terminal running on", e.Message, StringComparison.Ordinal);
        var health = await source.CheckTerminalAsync(Ct);
        Assert.False(health.Reachable);
    }

    [Fact]
    public async Task Concurrency_never_exceeds_the_limit()
    {
        var (root, exp, expected) = await CleanAsync();
        await using var sim = await ThetaDataSimulator.StartAsync(Small(tickLimit: 2000) with { FirstByteDelay = TimeSpan.FromMilliseconds(30) }, cancellationToken: Ct);
        var source = Client(sim, maxConcurrent: 2);
        var tasks = Enumerable.Range(0, 8).Select(_ => ReadAllAsync(source, new OptionGreeksRequest(root, exp, Day), null)).ToList();
        foreach (var rows in await Task.WhenAll(tasks))
        {
            Assert.Equal(expected, rows);
        }

        Assert.Equal(2, sim.Stats.PeakConcurrentRequests);
    }

    [Fact]
    public async Task V3_json_gives_the_same_rows_as_v2()
    {
        await using var sim = await ThetaDataSimulator.StartAsync(Small(), cancellationToken: Ct);
        var (root, exp, expected) = await FirstTradedAsync(Client(sim));
        var v3 = Client(sim, ThetaApiVersion.V3);
        Assert.Equal(await Client(sim).ListExpirationsAsync(root, Ct), await v3.ListExpirationsAsync(root, Ct));
        var rows = await ReadAllAsync(v3, new OptionGreeksRequest(root, exp, Day), null);
        Assert.Equal(expected, rows);
        Assert.True((await v3.CheckTerminalAsync(Ct)).Reachable);
    }

    [Fact]
    public void Options_are_validated_up_front()
    {
        Assert.Throws<InvalidInputException>(() => ThetaDataClientFactory.Create(new ThetaDataClientOptions { MaxConcurrentRequests = 0 }));
        Assert.Throws<InvalidInputException>(() => ThetaDataClientFactory.Create(new ThetaDataClientOptions { RequestTimeout = TimeSpan.Zero }));
        Assert.Throws<InvalidInputException>(() => ThetaDataClientFactory.Create(new ThetaDataClientOptions { BaseAddress = new Uri("ftp://x") }));
    }

    private static async Task<(string Root, DateOnly Expiration, List<OptionGreeksRow> Rows)> CleanAsync()
    {
        await using var clean = await ThetaDataSimulator.StartAsync(Small(), cancellationToken: Ct);
        return await FirstTradedAsync(Client(clean));
    }
}

internal sealed class CountingObserver(int prior) : ISourceRequestObserver
{
    public List<int> Retried { get; } = [];

    public int PriorAttempts => prior;

    public void OnRejected(RejectedRow row)
    {
    }

    public void OnRetrying(BackfillException error, int attempt) => Retried.Add(attempt);
}
