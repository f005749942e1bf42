using Backfill.Engine.Configuration;
using Backfill.Engine.Health;
using Backfill.Ledger;

namespace Backfill.Engine.Status;

/// <summary>The ledger as <c>status</c> and <c>/ready</c> show it.</summary>
public sealed record LedgerState(string Kind, string Description, int SchemaVersion, int ExpectedSchemaVersion)
{
    /// <summary>True when the schema is the one this build's migrations bring it to.</summary>
    public bool Current => SchemaVersion == ExpectedSchemaVersion;

    public static async Task<LedgerState> ReadAsync(ILedger ledger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return new LedgerState(LedgerFactory.Kind(ledger), ledger.Description, await ledger.GetSchemaVersionAsync(cancellationToken), LedgerFactory.LatestSchemaVersion(ledger));
    }
}

/// <summary>A folder's disk, or why it could not be measured.</summary>
public sealed record DiskState(string Folder, DiskUsage? Usage, string? Problem)
{
    public static DiskState Measure(string folder)
    {
        try
        {
            return new DiskState(folder, DiskUsage.Measure(folder), null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return new DiskState(folder, null, e.Message);
        }
    }
}

/// <summary>
/// What <c>status</c> shows beside the ledger's counts: free disk at the output and temp folders, the ledger's kind and
/// schema, and whether the dataset's source answers its cheap probe within <see cref="SourceTimeout"/> (or "skipped").
/// </summary>
public sealed record SystemStatus(DiskState Output, DiskState Temp, LedgerState Ledger, BoundedResult? Source)
{
    /// <summary>
    /// How long <c>status</c> waits for the source: short enough that the whole command stays within its 2 s; a slower
    /// source is reported as "timeout" (<c>health</c> waits longer and says more).
    /// </summary>
    public static readonly TimeSpan SourceTimeout = TimeSpan.FromSeconds(1.2);

    /// <summary>"skipped" when the source was not asked (<c>--offline</c>), else ok, warn, fail or timeout.</summary>
    public string SourceState => Source?.State ?? "skipped";

    /// <param name="source">The dataset's probe of its vendor, or null not to ask (offline).</param>
    public static async Task<SystemStatus> ReadAsync(
        ILedger ledger, EffectiveSettings settings, Func<CancellationToken, Task<(HealthLevel Level, string Detail)>>? source,
        TimeSpan sourceTimeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var probe = source is null ? Task.FromResult<BoundedResult?>(null) : BoundedProbeAsync(source, sourceTimeout, cancellationToken);
        var output = Task.Run(() => DiskState.Measure(settings.OutputDirectory), cancellationToken);
        var temp = Task.Run(() => DiskState.Measure(settings.TempDirectory), cancellationToken);
        var ledgerState = await LedgerState.ReadAsync(ledger, cancellationToken);
        return new SystemStatus(await output, await temp, ledgerState, await probe);
    }

    private static async Task<BoundedResult?> BoundedProbeAsync(
        Func<CancellationToken, Task<(HealthLevel Level, string Detail)>> source, TimeSpan limit, CancellationToken cancellationToken) =>
        await BoundedCheck.RunAsync(source, limit, cancellationToken);
}
