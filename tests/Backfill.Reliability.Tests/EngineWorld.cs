using Backfill.Engine.Datasets.Spx;
using Backfill.Core.Calendars;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;
using Backfill.Engine.Processing;
using Backfill.Ledger.Sqlite;
using Backfill.Simulators.ThetaData;
using Backfill.Sources.ThetaData;
using Backfill.Storage.Disk;

namespace Backfill.Reliability.Tests;

/// <summary>A simulator, a SQLite ledger, a ThetaData client and the engine, all in this process.</summary>
internal sealed class EngineWorld : IAsyncDisposable
{
    private readonly ThetaApiVersion _api;

    private EngineWorld(RunFolder folder, ThetaDataSimulator simulator, SqliteLedger ledger, IOptionGreeksSource source, RetryPolicyTable retry, ThetaApiVersion api)
    {
        Folder = folder;
        Simulator = simulator;
        Ledger = ledger;
        Source = source;
        Retry = retry;
        _api = api;
    }

    public RunFolder Folder { get; }

    public ThetaDataSimulator Simulator { get; private set; }

    public SqliteLedger Ledger { get; }

    public IOptionGreeksSource Source { get; private set; }

    public RetryPolicyTable Retry { get; }

    public ProcessingOptions Options => new()
    {
        Dataset = "spx",
        OutputDirectory = Folder.Out,
        TempDirectory = Folder.Temp,
        Retry = Retry,
        Lease = TimeSpan.FromSeconds(30),
    };

    public static async Task<EngineWorld> StartAsync(ThetaDataSimulatorOptions simulator, RetryPolicyTable retry, ThetaApiVersion api = ThetaApiVersion.V2)
    {
        var folder = Harness.NewFolder("rel-engine-");
        var sim = await ThetaDataSimulator.StartAsync(simulator, 0, Harness.Ct);
        var ledger = await folder.OpenLedgerAsync();
        return new EngineWorld(folder, sim, ledger, Client(sim, retry, api), retry, api);
    }

    /// <summary>Replaces the terminal (a restart with other options, e.g. healthy again); the ledger and folders stay.</summary>
    public async Task ReplaceSimulatorAsync(ThetaDataSimulatorOptions options)
    {
        (Source as IDisposable)?.Dispose();
        await Simulator.DisposeAsync();
        Simulator = await ThetaDataSimulator.StartAsync(options, 0, Harness.Ct);
        Source = Client(Simulator, Retry, _api);
    }

    private static IOptionGreeksSource Client(ThetaDataSimulator sim, RetryPolicyTable retry, ThetaApiVersion api) =>
        ThetaDataClientFactory.Create(new ThetaDataClientOptions
        {
            BaseAddress = sim.BaseAddress,
            ApiVersion = api,
            MaxConcurrentRequests = 1,
            RequestTimeout = TimeSpan.FromSeconds(10),
            Retry = retry,
        });

    /// <summary>
    /// One expiration at a time. The fault matrix plans from the expiration lists (every listed expiration is asked
    /// for, as before contract listings), which keeps its volume of requests per date; other tests plan from the listing.
    /// </summary>
    public SpxOptions Spx { get; set; } = new() { MaxConcurrentSubUnits = 1, ContractListing = false };

    public async Task<IReadOnlyList<UnitOutcome>> RunAsync(IReadOnlyList<DateOnly> dates, IDiskSpaceProbe? disk = null)
    {
        var options = Options;
        var processor = UnitLifecycle.For(Ledger, new SpxDayProducer(Source, Spx, options, diskProbe: disk), options);
        return await new RangeRunner(processor, 1).RunAsync(dates, null, CancellationToken.None, Harness.Ct);
    }

    public string OutputFile(DateOnly day) => EnginePaths.OutputFile(Folder.Out, "spx", day);

    public async ValueTask DisposeAsync()
    {
        (Source as IDisposable)?.Dispose();
        await Simulator.DisposeAsync();
        await Ledger.DisposeAsync();
        Folder.Dispose();
    }
}

/// <summary>A disk that always has the given number of free bytes.</summary>
internal sealed class FixedDisk(long bytes) : IDiskSpaceProbe
{
    public long GetAvailableBytes(string path) => bytes;
}

/// <summary>Fault-free reference files (SHA-256 per date), made once per test run through the same engine.</summary>
internal static class References
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static readonly Dictionary<string, Dictionary<DateOnly, string>> Made = new(StringComparer.Ordinal);

    public static async Task<Dictionary<DateOnly, string>> SpxAsync(IReadOnlyList<DateOnly> days)
    {
        var key = string.Join(",", days);
        await Gate.WaitAsync(Harness.Ct);
        try
        {
            if (!Made.TryGetValue(key, out var sha))
            {
                await using var world = await EngineWorld.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.02 }, RetryPolicyTable.Default.WithDelayScale(0.001));
                var outcomes = await world.RunAsync(days);
                Assert.All(outcomes, o => Assert.Equal(UnitOutcomeKind.Success, o.Kind));
                sha = outcomes.ToDictionary(o => o.Date, o => o.FileSha256!);
                Made[key] = sha;
            }

            return sha;
        }
        finally
        {
            Gate.Release();
        }
    }
}
