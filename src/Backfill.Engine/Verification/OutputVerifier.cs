using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Engine.Datasets;
using Backfill.Storage.Outputs;
using Backfill.Storage.Verification;

namespace Backfill.Engine.Verification;

/// <summary>What <see cref="OutputVerifier"/> concluded about one file.</summary>
public enum OutputFileStatus
{
    /// <summary>The file matches the ledger (and, in deep mode, its own content checksum); owner-only permissions.</summary>
    Ok,

    /// <summary>The ledger holds the unit as success but its file is gone.</summary>
    Missing,

    /// <summary>Checksum mismatch, unreadable, or metadata that disagrees with itself or the ledger.</summary>
    Corrupted,

    /// <summary>A layout file in the output tree with no successful ledger unit pointing at it.</summary>
    Extra,

    /// <summary>A good file that group or others may read or write (Unix only).</summary>
    InsecurePermissions,
}

/// <summary>One file's verdict, with what was expected and measured.</summary>
/// <param name="Detail">The verifier's own status when the file was checked (null for extra files).</param>
public sealed record OutputFinding(
    DateOnly Date,
    OutputFileStatus Status,
    string Path,
    string? ExpectedSha256,
    string? ActualSha256,
    string Message,
    VerificationStatus? Detail = null);

/// <summary>Every finding of one verify run, and counts by status.</summary>
public sealed record OutputVerificationReport(string Dataset, string OutputRoot, DateOnly? From, DateOnly? To, bool Deep, IReadOnlyList<OutputFinding> Findings)
{
    public int Count(OutputFileStatus status) => Findings.Count(f => f.Status == status);

    /// <summary>Success units checked (extra files are not units).</summary>
    public int UnitsChecked => Findings.Count(f => f.Status != OutputFileStatus.Extra);

    public bool AllOk => Findings.All(f => f.Status == OutputFileStatus.Ok);

    public static string Name(OutputFileStatus status) => status switch
    {
        OutputFileStatus.Ok => "ok",
        OutputFileStatus.Missing => "missing",
        OutputFileStatus.Corrupted => "corrupted",
        OutputFileStatus.Extra => "extra",
        OutputFileStatus.InsecurePermissions => "insecure-permissions",
        _ => status.ToString(),
    };
}

/// <summary>
/// Compares the ledger's successful units of a dataset with its outputs in the output store: each success unit's output
/// is checked by the dataset's own checker against the ledger's record (deep: every row re-read), its protection must be
/// owner-only, and outputs of the dataset's layout without a successful unit are reported as extra.
/// </summary>
/// <param name="checker">For <see cref="VerifyAsync(string, string, DateOnly?, DateOnly?, bool, CancellationToken)"/>: the
/// dataset's checker (default: the one it builds without host or settings).</param>
public sealed class OutputVerifier(ILedger ledger, IOutputChecker? checker = null)
{
    /// <summary>Verifies a registered dataset's outputs under a local output folder (tools and tests).</summary>
    public Task<OutputVerificationReport> VerifyAsync(string dataset, string outputRoot, DateOnly? from, DateOnly? to, bool deep, CancellationToken cancellationToken)
    {
        var found = DatasetRegistry.Default.Get(dataset);
        var store = new LocalOutputStore(outputRoot, Path.Combine(outputRoot, Storage.Publish.AtomicFilePublisher.IncomingFolderName));
        return VerifyAsync(found, store, checker ?? found.CreateChecker(null, null), from, to, deep, cancellationToken);
    }

    public async Task<OutputVerificationReport> VerifyAsync(
        IDataset dataset, IOutputStore store, IOutputChecker checker, DateOnly? from, DateOnly? to, bool deep, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(checker);
        var units = await ledger.ListUnitsAsync(dataset.Name, from, to, UnitStatus.Success, cancellationToken);
        var findings = new List<OutputFinding>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var unit in units)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var key = (unit.FilePath is null ? null : store.KeyOf(unit.FilePath)) ?? dataset.Layout.KeyFor(unit.TradeDate);
            known.Add(key);
            findings.Add(await VerifyUnitAsync(store, checker, key, unit, deep, cancellationToken));
        }

        await foreach (var (item, date) in dataset.Layout.ListAsync(store, cancellationToken))
        {
            if ((from is { } f && date < f) || (to is { } t && date > t) || known.Contains(item.Key))
            {
                continue;
            }

            findings.Add(new OutputFinding(date, OutputFileStatus.Extra, item.Location, null, null,
                $"'{item.Location}' is in the output tree but the ledger has no successful unit for it."));
        }

        findings.Sort(static (a, b) =>
        {
            var byDate = a.Date.CompareTo(b.Date);
            return byDate != 0 ? byDate : string.CompareOrdinal(a.Path, b.Path);
        });
        return new OutputVerificationReport(dataset.Name, store.Root, from, to, deep, findings);
    }

    private static async Task<OutputFinding> VerifyUnitAsync(IOutputStore store, IOutputChecker checker, string key, UnitRecord unit, bool deep, CancellationToken cancellationToken)
    {
        var path = store.LocationOf(key);
        VerificationResult result;
        try
        {
            result = await checker.CheckAsync(store, key, unit, deep, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            // A damaged file must not stop the run: whatever the reader threw, the file is unreadable.
            result = new VerificationResult(VerificationStatus.Unreadable, $"'{path}' cannot be read: {e.Message}");
        }

        var status = result.Status switch
        {
            VerificationStatus.Ok => OutputFileStatus.Ok,
            VerificationStatus.Missing => OutputFileStatus.Missing,
            _ => OutputFileStatus.Corrupted,
        };
        var message = result.Message;
        if (status == OutputFileStatus.Ok && store.PermissionProblem(key) is { } problem)
        {
            status = OutputFileStatus.InsecurePermissions;
            message = problem;
        }

        return new OutputFinding(unit.TradeDate, status, path, checker.ExpectedSha256(unit), result.Sha256, message, result.Status);
    }
}
