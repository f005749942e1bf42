using Backfill.Core.Calendars;
using Backfill.Engine.Configuration;
using Backfill.Engine.Health;
using Backfill.Engine.Processing;
using Backfill.Engine.Verification;
using Backfill.Storage.Layout;

namespace Backfill.Engine.Datasets;

/// <summary>
/// A dataset as a plug-in: a vendor source, a trading calendar, a unit of work (one date) and an output layout.
/// Everything the shared code (the Cli, verify, cleanup, gaps, health, status, the status server) needs to know of
/// a dataset is asked here; shared code never compares a dataset's name. A dataset lives in one folder under
/// <c>Engine/Datasets</c> and is registered with one line in <see cref="DatasetRegistry.Default"/>.
/// </summary>
public interface IDataset
{
    /// <summary>Command-line name (<c>--dataset NAME</c>), also the ledger's dataset key and the output folder.</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>The vendor and API the data comes from, for help and status.</summary>
    string Source { get; }

    /// <summary>The calendar whose sessions are this dataset's units.</summary>
    ITradingCalendar Calendar { get; }

    /// <summary>What one date is split into, as progress and summaries call it (expirations, symbols, files, options).</summary>
    SubUnitNoun SubUnits { get; }

    /// <summary>Where the daily output lives in the output store.</summary>
    OutputLayout Layout { get; }

    /// <summary>The settings only this dataset reads (vendor keys, its own options), with defaults and checks.</summary>
    IReadOnlyList<SettingDefinition> Settings { get; }

    /// <summary>Per-unit figures a dry run assumes before this dataset has any history in the ledger.</summary>
    DryRunDefaults DryRun { get; }

    /// <summary>
    /// What stops this dataset from processing with these settings (a required key unset, keys that disagree), each
    /// naming the key and the fix; empty when it can run. Used by <c>config validate</c> and before any processing.
    /// </summary>
    IReadOnlyList<string> CheckSettings(EffectiveSettings settings);

    /// <summary>
    /// Builds what produces one date's output: the vendor client from the settings and the producer around it. The
    /// engine's <see cref="UnitLifecycle"/> does everything else (claim, lease, failure, publish records, metrics).
    /// </summary>
    Task<IUnitProducer> CreateProducerAsync(DatasetHost host, EffectiveSettings settings, ProcessingOptions options, CancellationToken cancellationToken);

    /// <summary>One cheap request proving the vendor answers (and, where it costs nothing, that the credentials work).</summary>
    Task<(HealthLevel Level, string Detail)> CheckSourceAsync(DatasetHost host, EffectiveSettings settings, CancellationToken cancellationToken);

    /// <summary>
    /// Reads back and checks one published output (verify, cleanup, recovery). A dataset that needs resources to read
    /// its outputs (decryption keys) takes them from the host and settings, and says so when they are not given.
    /// </summary>
    IOutputChecker CreateChecker(DatasetHost? host, EffectiveSettings? settings);

    /// <summary>A run against this dataset's embedded simulator for <c>demo</c>, or null when it has none.</summary>
    IDatasetDemo? Demo { get; }
}

/// <summary>The word for a date's sub-units, singular and plural.</summary>
public sealed record SubUnitNoun(string One, string Many)
{
    public string Count(long n) => n == 1 ? One : Many;
}

/// <summary>Per-unit estimates for a dry run when the ledger has no successful unit of the dataset yet.</summary>
/// <param name="StagingBytesPerRow">Temporary disk a date in flight needs per row (0 when nothing is staged).</param>
public sealed record DryRunDefaults(long Rows, long Requests, long OutputBytes, double Seconds, double StagingBytesPerRow = 0);
