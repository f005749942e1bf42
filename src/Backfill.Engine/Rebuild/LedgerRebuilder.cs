using Backfill.Engine.Datasets;
using Backfill.Engine.Verification;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Storage.Outputs;

namespace Backfill.Engine.Rebuild;

/// <summary>What <see cref="LedgerRebuilder"/> did with one output it found.</summary>
public enum RebuildStatus
{
    /// <summary>The output proved itself (date, rows, content checksum) and its date is now recorded as done.</summary>
    Registered,

    /// <summary>The ledger already records the date as done; left as it is (<c>verify</c> checks it).</summary>
    AlreadyRecorded,

    /// <summary>The output failed its own checks (another date's data, damaged, unreadable); the date stays a gap.</summary>
    Rejected,

    /// <summary>Another worker holds the date with a live lease; run the rebuild again when it is done.</summary>
    Busy,
}

/// <summary>One output of the store and what the rebuild made of it.</summary>
public sealed record RebuildItem(string Dataset, DateOnly Date, RebuildStatus Status, string Location, long? Rows, string Message);

/// <summary>
/// <c>ledger rebuild</c>: recreates a dataset's done units from its published outputs after the ledger was lost. Every
/// output is self-describing (its date, row count and content checksum are in the file, the key id in an encrypted one), so
/// each is read back by the dataset's own checker (<see cref="IOutputChecker.IdentifyAsync"/>: every row re-read, the content
/// checksum recomputed, every row's date compared with the date of its place in the layout) and only then recorded as done,
/// through the same claim and completion as processing. An output that fails is reported and its date stays a gap, so
/// <c>process-gaps</c> makes it again. Dates the ledger already records as done are left alone.
/// </summary>
public sealed class LedgerRebuilder(ILedger ledger, string owner)
{
    private static readonly TimeSpan Lease = TimeSpan.FromMinutes(10);

    public static string RebuildStatusName(RebuildStatus status) => status switch
    {
        RebuildStatus.Registered => "registered",
        RebuildStatus.AlreadyRecorded => "already-recorded",
        RebuildStatus.Rejected => "rejected",
        RebuildStatus.Busy => "busy",
        _ => status.ToString(),
    };

    /// <param name="dryRun">Read and check every output, change nothing (items say what would be registered).</param>
    /// <param name="progress">Called after each output (done so far, found so far).</param>
    public async Task<IReadOnlyList<RebuildItem>> RebuildAsync(
        IDataset dataset, IOutputStore store, IOutputChecker checker, bool dryRun, Action<int>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(checker);
        var done = (await ledger.ListUnitsAsync(dataset.Name, null, null, UnitStatus.Success, cancellationToken))
            .Select(u => u.TradeDate).ToHashSet();
        var items = new List<RebuildItem>();
        await foreach (var (item, date) in dataset.Layout.ListAsync(store, cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            items.Add(await RebuildOneAsync(dataset.Name, store, checker, item, date, done.Contains(date), dryRun, cancellationToken));
            progress?.Invoke(items.Count);
        }

        items.Sort(static (a, b) => a.Date.CompareTo(b.Date));
        return items;
    }

    private async Task<RebuildItem> RebuildOneAsync(
        string dataset, IOutputStore store, IOutputChecker checker, StoredObject item, DateOnly date, bool recorded, bool dryRun, CancellationToken cancellationToken)
    {
        if (recorded)
        {
            return new RebuildItem(dataset, date, RebuildStatus.AlreadyRecorded, item.Location, null, "the ledger records this date as done; 'backfill verify' checks it");
        }

        OutputIdentity identity;
        try
        {
            identity = await checker.IdentifyAsync(store, item.Key, date, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // A damaged output must not stop the rebuild of the others: whatever its reader threw, it is unreadable.
            return new RebuildItem(dataset, date, RebuildStatus.Rejected, item.Location, null, $"cannot be read: {Core.Text.VendorText.Sanitize(e.Message)}; the date stays a gap");
        }

        if (!identity.IsOk)
        {
            return new RebuildItem(dataset, date, RebuildStatus.Rejected, item.Location, identity.Result.RowCount,
                $"{identity.Result.Message} Not registered: the date stays a gap ('backfill process-gaps' makes it again).");
        }

        var success = identity.Success!;
        if (dryRun)
        {
            return new RebuildItem(dataset, date, RebuildStatus.Registered, item.Location, success.RowCount, "would be registered (dry run): the file proved its date, rows and content checksum");
        }

        var claim = await ledger.TryClaimUnitAsync(dataset, date, owner, Lease, allowSuccessful: false, cancellationToken);
        if (claim is null)
        {
            var now = await ledger.GetUnitAsync(dataset, date, cancellationToken);
            return now is { Status: UnitStatus.Success }
                ? new RebuildItem(dataset, date, RebuildStatus.AlreadyRecorded, item.Location, now.RowCount, "recorded as done by another process meanwhile")
                : new RebuildItem(dataset, date, RebuildStatus.Busy, item.Location, success.RowCount, "another worker holds this date with a live lease; run the rebuild again when it is done");
        }

        await ledger.CompleteUnitAsync(dataset, date, owner, success, cancellationToken);
        return new RebuildItem(dataset, date, RebuildStatus.Registered, item.Location, success.RowCount,
            $"registered: {success.RowCount} row(s), content SHA-256 {Short(success.ContentSha256)}, checked row by row");
    }

    private static string Short(string? sha) => sha is null ? "-" : sha.Length > 12 ? sha[..12] : sha;
}
