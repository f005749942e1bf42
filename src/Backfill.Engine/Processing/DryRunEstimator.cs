using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
using Backfill.Ledger.Model;

namespace Backfill.Engine.Processing;

/// <summary>
/// The plan of a dry run: a dataset that plans its dates itself (<see cref="IDryRunPlanner"/>) is asked; any other is
/// estimated from the average of its last 20 done dates in the ledger, or from its own defaults before it has any.
/// </summary>
public static class DryRunEstimator
{
    private const int History = 20;

    public static async Task<DryRunPlan> PlanAsync(
        IDataset dataset, DatasetHost host, EffectiveSettings settings, IReadOnlyList<DateOnly> dates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(dates);
        if (dataset is IDryRunPlanner planner)
        {
            return await planner.PlanAsync(host, settings, dates, cancellationToken);
        }

        var history = (await host.Ledger.ListUnitsAsync(dataset.Name, null, null, UnitStatus.Success, cancellationToken)).TakeLast(History).ToList();
        var defaults = dataset.DryRun;
        var basis = history.Count == 0 ? $"the {dataset.Name} dataset's defaults (no day processed yet)" : $"the average of the last {history.Count} processed day(s)";
        var rows = history.Count == 0 ? defaults.Rows : history.Average(u => (double)(u.RowCount ?? 0));
        var requests = history.Count == 0 ? defaults.Requests : history.Average(u => (double)(u.ApiRequests ?? 0));
        var bytes = history.Count == 0 ? defaults.OutputBytes : history.Average(u => (double)(u.FileSize ?? 0));
        var seconds = history.Count == 0 ? defaults.Seconds : history.Average(u => (u.DurationMs ?? 0) / 1000.0);
        var n = dates.Count;
        var staging = defaults.StagingBytesPerRow > 0 ? $" (plus about {rows * defaults.StagingBytesPerRow / 1e9:F2} GB of staging per date in flight)" : string.Empty;
        var note = $"{n} date(s): about {(long)(requests * n):N0} requests, {(long)(rows * n):N0} rows, {bytes * n / 1e9:F2} GB of output{staging}, " +
                   $"{TimeSpan.FromSeconds(seconds * n):g} at one date at a time. Estimates from {basis}.";
        return new DryRunPlan([.. dates.Select(d => new DryRunDate(d, (long)requests, (long)rows, (long)bytes, Math.Round(seconds, 1)))], [note]);
    }
}
