using System.Globalization;
using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Storage.Layout;

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
        string dataset, string output, int days, DateOnly today, bool dryRun, List<CleanupItem> items, List<string> notes, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        var cutoff = Cutoff(today, days);
        var datasetRoot = Path.Combine(output, dataset);
        var units = await ledger.ListUnitsAsync(dataset, null, cutoff.AddDays(-1), UnitStatus.Success, cancellationToken);
        var owner = "retention:" + WorkerIdentity.Current;
        var pruned = 0;
        foreach (var unit in units)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var expected = OutputLayout.PathFor(output, dataset, unit.TradeDate);
            var path = unit.FilePath is null ? expected : Path.GetFullPath(unit.FilePath);
            if (path != expected || !path.StartsWith(datasetRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            {
                notes.Add($"{unit.TradeDate:yyyy-MM-dd}: the ledger's file '{path}' is not at its place in the output tree ('{expected}'); left alone.");
                continue;
            }

            var exists = File.Exists(path);
            var message = $"removed by retention (cleanup --older-than {days} on {today:yyyy-MM-dd}: before {cutoff:yyyy-MM-dd}); bring it back with 'backfill recover --from BACKUP'";
            items.Add(new CleanupItem(CleanupItemKind.PrunedOutput, unit.TradeDate, path, exists ? OutputCleaner.SizeOf(path) : 0,
                exists ? "older than the retention period; the date is marked pruned" : "file already gone; the date is marked pruned"));
            if (dryRun)
            {
                continue;
            }

            if (await ledger.TryClaimUnitAsync(dataset, unit.TradeDate, owner, Lease, allowSuccessful: true, cancellationToken) is null)
            {
                items.RemoveAt(items.Count - 1);
                notes.Add($"{unit.TradeDate:yyyy-MM-dd}: another worker holds the date; not pruned. Run cleanup again later.");
                continue;
            }

            if (exists)
            {
                File.Delete(path);
                RemoveEmptyParents(Path.GetDirectoryName(path)!, datasetRoot);
            }

            await ledger.FailUnitAsync(dataset, unit.TradeDate, owner, PrunedErrorType, message, CancellationToken.None);
            pruned++;
        }

        var known = units.Select(u => OutputLayout.PathFor(output, dataset, u.TradeDate)).ToHashSet(StringComparer.Ordinal);
        var strays = OutputLayout.EnumerateFiles(output, dataset).Count(f => f.Date < cutoff && !known.Contains(f.Path));
        if (strays > 0)
        {
            notes.Add($"{strays} file(s) older than {cutoff:yyyy-MM-dd} are not done dates in the ledger and were left alone (see 'backfill verify': extra).");
        }

        notes.Add($"Retention: dates before {cutoff:yyyy-MM-dd} ({days} day(s) before {today:yyyy-MM-dd}); " +
            (dryRun ? $"{items.Count(i => i.Kind == CleanupItemKind.PrunedOutput)} would be pruned." : $"{pruned} pruned; 'gaps' lists them as pruned."));
    }

    private static void RemoveEmptyParents(string directory, string stopAt)
    {
        while (directory.StartsWith(stopAt + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            && Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
        {
            Directory.Delete(directory);
            directory = Path.GetDirectoryName(directory)!;
        }
    }
}
