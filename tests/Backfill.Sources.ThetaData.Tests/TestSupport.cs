using System.Collections.Concurrent;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;
using Backfill.Simulators.ThetaData;

namespace Backfill.Sources.ThetaData.Tests;

internal static class TestSupport
{
    public static readonly DateOnly Day = new(2024, 6, 12);

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static ThetaDataSimulatorOptions Small(int tickLimit = 1_000_000) => new() { Scale = 0.01, TickLimit = tickLimit };

    /// <summary>The default table, fast, with more attempts for kinds the fault tests inject half the time.</summary>
    public static RetryPolicyTable FastRetry { get; } = RetryPolicyTable.Default.WithDelayScale(0.001)
        .With(ErrorKind.RateLimited, new RetryPolicy(12, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), HonorRetryAfter: true))
        .With(ErrorKind.ConnectionFailed, new RetryPolicy(12, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)))
        .With(ErrorKind.TerminalNotRunning, new RetryPolicy(12, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)))
        .With(ErrorKind.ServerError, new RetryPolicy(12, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5)));

    public static IOptionGreeksSource Client(ThetaDataSimulator sim, ThetaApiVersion version = ThetaApiVersion.V2, int maxConcurrent = 4, TimeSpan? timeout = null) =>
        ThetaDataClientFactory.Create(new ThetaDataClientOptions
        {
            BaseAddress = sim.BaseAddress,
            ApiVersion = version,
            MaxConcurrentRequests = maxConcurrent,
            RequestTimeout = timeout ?? TimeSpan.FromSeconds(10),
            Retry = FastRetry,
        });

    /// <summary>The first expiration on or after <see cref="Day"/> that trades that day (scale 0.01 keeps few).</summary>
    public static async Task<(string Root, DateOnly Expiration, List<OptionGreeksRow> Rows)> FirstTradedAsync(IOptionGreeksSource source, string root = "SPXW")
    {
        foreach (var exp in await source.ListExpirationsAsync(root, Ct))
        {
            if (exp < Day)
            {
                continue;
            }

            try
            {
                var rows = await ReadAllAsync(source, new OptionGreeksRequest(root, exp, Day), null);
                return (root, exp, rows);
            }
            catch (NoDataException)
            {
            }
        }

        throw new InvalidOperationException("No traded expiration found.");
    }

    public static async Task<List<OptionGreeksRow>> ReadAllAsync(IOptionGreeksSource source, OptionGreeksRequest request, ISourceRequestObserver? sink)
    {
        var rows = new List<OptionGreeksRow>();
        await foreach (var row in source.StreamGreeksAsync(request, sink, Ct))
        {
            rows.Add(row);
        }

        return rows;
    }
}

internal sealed class CollectingSink : ISourceRequestObserver
{
    public ConcurrentQueue<RejectedRow> Rows { get; } = new();

    public void OnRejected(RejectedRow row) => Rows.Enqueue(row);
}
