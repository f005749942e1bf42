using System.Globalization;
using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Engine.Datasets;
using Backfill.Storage.Outputs;

namespace Backfill.Engine.Cleanup;

/// <summary>
/// <c>cleanup --older-than DAYS</c>: deletes the published file of every done date whose trading date lies more than DAYS days
/// before today (exchange time zone), and marks the date <c>failed</c> with error type <see cref="PrunedErrorType"/>, keeping
/// its recorded checksums. <c>gaps</c> lists such dates as <c>pruned</c> (lowest priority), <c>process-gaps</c> and
/// <c>retry --all-failed</c> skip them, and <c>recover --from BACKUP</c> brings them back. Only files at their layout path under
/// <c>{out}/{dataset}</c> are deleted; a ledger path outside it is reported and left alone, and so are files the ledger does
/// not hold as done.
/// </summary>
public sealed class Retention(ILedger ledger)
{
    /// <summary>The <c>last_error_type</c> of a date removed by retention.</summary>
    public const string PrunedErrorType = "Pruned";

    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(2);

    public static bool IsPruned(UnitRecord unit)
    {
        ArgumentNullException.ThrowIfNull(unit);
        return unit.Status == UnitStatus.Failed && unit.LastErrorType == PrunedErrorType;
    }

    /// <summary>The first date kept: dates before it are older than <paramref name="days"/> days.</summary>
    public static DateOnly Cutoff(DateOnly today, int days) => today.AddDays(-days);

    internal async Task PruneAsync(
        IDataset dataset, IOutputStore store, int days, DateOnly today, bool dryRun, List<CleanupItem> items, List<string> notes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        var cutoff = Cutoff(today, days);
        var name = dataset.Name;
        var units = await ledger.ListUnitsAsync(name, null, cutoff.AddDays(-1), UnitStatus.Success, cancellationToken);
        var owner = "retention:" + WorkerIdentity.Current;
        var pruned = 0;
        foreach (var unit in units)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var expectedKey = dataset.Layout.KeyFor(unit.TradeDate);
            var expected = store.LocationOf(expectedKey);
            if (unit.FilePath is not null && store.KeyOf(unit.FilePath) != expectedKey)
            {
                notes.Add($"{unit.TradeDate:yyyy-MM-dd}: the ledger's file '{unit.FilePath}' is not at its place in the output tree ('{expected}'); left alone.");
                continue;
            }

            var found = await store.StatAsync(expectedKey, cancellationToken);
            var message = $"removed by retention (cleanup --older-than {days} on {today:yyyy-MM-dd}: before {cutoff:yyyy-MM-dd}); bring it back with 'backfill recover --from BACKUP'";
            items.Add(new CleanupItem(CleanupItemKind.PrunedOutput, unit.TradeDate, expected, found?.SizeBytes ?? 0,
                found is not null ? "older than the retention period; the date is marked pruned" : "file already gone; the date is marked pruned"));
            if (dryRun)
            {
                continue;
            }

            if (await ledger.TryClaimUnitAsync(name, unit.TradeDate, owner, Lease, allowSuccessful: true, cancellationToken) is null)
            {
                items.RemoveAt(items.Count - 1);
                notes.Add($"{unit.TradeDate:yyyy-MM-dd}: another worker holds the date; not pruned. Run cleanup again later.");
                continue;
            }

            if (found is not null)
            {
                await store.DeleteAsync(expectedKey, cancellationToken);
            }

            await ledger.FailUnitAsync(name, unit.TradeDate, owner, PrunedErrorType, message, CancellationToken.None);
            pruned++;
        }

        var known = units.Select(u => dataset.Layout.KeyFor(u.TradeDate)).ToHashSet(StringComparer.Ordinal);
        var strays = 0;
        await foreach (var (item, date) in dataset.Layout.ListAsync(store, cancellationToken))
        {
            if (date < cutoff && !known.Contains(item.Key))
            {
                strays++;
            }
        }

        if (strays > 0)
        {
            notes.Add($"{strays} file(s) older than {cutoff:yyyy-MM-dd} are not done dates in the ledger and were left alone (see 'backfill verify': extra).");
        }

        notes.Add($"Retention: dates before {cutoff:yyyy-MM-dd} ({days} day(s) before {today:yyyy-MM-dd}); " +
            (dryRun ? $"{items.Count(i => i.Kind == CleanupItemKind.PrunedOutput)} would be pruned." : $"{pruned} pruned; 'gaps' lists them as pruned."));
    }
}
