using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
using Backfill.Engine.Gaps;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Operations.Metrics;

namespace Backfill.Engine.Alerts;

/// <summary>
/// The gauges <c>serve</c> adds to <c>/metrics</c>: for every registered dataset, what the ledger says (units by status,
/// gaps by category, coverage, last success, recent attempts and errors, request budget, output bytes), and the disks and
/// the machine. <c>deploy/prometheus/backfill-rules.yml</c> alerts on them; <c>docs/monitoring.md</c> lists them.
/// </summary>
public sealed class LedgerGauges(ILedger ledger, DatasetRegistry datasets, EffectiveSettings settings, TimeProvider time) : IGaugeSource
{
    private static readonly string[] Outcomes = ["success", "failed", "interrupted"];

    public async Task<IReadOnlyList<GaugeFamily>> ReadGaugesAsync(CancellationToken cancellationToken)
    {
        Observations observations;
        try
        {
            observations = await Observations.ReadAsync(ledger, datasets, settings, time, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // An unreachable ledger is itself worth an alert: the scrape still answers, with the ledger marked down.
            return [Up(0)];
        }

        return Families(observations);
    }

    public static IReadOnlyList<GaugeFamily> Families(Observations observations)
    {
        ArgumentNullException.ThrowIfNull(observations);
        var all = observations.Datasets;
        var windows = new[] { ("1h", (Func<DatasetObservation, LedgerActivity>)(d => d.LastHour)), ("24h", d => d.LastDay) };
        var kinds = Enum.GetNames<ErrorKind>().Concat(all.SelectMany(d => d.LastDay.ErrorsByKind.Keys)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var families = new List<GaugeFamily>
        {
            Up(1),
            new("backfill_units", "Units (dataset dates) in the ledger, by status.",
                [.. all.SelectMany(d => d.Units.Select(u => new GaugeSample(u.Value, ("dataset", d.Dataset), ("status", u.Key.ToString().ToLowerInvariant()))))]),
            new("backfill_gaps", "Sessions from processing.startDate to the latest complete session without verified output, by gap category.",
                [.. all.SelectMany(d => d.Gaps.Select(g => new GaugeSample(g.Value, ("dataset", d.Dataset), ("category", GapCategoryNames.Name(g.Key)))))]),
            new("backfill_gap_longest_run_sessions", "The most consecutive sessions without output (pruned ones excepted).",
                [.. all.Select(d => new GaugeSample(d.LongestGapRun, ("dataset", d.Dataset)))]),
            new("backfill_oldest_gap_age_seconds", "Seconds since the oldest gap's session ended; 0 when there is no gap.",
                [.. all.Select(d => new GaugeSample(Math.Round(d.OldestGapAge?.TotalSeconds ?? 0), ("dataset", d.Dataset)))]),
            new("backfill_coverage_ratio", "Done sessions over the sessions of the range, 0 to 1 (datasets the ledger holds units of).",
                [.. all.Where(d => d.Coverage is not null).Select(d => new GaugeSample(d.Coverage!.Value, ("dataset", d.Dataset)))]),
            new("backfill_last_success_timestamp_seconds", "Unix time the newest successful unit completed.",
                [.. all.Where(d => d.LastDay.LastSuccessAt is not null).Select(d => new GaugeSample(d.LastDay.LastSuccessAt!.Value.ToUnixTimeMilliseconds() / 1000.0, ("dataset", d.Dataset)))]),
            new("backfill_sessions_since_last_success", "Complete sessions that ended after the newest success completed.",
                [.. all.Where(d => d.SessionsSinceLastSuccess is not null).Select(d => new GaugeSample(d.SessionsSinceLastSuccess!.Value, ("dataset", d.Dataset)))]),
            new("backfill_recent_attempts", "Attempts that ended in the last hour or 24 hours (window), by outcome.",
                [.. all.SelectMany(d => windows.SelectMany(w => Outcomes.Select(o => new GaugeSample(w.Item2(d).Attempts(o), ("dataset", d.Dataset), ("outcome", o), ("window", w.Item1)))))]),
            new("backfill_recent_errors", "Errors recorded (error_log) in the last hour or 24 hours (window), by error kind.",
                [.. all.SelectMany(d => windows.SelectMany(w => kinds.Select(k => new GaugeSample(w.Item2(d).ErrorsByKind.GetValueOrDefault(k), ("dataset", d.Dataset), ("kind", k), ("window", w.Item1)))))]),
            new("backfill_recent_source_requests", "Vendor requests of the units updated in the last hour or 24 hours (window).",
                [.. all.SelectMany(d => windows.Select(w => new GaugeSample(w.Item2(d).SourceRequests, ("dataset", d.Dataset), ("window", w.Item1))))]),
            new("backfill_request_budget_used", "Requests counted against the vendor's budget in its current period (datasets with a budget).",
                [.. all.Where(d => d.Budget is not null).Select(d => new GaugeSample(d.Budget!.Used, ("dataset", d.Dataset), ("source", d.Budget.Source)))]),
            new("backfill_request_budget_limit", "Requests the vendor allows per period (datasets with a budget).",
                [.. all.Where(d => d.Budget is not null).Select(d => new GaugeSample(d.Budget!.Limit, ("dataset", d.Dataset), ("source", d.Budget.Source)))]),
            new("backfill_output_bytes", "Bytes of the outputs of done units, as the ledger records them.",
                [.. all.Select(d => new GaugeSample(d.OutputBytes, ("dataset", d.Dataset)))]),
        };

        var machine = observations.Machine;
        var disks = new[] { ("output", machine.Output), ("temp", machine.Temp) }.Where(d => d.Item2.Usage is not null).ToList();
        families.Add(new("backfill_disk_free_ratio", "Free share of the disk holding the output or temp folder (folder), 0 to 1.",
            [.. disks.Select(d => new GaugeSample(MachineObservation.FreeRatio(d.Item2) ?? 0, ("folder", d.Item1)))]));
        families.Add(new("backfill_disk_free_bytes", "Free bytes of the disk holding the output or temp folder (folder).",
            [.. disks.Select(d => new GaugeSample(d.Item2.Usage!.FreeBytes, ("folder", d.Item1)))]));
        if (machine.Usage.MemoryUsedRatio is { } memory)
        {
            families.Add(new("backfill_machine_memory_used_ratio", "The machine's memory in use (total minus available, /proc/meminfo), 0 to 1.", [new GaugeSample(memory)]));
        }

        if (machine.Usage.CpuUsedRatio is { } cpu)
        {
            families.Add(new("backfill_machine_cpu_used_ratio", "The machine's CPU time not idle over a short window at the scrape (/proc/stat), 0 to 1.", [new GaugeSample(cpu)]));
        }

        return families;
    }

    private static GaugeFamily Up(int up) =>
        new("backfill_ledger_up", "1 when the ledger could be read at this scrape, 0 when not (the other backfill_ gauges are then absent).", [new GaugeSample(up)]);
}
