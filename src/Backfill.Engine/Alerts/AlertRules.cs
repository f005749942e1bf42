using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;

namespace Backfill.Engine.Alerts;

/// <summary>The thresholds of the alert rules, from the <c>alerts.*</c> settings (defaults: the PRD's).</summary>
public sealed record AlertThresholds(
    double FailureRate = 0.05,
    int MaxConsecutiveMissing = 3,
    int NoSuccessSessions = 3,
    double ConnectivityFailureRate = 0.10,
    double DiskFreeRatio = 0.20,
    double ResourceRatio = 0.90,
    TimeSpan? ResourceFor = null)
{
    public TimeSpan ResourceHeldFor => ResourceFor ?? TimeSpan.FromMinutes(15);

    public static AlertThresholds From(EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new AlertThresholds(
            settings.Int(Settings.AlertsFailureRatePercent) / 100.0,
            settings.Int(Settings.AlertsMaxConsecutiveMissing),
            settings.Int(Settings.AlertsNoSuccessSessions),
            settings.Int(Settings.AlertsConnectivityFailurePercent) / 100.0,
            settings.Int(Settings.AlertsDiskFreePercent) / 100.0,
            settings.Int(Settings.AlertsResourcePercent) / 100.0,
            TimeSpan.FromMinutes(settings.Int(Settings.AlertsResourceForMinutes)));
    }
}

/// <summary>
/// One alert rule applied to one subject (a dataset, a folder, the machine): whether its condition holds now, the value
/// it saw, and a one-line summary of numbers only (never a message from a vendor, which could carry anything).
/// </summary>
/// <param name="For">How long the condition must hold before the alert fires (pending until then).</param>
public sealed record AlertCheck(
    string Name, IReadOnlyList<KeyValuePair<string, string>> Labels, string Severity, bool Active, double? Value, double Threshold, TimeSpan For, string Summary)
{
    /// <summary>The name and labels, as Prometheus writes a series: <c>BackfillFailureRateHigh{dataset="spx"}</c>.</summary>
    public string Key => Labels.Count == 0 ? Name : $"{Name}{{{string.Join(',', Labels.Select(l => $"{l.Key}=\"{l.Value}\""))}}}";

    public string Subject => Labels.Count == 0 ? "machine" : string.Join(' ', Labels.Select(l => l.Value));
}

/// <summary>
/// The alert conditions of the PRD, evaluated over <see cref="Observations"/>; <c>deploy/prometheus/backfill-rules.yml</c>
/// states the same ones over the <c>/metrics</c> gauges. Every rule yields a check for every subject, active or not, so
/// that a cleared condition can be told apart from one never seen.
/// </summary>
public static class AlertRules
{
    public const string FailureRateHigh = "BackfillFailureRateHigh";
    public const string ConsecutiveMissingSessions = "BackfillConsecutiveMissingSessions";
    public const string NoRecentSuccess = "BackfillNoRecentSuccess";
    public const string SourceConnectivityFailures = "BackfillSourceConnectivityFailures";
    public const string DiskSpaceLow = "BackfillDiskSpaceLow";
    public const string MemoryHigh = "BackfillMemoryHigh";
    public const string CpuHigh = "BackfillCpuHigh";

    /// <summary>Error kinds that mean the source could not be reached or did not answer properly.</summary>
    public static readonly IReadOnlySet<string> ConnectivityKinds = new HashSet<string>(StringComparer.Ordinal)
    {
        nameof(ErrorKind.ConnectionFailed), nameof(ErrorKind.TerminalNotRunning), nameof(ErrorKind.ServerError),
    };

    public static IReadOnlyList<AlertCheck> Evaluate(Observations observations, AlertThresholds thresholds)
    {
        ArgumentNullException.ThrowIfNull(observations);
        ArgumentNullException.ThrowIfNull(thresholds);
        var checks = new List<AlertCheck>();
        foreach (var d in observations.Datasets)
        {
            KeyValuePair<string, string>[] labels = [new("dataset", d.Dataset)];
            var failure = d.FailureRate24h;
            checks.Add(new AlertCheck(FailureRateHigh, labels, "critical", failure > thresholds.FailureRate, failure, thresholds.FailureRate, TimeSpan.Zero,
                failure is { } f
                    ? $"{d.Dataset}: {Percent(f)} of the attempts that finished in the last 24 h failed ({d.LastDay.Attempts("failed")} of {d.LastDay.Attempts("failed") + d.LastDay.Attempts("success")}); the limit is {Percent(thresholds.FailureRate)}."
                    : $"{d.Dataset}: no attempt finished in the last 24 h."));

            var run = d.InUse ? d.LongestGapRun : 0;
            checks.Add(new AlertCheck(ConsecutiveMissingSessions, labels, "warning", run > thresholds.MaxConsecutiveMissing, run, thresholds.MaxConsecutiveMissing, TimeSpan.Zero,
                $"{d.Dataset}: {Count(run, "consecutive session")} without output (gaps: {d.Gaps.Values.Sum()}); the limit is {thresholds.MaxConsecutiveMissing}."));

            var since = d.SessionsSinceLastSuccess;
            checks.Add(new AlertCheck(NoRecentSuccess, labels, "warning", since >= thresholds.NoSuccessSessions, since, thresholds.NoSuccessSessions, TimeSpan.Zero,
                since is { } s
                    ? $"{d.Dataset}: {Count(s, "session")} ended since the last success ({d.LastDay.LastSuccessAt:yyyy-MM-dd HH:mm} UTC); the limit is {thresholds.NoSuccessSessions}."
                    : $"{d.Dataset}: no success recorded yet."));

            var connectivity = d.ConnectivityFailureRate1h;
            checks.Add(new AlertCheck(SourceConnectivityFailures, labels, "critical", connectivity > thresholds.ConnectivityFailureRate, connectivity,
                thresholds.ConnectivityFailureRate, TimeSpan.Zero,
                connectivity is { } c
                    ? $"{d.Dataset}: {Percent(c)} of the last hour's source requests failed to connect ({d.ConnectivityErrors1h} of {Math.Max(d.LastHour.SourceRequests, d.ConnectivityErrors1h)}); the limit is {Percent(thresholds.ConnectivityFailureRate)}."
                    : $"{d.Dataset}: no source request in the last hour."));
        }

        foreach (var (folder, disk) in new[] { ("output", observations.Machine.Output), ("temp", observations.Machine.Temp) })
        {
            var free = MachineObservation.FreeRatio(disk);
            checks.Add(new AlertCheck(DiskSpaceLow, [new("folder", folder)], "critical", free < thresholds.DiskFreeRatio, free, thresholds.DiskFreeRatio, TimeSpan.Zero,
                free is { } r
                    ? $"the {folder} folder's disk has {Percent(r)} free ({disk.Usage!.FreeBytes / (1024 * 1024)} MB); the minimum is {Percent(thresholds.DiskFreeRatio)}."
                    : $"the {folder} folder's disk cannot be measured: {disk.Problem}"));
        }

        var usage = observations.Machine.Usage;
        foreach (var (name, what, ratio) in new[] { (MemoryHigh, "memory", usage.MemoryUsedRatio), (CpuHigh, "CPU", usage.CpuUsedRatio) })
        {
            checks.Add(new AlertCheck(name, [], "warning", ratio > thresholds.ResourceRatio, ratio, thresholds.ResourceRatio, thresholds.ResourceHeldFor,
                ratio is { } r
                    ? $"the machine's {what} is {Percent(r)} in use; the limit is {Percent(thresholds.ResourceRatio)} for {thresholds.ResourceHeldFor.TotalMinutes:0} min."
                    : $"the machine's {what} cannot be measured here."));
        }

        return checks;
    }

    private static string Percent(double ratio) => (ratio * 100).ToString("0.#", CultureInfo.InvariantCulture) + " %";

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n.ToString(CultureInfo.InvariantCulture)} {noun}s";
}
