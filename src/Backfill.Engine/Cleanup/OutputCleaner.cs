using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Engine.Processing;
using Backfill.Engine.Verification;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Storage.Outputs;
using Backfill.Engine.Datasets;

namespace Backfill.Engine.Cleanup;

/// <summary>What cleanup should do. With no flag set the caller asks for temp files and failed outputs.</summary>
/// <param name="OlderThanDays">Retention: prune published files whose trading date is more than this many days before <paramref name="Today"/>.</param>
/// <param name="Today">Today in the dataset's exchange time zone (required with <paramref name="OlderThanDays"/>).</param>
public sealed record CleanupRequest(bool TempFiles, bool FailedOutputs, bool DryRun, int? OlderThanDays = null, DateOnly? Today = null);

public enum CleanupItemKind
{
    /// <summary>An unfinished <c>.ndjson.part</c> staging file (never read; a resume deletes it anyway).</summary>
    PartialStagingFile,

    /// <summary>The whole staging folder of a unit the ledger holds as success.</summary>
    SuccessStaging,

    /// <summary>A temp file of an interrupted publish in the publish folder.</summary>
    PublishTempFile,

    /// <summary>A leftover of an interrupted cross-filesystem publish in <c>{out}/.incoming</c>.</summary>
    IncomingFile,

    /// <summary>An output file that failed verification; its unit was reset so <c>gaps</c> shows it again.</summary>
    CorruptedOutput,

    /// <summary>A published file older than the retention period; its unit is marked pruned (<see cref="Retention"/>).</summary>
    PrunedOutput,
}

/// <summary>One thing removed (or, in a dry run, that would be removed).</summary>
public sealed record CleanupItem(CleanupItemKind Kind, DateOnly? Date, string Path, long Bytes, string Detail);

/// <summary>A staging folder cleanup left alone, and why.</summary>
public sealed record KeptStaging(DateOnly Date, string Path, UnitStatus? Status, int CompletedSubUnits, string Reason);

public sealed record CleanupReport(bool DryRun, IReadOnlyList<CleanupItem> Items, IReadOnlyList<KeptStaging> Kept, IReadOnlyList<string> Notes)
{
    public long BytesFreed => Items.Sum(i => i.Bytes);

    public int Count(CleanupItemKind kind) => Items.Count(i => i.Kind == kind);

    public static string Name(CleanupItemKind kind) => kind switch
    {
        CleanupItemKind.PartialStagingFile => "partial-staging-file",
        CleanupItemKind.SuccessStaging => "success-staging",
        CleanupItemKind.PublishTempFile => "publish-temp-file",
        CleanupItemKind.IncomingFile => "incoming-file",
        CleanupItemKind.CorruptedOutput => "corrupted-output",
        CleanupItemKind.PrunedOutput => "pruned-output",
        _ => kind.ToString(),
    };
}

/// <summary>
/// Removes what Backfill no longer needs. Temp files: <c>.part</c> staging files, whole staging folders of successful
/// units, publish temp files and <c>.incoming</c> leftovers; completed sub-units of failed, interrupted or processing
/// units are never touched (they are what a resume continues from), and nothing in the publish folders is touched
/// while a unit holds a live lease. Failed outputs: files that fail verification are deleted and their units reset,
/// with a <c>FileCorruption</c> error recorded, so <c>gaps</c> lists those dates again. Retention (<c>--older-than</c>): see
/// <see cref="Retention"/>.
/// </summary>
/// <param name="checker">The dataset's reader of its outputs, needed to judge failed outputs (null when they are not asked for).</param>
public sealed class OutputCleaner(ILedger ledger, TimeProvider? time = null, IOutputChecker? checker = null)
{
    /// <summary>A sub-unit being written: a resume starts it again.</summary>
    private const string PartialExtension = ".part";

    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Cleans a registered dataset whose outputs are in a local folder (tools and tests).</summary>
    public Task<CleanupReport> CleanAsync(string dataset, string outputRoot, string tempRoot, CleanupRequest request, CancellationToken cancellationToken) =>
        CleanAsync(DatasetRegistry.Default.Get(dataset), new LocalOutputStore(outputRoot, EnginePaths.PublishDirectory(tempRoot, dataset)), tempRoot, request, cancellationToken);

    public async Task<CleanupReport> CleanAsync(IDataset dataset, IOutputStore store, string tempRoot, CleanupRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(request);
        var temp = Path.GetFullPath(tempRoot);
        var items = new List<CleanupItem>();
        var kept = new List<KeptStaging>();
        var notes = new List<string>();
        if (request.TempFiles)
        {
            await CleanTempAsync(dataset.Name, store, temp, request.DryRun, items, kept, notes, cancellationToken);
        }

        if (request.FailedOutputs)
        {
            await CleanFailedOutputsAsync(dataset, store, request.DryRun, items, notes, cancellationToken);
        }

        if (request.OlderThanDays is { } days)
        {
            var today = request.Today ?? throw new ArgumentException("Retention needs today's date.", nameof(request));
            await new Retention(ledger).PruneAsync(dataset, store, days, today, request.DryRun, items, notes, cancellationToken);
        }

        return new CleanupReport(request.DryRun, items, kept, notes);
    }

    private async Task CleanTempAsync(
        string dataset, IOutputStore store, string temp, bool dryRun, List<CleanupItem> items, List<KeptStaging> kept, List<string> notes, CancellationToken cancellationToken)
    {
        var units = (await ledger.ListUnitsAsync(dataset, null, null, null, cancellationToken)).ToDictionary(u => u.TradeDate);
        var now = _time.GetUtcNow();
        // A unit a dead process on this host left in processing is not live, whatever its lease says: its temp files are leftovers.
        var live = units.Values.Count(u => u.Status == UnitStatus.Processing && u.LeaseExpiresAt > now && !WorkerIdentity.IsDeadLocalOwner(u.Owner));
        var stagingRoot = EnginePaths.StagingRoot(temp, dataset);
        if (Directory.Exists(stagingRoot))
        {
            foreach (var directory in Directory.GetDirectories(stagingRoot).Order(StringComparer.Ordinal))
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (!DateOnly.TryParseExact(Path.GetFileName(directory), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
                {
                    notes.Add($"'{directory}' is not a staging folder of a date; left alone.");
                    continue;
                }

                var status = units.TryGetValue(date, out var unit) ? unit.Status : (UnitStatus?)null;
                if (status == UnitStatus.Success)
                {
                    items.Add(new CleanupItem(CleanupItemKind.SuccessStaging, date, directory, DirectorySize(directory),
                        "staging of a unit recorded as success (its file is published)"));
                    if (!dryRun)
                    {
                        Directory.Delete(directory, recursive: true);
                    }

                    continue;
                }

                var completed = Directory.GetFiles(directory).Count(f => !f.EndsWith(PartialExtension, StringComparison.Ordinal));
                if (status == UnitStatus.Processing)
                {
                    kept.Add(new KeptStaging(date, directory, status, completed, "processing: a worker may be writing here; nothing touched"));
                    continue;
                }

                var partials = Directory.GetFiles(directory, "*" + PartialExtension).Where(f => f.EndsWith(PartialExtension, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();
                foreach (var partial in partials)
                {
                    items.Add(new CleanupItem(CleanupItemKind.PartialStagingFile, date, partial, SizeOf(partial), "unfinished sub-unit; a resume starts it again"));
                }

                if (!dryRun)
                {
                    foreach (var partial in partials)
                    {
                        File.Delete(partial);
                    }
                }

                kept.Add(new KeptStaging(date, directory, status, completed,
                    $"{status?.ToDb() ?? "not in the ledger"}: {completed} completed sub-unit(s) kept, resumable"));
            }
        }

        if (live > 0)
        {
            notes.Add($"{live} unit(s) are processing with a live lease: publish temp files and .incoming were left alone. Run cleanup again when they finish.");
            return;
        }

        foreach (var leftover in await store.CleanLeftoversAsync(dryRun, cancellationToken))
        {
            items.Add(new CleanupItem(leftover.InOutputRoot ? CleanupItemKind.IncomingFile : CleanupItemKind.PublishTempFile, null, leftover.Location, leftover.Bytes, leftover.Detail));
        }
    }

    private async Task CleanFailedOutputsAsync(IDataset dataset, IOutputStore store, bool dryRun, List<CleanupItem> items, List<string> notes, CancellationToken cancellationToken)
    {
        var reader = checker ?? dataset.CreateChecker(null, null);
        var report = await new OutputVerifier(ledger).VerifyAsync(dataset, store, reader, null, null, deep: false, cancellationToken);
        foreach (var finding in report.Findings.Where(f => f.Status == OutputFileStatus.Corrupted))
        {
            items.Add(new CleanupItem(CleanupItemKind.CorruptedOutput, finding.Date, finding.Path, SizeOf(finding.Path),
                $"{finding.Message} Unit reset: gaps lists the date again."));
            if (dryRun)
            {
                continue;
            }

            await store.DeleteAsync(store.KeyOf(finding.Path) ?? dataset.Layout.KeyFor(finding.Date), cancellationToken);
            var unit = await ledger.GetUnitAsync(dataset.Name, finding.Date, cancellationToken);
            await ledger.ResetUnitAsync(dataset.Name, finding.Date, cancellationToken);
            await ledger.RecordErrorAsync(new ErrorRecord
            {
                Dataset = dataset.Name,
                TradeDate = finding.Date,
                ErrorType = nameof(ErrorKind.FileCorruption),
                Message = $"cleanup removed a file that failed verification: {finding.Message}",
                Attempt = Math.Max(0, (unit?.AttemptCount ?? 1) - 1),
                WillRetry = false,
            }, cancellationToken);
        }

        var missing = report.Count(OutputFileStatus.Missing);
        if (missing > 0)
        {
            notes.Add($"{missing} successful unit(s) have no file; gaps already lists them as missing-output.");
        }

        var insecure = report.Count(OutputFileStatus.InsecurePermissions);
        if (insecure > 0)
        {
            notes.Add($"{insecure} file(s) are not owner-only; they are intact and were kept (see backfill verify, fix with chmod 600).");
        }
    }

    internal static long SizeOf(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static long DirectorySize(string directory) =>
        Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories).Sum(SizeOf);
}
