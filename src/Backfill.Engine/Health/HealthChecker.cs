using System.Diagnostics;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
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
/// output folder (exists, writable, owner-only), the temp folder (writable), the source (the dataset's own check
/// of its vendor), memory (the machine's and this process's) and, given a dataset, its rate-limit state (rate-limit
/// errors of the last hour in the ledger, and the vendor's request budget where the dataset has one). Checks run in parallel, each under a time limit, so the whole report is ready within about
/// <see cref="DefaultCheckTimeout"/>; a check that does not answer in time fails.
/// </summary>
public sealed class HealthChecker
{
    public const long WarnBelowBytes = 5L * 1024 * 1024 * 1024;
    public const long FailBelowBytes = 500L * 1024 * 1024;

    public static readonly TimeSpan DefaultCheckTimeout = TimeSpan.FromSeconds(2.5);

    /// <summary>Share of the machine's memory in use above which health warns, and above which it fails.</summary>
    public const double WarnMemoryPercent = 75, FailMemoryPercent = 90;

    /// <summary>Share of a request budget used from which health warns.</summary>
    public const double WarnBudgetPercent = 80;

    /// <summary>How far back rate-limit errors count.</summary>
    public static readonly TimeSpan RateLimitWindow = TimeSpan.FromHours(1);

    /// <summary>The error kinds that mean the vendor is throttling us or our quota is spent.</summary>
    private static readonly HashSet<string> RateLimitKinds = new(StringComparer.Ordinal) { nameof(ErrorKind.RateLimited), nameof(ErrorKind.QuotaExhausted) };

    // Enough to count an hour of errors on any vendor this tool talks to; more is reported as "at least".
    private const int RateLimitScan = 1000;

    private const UnixFileMode NotOwner =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly ILedger _ledger;
    private readonly EffectiveSettings _settings;
    private readonly IDiskSpaceProbe _probe;
    private readonly TimeSpan _timeout;
    private readonly Func<CancellationToken, Task<(HealthLevel Level, string Detail)>> _checkSource;
    private readonly string? _dataset;
    private readonly Func<CancellationToken, Task<RequestBudget?>>? _budget;
    private readonly TimeProvider _time;
    private readonly string _memInfoPath;

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
        _time = TimeProvider.System;
        _memInfoPath = SystemMemory.LinuxMemInfo;
    }

    /// <summary>Every check for <paramref name="dataset"/>: its source check, and its rate-limit state from the ledger and its request budget.</summary>
    /// <param name="memInfoPath">Where the machine's memory is read (Linux: <c>/proc/meminfo</c>).</param>
    public HealthChecker(
        IDataset dataset, DatasetHost host, EffectiveSettings settings,
        IDiskSpaceProbe? probe = null, TimeSpan? checkTimeout = null, string memInfoPath = SystemMemory.LinuxMemInfo)
        : this(Host(host).Ledger, settings, ct => dataset.CheckSourceAsync(host, settings, ct), probe, checkTimeout)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        _dataset = dataset.Name;
        _budget = dataset is IRequestBudgetReporter reporter ? async ct => await reporter.RequestBudgetAsync(host, settings, ct) : null;
        _time = host.Time;
        _memInfoPath = memInfoPath;
    }

    public async Task<HealthReport> CheckAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var checks = new List<Task<HealthCheck>>
        {
            RunAsync("disk-output", _ => Task.Run(() => Disk(_settings.OutputDirectory, "output"), CancellationToken.None), cancellationToken),
            RunAsync("disk-temp", _ => Task.Run(() => Disk(_settings.TempDirectory, "temp"), CancellationToken.None), cancellationToken),
            RunAsync("ledger", LedgerAsync, cancellationToken),
            RunAsync("output-directory", ct => Backfill.Storage.Outputs.OutputStores.IsRemote(_settings.OutputDirectory)
                ? OutputBucketAsync(ct)
                : Task.Run(() => OutputDirectory(_settings.OutputDirectory), CancellationToken.None), cancellationToken),
            RunAsync("temp-directory", _ => Task.Run(() => TempDirectory(_settings.TempDirectory), CancellationToken.None), cancellationToken),
            RunAsync("source", SourceAsync, cancellationToken),
            RunAsync("memory", _ => Task.Run(Memory, CancellationToken.None), cancellationToken),
        };
        if (_dataset is not null)
        {
            checks.Add(RunAsync("rate-limit", RateLimitAsync, cancellationToken));
        }

        return new HealthReport(await Task.WhenAll(checks), watch.Elapsed);
    }

    private async Task<HealthCheck> RunAsync(string name, Func<CancellationToken, Task<(HealthLevel Level, string Detail)>> check, CancellationToken cancellationToken)
    {
        var result = await BoundedCheck.RunAsync(check, _timeout, cancellationToken);
        return new HealthCheck(name, result.Level, result.Detail, result.Elapsed);
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

    private (HealthLevel, string) Memory()
    {
        var memory = SystemMemory.Read(_memInfoPath);
        var process = $"this process uses {Mb(memory.ProcessWorkingSetBytes)}";
        if (memory is not { UsedPercent: { } used, TotalBytes: { } total, AvailableBytes: { } available })
        {
            return (HealthLevel.Ok, $"{process}; the machine's memory is not measured here ({memory.Source} is Linux-only and was not readable).");
        }

        var text = $"{used:0.#} % of {Gb(total)} in use ({Gb(available)} available); {process}";
        return used > FailMemoryPercent
            ? (HealthLevel.Fail, $"{text}: above {FailMemoryPercent} %, a date in flight may be killed for memory. Lower processing.maxConcurrentDates or free memory.")
            : used > WarnMemoryPercent
                ? (HealthLevel.Warn, $"{text}: above {WarnMemoryPercent} %.")
                : (HealthLevel.Ok, text + ".");
    }

    private async Task<(HealthLevel, string)> RateLimitAsync(CancellationToken cancellationToken)
    {
        var since = _time.GetUtcNow() - RateLimitWindow;
        var recent = (await _ledger.ListErrorsAsync(_dataset!, null, RateLimitScan, cancellationToken)).ToList();
        var limited = recent.Where(e => e.OccurredAt >= since && IsRateLimit(e)).ToList();
        var atLeast = recent.Count == RateLimitScan && recent[^1].OccurredAt >= since ? "at least " : string.Empty;
        var errors = limited.Count == 0
            ? "no rate-limit errors in the last hour"
            : $"{atLeast}{limited.Count} rate-limit error{(limited.Count == 1 ? "" : "s")} in the last hour " +
              $"({string.Join(", ", limited.GroupBy(e => e.ErrorType).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key} {g.Count()}"))}), " +
              $"the last at {limited.Max(e => e.OccurredAt):yyyy-MM-dd HH:mm} UTC";
        var budget = _budget is null ? null : await _budget(cancellationToken);
        var mostlyUsed = budget is { Limit: > 0 } b && 100.0 * b.Used / b.Limit >= WarnBudgetPercent;
        var budgetText = budget is null ? string.Empty : $"; {budget.Source} budget: {budget.Used} of {budget.Limit} requests used on {budget.Period}";
        if (budget is not null && budget.Left == 0)
        {
            return (HealthLevel.Warn, $"{errors}{budgetText}: spent, processing waits until the next period.");
        }

        return limited.Count > 0 || mostlyUsed
            ? (HealthLevel.Warn, $"{errors}{budgetText}{(mostlyUsed ? $": {WarnBudgetPercent} % or more used" : string.Empty)}." +
                (limited.Count > 0 ? " The source is throttling: lower the dataset's concurrency or wait." : string.Empty))
            : (HealthLevel.Ok, $"{errors}{budgetText}.");
    }

    private static bool IsRateLimit(Ledger.Model.ErrorRecord error) => RateLimitKinds.Contains(error.ErrorType) || error.StatusCode == 429;

    private static DatasetHost Host(DatasetHost host) => host ?? throw new ArgumentNullException(nameof(host));

    private Task<(HealthLevel Level, string Detail)> SourceAsync(CancellationToken cancellationToken) => _checkSource(cancellationToken);

    internal static bool IsWritable(string directory, out string? problem)
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

    private static string Mb(long bytes) => $"{bytes / (1024.0 * 1024):0} MB";
}
