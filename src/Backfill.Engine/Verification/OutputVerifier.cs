using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Storage.Layout;
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
/// Compares the ledger's successful units of a dataset with the files on disk: each success unit's file is verified
/// against the ledger's SHA-256 and row count (deep: every row re-read and the content checksum recomputed), its
/// permissions must be owner-only on Unix, and layout files without a successful unit are reported as extra.
/// </summary>
/// <param name="keys">Decryption keys for the encrypted <c>ohlcv</c> dataset (its files are decrypted in memory and the
/// content's SHA-256 compared with the ledger's; without keys such files are reported as unreadable).</param>
public sealed class OutputVerifier(ILedger ledger, ParquetFileVerifier? verifier = null, Func<string, Encryption.EncryptionKey?>? keys = null)
{
    private const UnixFileMode NotOwner =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly ParquetFileVerifier _verifier = verifier ?? new ParquetFileVerifier();

    public async Task<OutputVerificationReport> VerifyAsync(
        string dataset, string outputRoot, DateOnly? from, DateOnly? to, bool deep, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataset);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputRoot);
        var root = Path.GetFullPath(outputRoot);
        var units = await ledger.ListUnitsAsync(dataset, from, to, UnitStatus.Success, cancellationToken);
        var findings = new List<OutputFinding>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var unit in units)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = Path.GetFullPath(unit.FilePath ?? OutputLayout.PathFor(root, dataset, unit.TradeDate));
            known.Add(path);
            findings.Add(await VerifyUnitAsync(unit, path, deep, cancellationToken));
        }

        foreach (var (path, date) in OutputLayout.EnumerateFiles(root, dataset))
        {
            if ((from is { } f && date < f) || (to is { } t && date > t) || known.Contains(Path.GetFullPath(path)))
            {
                continue;
            }

            findings.Add(new OutputFinding(date, OutputFileStatus.Extra, path, null, null,
                $"'{path}' is in the output tree but the ledger has no successful unit for it."));
        }

        findings.Sort(static (a, b) =>
        {
            var byDate = a.Date.CompareTo(b.Date);
            return byDate != 0 ? byDate : string.CompareOrdinal(a.Path, b.Path);
        });
        return new OutputVerificationReport(dataset, root, from, to, deep, findings);
    }

    /// <summary>Owner-only check: true on Windows (ACLs are not checked), else no group/other bits.</summary>
    public static bool IsOwnerOnly(string path, out UnixFileMode mode)
    {
        mode = default;
        if (OperatingSystem.IsWindows())
        {
            return true;
        }

        mode = File.GetUnixFileMode(path);
        return (mode & NotOwner) == 0;
    }

    /// <summary>A Unix mode as octal text, e.g. 0644.</summary>
    public static string Octal(UnixFileMode mode) => "0" + Convert.ToString((int)mode & 0xFFF, 8);

    private async Task<OutputFinding> VerifyUnitAsync(UnitRecord unit, string path, bool deep, CancellationToken cancellationToken)
    {
        VerificationResult result;
        try
        {
            result = unit.Dataset == "ohlcv"
                ? await Datasets.Ohlcv.OhlcvFileVerifier.VerifyAsync(path, unit, keys, cancellationToken)
                : await _verifier.VerifyAsync(path, unit.FileSha256, unit.RowCount, deep && unit.Dataset == "spx" ? Datasets.Spx.Parquet.SpxContentChecksum.OfFile : null, cancellationToken);
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
        if (status == OutputFileStatus.Ok && deep && unit.Dataset == "fop"
            && await Datasets.Fop.FopFileVerifier.VerifyAsync(path, unit.TradeDate, cancellationToken) is { } fopProblem)
        {
            status = OutputFileStatus.Corrupted;
            message = fopProblem;
        }

        if (status == OutputFileStatus.Ok && deep && unit.Dataset == "crypto-book"
            && await Datasets.CryptoBook.CryptoBookFileVerifier.VerifyAsync(path, unit.ContentSha256, cancellationToken) is { } bookProblem)
        {
            status = OutputFileStatus.Corrupted;
            message = bookProblem;
        }

        if (status == OutputFileStatus.Ok && !IsOwnerOnly(path, out var mode))
        {
            status = OutputFileStatus.InsecurePermissions;
            message = $"'{path}' has mode {Octal(mode)}; output files must be owner-only (0600). Fix: chmod 600 '{path}'.";
        }

        var expected = unit.Dataset == "ohlcv" ? unit.ContentSha256 : unit.FileSha256;
        return new OutputFinding(unit.TradeDate, status, path, expected, result.Sha256, message, result.Status);
    }
}
