using Backfill.Engine.Datasets.Spx;
using Backfill.Core.Calendars;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;
using Backfill.Engine.Processing;
using Backfill.Ledger.Sqlite;
using Backfill.Simulators.ThetaData;
using Backfill.Sources.ThetaData;
using Backfill.Storage.Disk;

namespace Backfill.Engine.Tests.Processing;

/// <summary>A simulator, a real SQLite ledger and a temp data folder: the engine's whole world, on loopback.</summary>
internal sealed class EngineFixture : IAsyncDisposable
{
    public static readonly DateOnly Day = new(2024, 6, 12);

    private EngineFixture(string folder, ThetaDataSimulator simulator, SqliteLedger ledger, IOptionGreeksSource source)
    {
        Folder = folder;
        Simulator = simulator;
        Ledger = ledger;
        Source = source;
    }

    public string Folder { get; }

    public ThetaDataSimulator Simulator { get; }

    public SqliteLedger Ledger { get; }

    public IOptionGreeksSource Source { get; }

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Retries as the product table says, but waiting a thousandth as long.</summary>
    public static RetryPolicyTable FastRetry { get; } = RetryPolicyTable.Default.WithDelayScale(0.001);

    public ProcessingOptions Options => new()
    {
        Dataset = "spx",
        OutputDirectory = Path.Combine(Folder, "out"),
        TempDirectory = Path.Combine(Folder, "temp"),
        Retry = FastRetry,
        Lease = TimeSpan.FromSeconds(30),
    };

    public static async Task<EngineFixture> StartAsync(ThetaDataSimulatorOptions? simulator = null, RetryPolicyTable? clientRetry = null)
    {
        var folder = Directory.CreateTempSubdirectory("backfill-engine-").FullName;
        var sim = await ThetaDataSimulator.StartAsync(simulator ?? new ThetaDataSimulatorOptions { Scale = 0.02 }, 0, Ct);
        var ledger = new SqliteLedger(Path.Combine(folder, "backfill.db"));
        await ledger.MigrateAsync(Ct);
        var source = ThetaDataClientFactory.Create(new ThetaDataClientOptions
        {
            BaseAddress = sim.BaseAddress,
            MaxConcurrentRequests = 2,
            RequestTimeout = TimeSpan.FromSeconds(10),
            Retry = clientRetry ?? FastRetry,
        });
        return new EngineFixture(folder, sim, ledger, source);
    }

    /// <summary>The spx producer's own options in these tests: two expirations at once.</summary>
    public static SpxOptions Spx { get; } = new() { MaxConcurrentSubUnits = 2 };

    public UnitLifecycle Processor(ProcessingOptions? options = null, IDiskSpaceProbe? disk = null, string? owner = null, SpxOptions? spx = null)
    {
        var o = options ?? Options;
        return UnitLifecycle.For(Ledger, new SpxDayProducer(Source, spx ?? Spx, o, diskProbe: disk), o, owner: owner);
    }

    /// <summary>Processes <see cref="Day"/> with no stop request.</summary>
    public Task<UnitOutcome> ProcessAsync(ProcessingOptions? options = null) =>
        Processor(options).ProcessAsync(Day, new UnitProgress(Day), CancellationToken.None, Ct);

    public string OutputFile => EnginePaths.OutputFile(Options.OutputDirectory, "spx", Day);

    public string StagingDirectory => EnginePaths.StagingDirectory(Options.TempDirectory, "spx", Day);

    public async ValueTask DisposeAsync()
    {
        (Source as IDisposable)?.Dispose();
        await Simulator.DisposeAsync();
        await Ledger.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A disk that always has the given number of free bytes.</summary>
internal sealed class FixedDisk(long bytes) : IDiskSpaceProbe
{
    public long GetAvailableBytes(string path) => bytes;
}
