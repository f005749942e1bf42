using Backfill.Engine.Configuration;

namespace Backfill.Engine.Datasets;

/// <summary>A dataset whose dry run plans each date itself (fop asks Databento what the requests would cost).</summary>
public interface IDryRunPlanner
{
    Task<DryRunPlan> PlanAsync(DatasetHost host, EffectiveSettings settings, IReadOnlyList<DateOnly> dates, CancellationToken cancellationToken);
}

/// <summary>Estimates of one date of a dry run.</summary>
public sealed record DryRunDate(DateOnly Date, long Requests, long Rows, long Bytes, double Seconds, decimal? CostUsd = null);

/// <summary>A dry run's per-date estimates, the lines under the table, and a warning for stderr when part of it is unknown.</summary>
public sealed record DryRunPlan(IReadOnlyList<DryRunDate> Dates, IReadOnlyList<string> Notes, string? Warning = null)
{
    public bool HasCost => Dates.Any(d => d.CostUsd is not null);
}

/// <summary>A dataset that combines a range of dates into one file (<c>export</c>).</summary>
public interface IRangeExporter
{
    /// <summary>What <c>export</c> writes, for its help.</summary>
    string ExportSummary { get; }

    Task<RangeExport> ExportAsync(DatasetHost host, EffectiveSettings settings, DateOnly from, DateOnly to, CancellationToken cancellationToken);
}

/// <summary>An export: the text, the dates and columns in it, and the sessions that had no done date.</summary>
public sealed record RangeExport(string Text, IReadOnlyList<DateOnly> Dates, IReadOnlyList<string> Columns, IReadOnlyList<DateOnly> MissingSessions);

/// <summary>A dataset that adds lines of its own to <c>status</c> (ohlcv: its request budget).</summary>
public interface IStatusReporter
{
    Task<IReadOnlyList<(string Metric, object? Value)>> StatusAsync(DatasetHost host, EffectiveSettings settings, CancellationToken cancellationToken);
}

/// <summary>
/// A dataset whose outputs are encrypted at rest: <c>keys</c>, <c>backup</c> and <c>recover</c> work on it, and its secret
/// settings are stored encrypted with its key store.
/// </summary>
public interface IEncryptedOutputs
{
    /// <summary>The setting naming the key file.</summary>
    string KeyFileSetting { get; }

    /// <summary>The key store as configured (file, OS keyring, environment override).</summary>
    Encryption.KeyStore LoadKeys(DatasetHost host, EffectiveSettings settings);

    /// <summary>Creates the key store with one new active key; never overwrites.</summary>
    Encryption.KeyStore InitKeys(DatasetHost host, EffectiveSettings settings);
}

/// <summary>A dataset with backups of its outputs: <c>backup create|verify</c> and <c>recover</c> (ohlcv).</summary>
public interface IBackups
{
    /// <summary>Where backups go when no <c>--to</c> is given.</summary>
    string DefaultBackupFolder(EffectiveSettings settings);

    /// <summary>Checks every output, then writes a backup with its manifest to <paramref name="destination"/> (a folder or a .tar), whole or not at all.</summary>
    Task<BackupReport> CreateBackupAsync(DatasetHost host, EffectiveSettings settings, string destination, CancellationToken cancellationToken);

    /// <summary>Checks a backup: every file's checksum, and <paramref name="sample"/> files (null: all) read back in full.</summary>
    Task<BackupReport> VerifyBackupAsync(DatasetHost host, EffectiveSettings settings, string location, int? sample, CancellationToken cancellationToken);

    /// <summary>Restores outputs from a backup, or (no <paramref name="from"/>) re-links files copied back by hand; each is verified and registered.</summary>
    Task<RecoverReport> RecoverAsync(DatasetHost host, EffectiveSettings settings, string? from, CancellationToken cancellationToken);
}

/// <summary>
/// A dataset with per-date figures of its own worth a column in <c>list</c> (spx: expirations listed by the contract
/// listing, requested, and holding data). Each is a metric the producer records with the date.
/// </summary>
public interface IListedMetrics
{
    /// <summary>Column name in <c>list</c>, and the per-date metric it shows.</summary>
    IReadOnlyList<(string Column, string Metric)> ListColumns { get; }
}
