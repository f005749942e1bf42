using System.Diagnostics;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Ledger;
using Backfill.Storage.Disk;

namespace Backfill.Engine.Health;

public enum HealthLevel
{
    Ok,
    Warn,
    Fail,
}

/// <summary>One check: its name, verdict, a one-line detail and how long it took.</summary>
public sealed record HealthCheck(string Name, HealthLevel Level, string Detail, TimeSpan Elapsed);

public sealed record HealthReport(IReadOnlyList<HealthCheck> Checks, TimeSpan Elapsed)
{
    public bool AnyFail => Checks.Any(c => c.Level == HealthLevel.Fail);

    public int Count(HealthLevel level) => Checks.Count(c => c.Level == level);

    public static string Name(HealthLevel level) => level switch
    {
        HealthLevel.Ok => "ok",
        HealthLevel.Warn => "warn",
        _ => "fail",
    };
}

/// <summary>
/// Checks that Backfill can work: free disk at the output and temp folders, the ledger's integrity and schema, the
/// output folder (exists, writable, owner-only), the temp folder (writable) and the source (the dataset's own check
/// of its vendor). Checks run in parallel, each under a time limit, so the whole report is ready within about
/// <see cref="DefaultCheckTimeout"/>; a check that does not answer in time fails.
/// </summary>
public sealed class HealthChecker
{
    public const long WarnBelowBytes = 5L * 1024 * 1024 * 1024;
    public const long FailBelowBytes = 500L * 1024 * 1024;

    public static readonly TimeSpan DefaultCheckTimeout = TimeSpan.FromSeconds(2.5);

    private const UnixFileMode NotOwner =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly ILedger _ledger;
    private readonly EffectiveSettings _settings;
    private readonly IDiskSpaceProbe _probe;
    private readonly TimeSpan _timeout;
    private readonly Func<CancellationToken, Task<(HealthLevel Level, string Detail)>> _checkSource;

    /// <param name="checkSource">The dataset's source check (<see cref="Datasets.IDataset.CheckSourceAsync"/>): one cheap request to its vendor.</param>
    public HealthChecker(
        ILedger ledger, EffectiveSettings settings, Func<CancellationToken, Task<(HealthLevel Level, string Detail)>> checkSource,
        IDiskSpaceProbe? probe = null, TimeSpan? checkTimeout = null)
    {
        _checkSource = checkSource;
        _ledger = ledger;
        _settings = settings;
        _probe = probe ?? new DriveInfoDiskSpaceProbe();
        _timeout = checkTimeout ?? DefaultCheckTimeout;
    }

    public async Task<HealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var checks = await Task.WhenAll(
            RunAsync("disk-output", _ => Task.Run(() => Disk(_settings.OutputDirectory, "output"), CancellationToken.None), cancellationToken),
            RunAsync("disk-temp", _ => Task.Run(() => Disk(_settings.TempDirectory, "temp"), CancellationToken.None), cancellationToken),
            RunAsync("ledger", LedgerAsync, cancellationToken),
            RunAsync("output-directory", ct => Backfill.Storage.Outputs.OutputStores.IsRemote(_settings.OutputDirectory)
                ? OutputBucketAsync(ct)
                : Task.Run(() => OutputDirectory(_settings.OutputDirectory), CancellationToken.None), cancellationToken),
            RunAsync("temp-directory", _ => Task.Run(() => TempDirectory(_settings.TempDirectory), CancellationToken.None), cancellationToken),
            RunAsync("source", SourceAsync, cancellationToken));
        return new HealthReport(checks, watch.Elapsed);
    }

    private async Task<HealthCheck> RunAsync(string name, Func<CancellationToken, Task<(HealthLevel Level, string Detail)>> check, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(_timeout);
        try
        {
            // WaitAsync also bounds checks that ignore the token (a hung file system call).
            var (level, detail) = await check(cts.Token).WaitAsync(_timeout, cancellationToken);
            return new HealthCheck(name, level, detail, watch.Elapsed);
        }
        catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new HealthCheck(name, HealthLevel.Fail, $"no answer within {_timeout.TotalSeconds:0.#} s.", watch.Elapsed);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            return new HealthCheck(name, HealthLevel.Fail, e.Message, watch.Elapsed);
        }
    }

    /// <summary>An object store: one listing with the configured credentials.</summary>
    private async Task<(HealthLevel, string)> OutputBucketAsync(CancellationToken cancellationToken)
    {
        var store = Backfill.Storage.Outputs.OutputStores.Open(_settings.OutputDirectory, _settings.TempDirectory, _settings.S3Connection with { Retry = NoRetries() });
        try
        {
            await store.CheckAccessAsync(cancellationToken);
            return (HealthLevel.Ok, $"{store.Root} answers a listing with the configured credentials.");
        }
        finally
        {
            (store as IDisposable)?.Dispose();
        }
    }

    private (HealthLevel, string) Disk(string path, string what)
    {
        if (Backfill.Storage.Outputs.OutputStores.IsRemote(path))
        {
            return (HealthLevel.Ok, $"the {what} is object storage ({path}): no local disk to check.");
        }

        var free = _probe.GetAvailableBytes(path);
        var text = $"{Gb(free)} free at the {what} folder {path}";
        return free < FailBelowBytes
            ? (HealthLevel.Fail, $"{text}: below {Gb(FailBelowBytes)}, processing would stop. Free space or choose another folder.")
            : free < WarnBelowBytes
                ? (HealthLevel.Warn, $"{text}: below {Gb(WarnBelowBytes)}.")
                : (HealthLevel.Ok, text + ".");
    }

    private async Task<(HealthLevel, string)> LedgerAsync(CancellationToken cancellationToken)
    {
        var integrity = await _ledger.CheckIntegrityAsync(cancellationToken);
        var version = await _ledger.GetSchemaVersionAsync(cancellationToken);
        return string.Equals(integrity, "ok", StringComparison.OrdinalIgnoreCase)
            ? (HealthLevel.Ok, $"{_ledger.Description}: integrity ok, schema version {version}.")
            : (HealthLevel.Fail, $"{_ledger.Description}: integrity check says '{integrity}' (schema version {version}). Restore the ledger from a backup.");
    }

    private static (HealthLevel, string) OutputDirectory(string path)
    {
        if (!Directory.Exists(path))
        {
            return (HealthLevel.Warn, $"{path} does not exist yet; the first publish creates it (0700).");
        }

        if (!IsWritable(path, out var problem))
        {
            return (HealthLevel.Fail, $"{path} is not writable: {problem}");
        }

        if (!OperatingSystem.IsWindows())
        {
            var mode = File.GetUnixFileMode(path);
            if ((mode & NotOwner) != 0)
            {
                return (HealthLevel.Warn, $"{path} is writable but has mode 0{Convert.ToString((int)mode & 0xFFF, 8)}; output folders should be owner-only. Fix: chmod 700 '{path}'.");
            }
        }

        return (HealthLevel.Ok, $"{path} exists, is writable and owner-only.");
    }

    private static (HealthLevel, string) TempDirectory(string path)
    {
        if (!Directory.Exists(path))
        {
            return (HealthLevel.Warn, $"{path} does not exist yet; processing creates it.");
        }

        return IsWritable(path, out var problem)
            ? (HealthLevel.Ok, $"{path} is writable.")
            : (HealthLevel.Fail, $"{path} is not writable: {problem}");
    }

    /// <summary>A retry table that tries each request once: health answers quickly rather than patiently.</summary>
    public static RetryPolicyTable NoRetries()
    {
        var table = RetryPolicyTable.Default;
        foreach (var kind in Enum.GetValues<ErrorKind>())
        {
            table = table.With(kind, table.For(kind) with { MaxAttempts = 1 });
        }

        return table;
    }

    private Task<(HealthLevel Level, string Detail)> SourceAsync(CancellationToken cancellationToken) => _checkSource(cancellationToken);

    private static bool IsWritable(string directory, out string? problem)
    {
        var probe = Path.Combine(directory, ".backfill-health-" + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }

            problem = null;
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            problem = e.Message;
            return false;
        }
    }

    private static string Gb(long bytes) => $"{bytes / (1024.0 * 1024 * 1024):0.0} GB";
}
