using System.Globalization;
using System.Text.RegularExpressions;
using Backfill.Core.Errors;
using Backfill.Core.IO;
using Backfill.Ledger;
using Backfill.Ledger.Sqlite;
using Backfill.Storage.Publish;

namespace Backfill.Engine.LedgerFiles;

/// <summary>
/// <c>ledger backup</c>: a consistent copy of a SQLite ledger while workers write to it (SQLite's online backup, one
/// read transaction), written 0600 under a temp name, checked with <c>integrity_check</c>, then renamed into place.
/// Backups in the default folder are named <c>{ledger}-YYYYMMDDTHHMMSSZ.db</c>; only files named so are ever removed by
/// retention, the newest <c>keep</c> stay.
/// </summary>
public sealed partial class LedgerBackup(TimeProvider time)
{
    /// <summary>The default folder's name, beside the ledger file.</summary>
    public const string FolderName = "backups";

    /// <summary>Where backups go when no destination is given: <c>backups</c> beside the ledger.</summary>
    public static string DefaultFolder(string ledgerPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ledgerPath))!, FolderName);

    /// <param name="ledgerPath">The SQLite ledger; it must exist (it is never created).</param>
    /// <param name="destination">A file to write; null for a timestamped file in <see cref="DefaultFolder"/>, followed by retention.</param>
    /// <param name="keep">Backups this command made that retention keeps in the default folder (the newest), 1 or more; unused with a destination.</param>
    /// <exception cref="LedgerDamagedException">The ledger cannot be read, or its copy fails the integrity check (no backup is left).</exception>
    /// <exception cref="InvalidInputException">The destination exists already, or the file is not a ledger.</exception>
    public async Task<LedgerBackupResult> BackupAsync(string ledgerPath, string? destination, int keep, CancellationToken cancellationToken)
    {
        if (destination is null)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(keep, 1);
        }

        var ledger = Path.GetFullPath(ledgerPath);
        var stem = Path.GetFileNameWithoutExtension(ledger);
        var now = time.GetUtcNow();
        string final;
        if (destination is null)
        {
            var folder = DefaultFolder(ledger);
            OwnerOnly.CreateDirectory(folder);
            final = Path.Combine(folder, $"{stem}-{LedgerFileWrites.Stamp(now)}.db");
            if (Exists(final))
            {
                // A second backup within the same second.
                final = Path.Combine(folder, $"{stem}-{LedgerFileWrites.Stamp(now, milliseconds: true)}.db");
            }

            if (Exists(final))
            {
                throw new InvalidInputException($"A backup named {final} exists already (two backups at the same moment). Run the backup again.");
            }
        }
        else
        {
            final = Path.GetFullPath(destination);
            if (Exists(final))
            {
                throw new InvalidInputException($"--to {final} exists already; a backup never overwrites a file. Choose a new name or remove it.");
            }

            if (string.Equals(final, ledger, StringComparison.Ordinal))
            {
                throw new InvalidInputException($"--to {final} is the ledger itself. Choose another file.");
            }

            OwnerOnly.CreateDirectory(Path.GetDirectoryName(final)!);
        }

        var directory = Path.GetDirectoryName(final)!;
        var temp = LedgerFileWrites.CreateTemp(directory, Path.GetFileName(final), "tmp");
        SqliteLedgerFileCheck check;
        try
        {
            await SqliteLedgerFile.CopyAsync(ledger, temp, cancellationToken);

            check = await SqliteLedgerFile.CheckAsync(temp, cancellationToken);
            if (!check.IsOk)
            {
                throw new LedgerDamagedException(ledger, $"the copy fails SQLite's integrity_check ({check.Integrity}); no backup was kept");
            }

            if (check.SchemaVersion is null)
            {
                throw new InvalidInputException($"{ledger} is a SQLite database but not a backfill ledger (it has no schema_migrations table). Check --db.");
            }

            LedgerFileWrites.Seal(temp);
            File.Move(temp, final, overwrite: false);
            DirectorySync.Fsync(directory);
        }
        finally
        {
            if (File.Exists(temp))
            {
                LedgerFileWrites.DeleteTemp(temp);
            }
        }

        var removed = destination is null ? Prune(directory, stem, keep) : [];
        return new LedgerBackupResult(final, new FileInfo(final).Length, check.SchemaVersion.Value, check.Integrity, removed);
    }

    /// <summary>The backups this command made for the ledger named <paramref name="stem"/> in <paramref name="folder"/>, newest first.</summary>
    public static IReadOnlyList<string> ListBackups(string folder, string stem)
    {
        if (!Directory.Exists(folder))
        {
            return [];
        }

        var found = new List<(DateTimeOffset Made, string Path)>();
        foreach (var file in new DirectoryInfo(folder).EnumerateFiles())
        {
            if (file.LinkTarget is null && ParseName(file.Name, stem) is { } made)
            {
                found.Add((made, file.FullName));
            }
        }

        // Two made within one second: the one with milliseconds in its name exists because the other did, so it is newer.
        return found.OrderByDescending(f => f.Made).ThenByDescending(f => f.Path.Length).Select(f => f.Path).ToList();
    }

    /// <summary>When a backup named <paramref name="name"/> was made, or null when the name is not one this command gives <paramref name="stem"/>'s backups.</summary>
    internal static DateTimeOffset? ParseName(string name, string stem)
    {
        var match = BackupName().Match(name);
        if (!match.Success || !string.Equals(match.Groups["stem"].Value, stem, StringComparison.Ordinal))
        {
            return null;
        }

        var stamp = match.Groups["stamp"].Value;
        var format = stamp.Length == 15 ? "yyyyMMdd'T'HHmmss" : "yyyyMMdd'T'HHmmssfff";
        return DateTimeOffset.TryParseExact(stamp, format, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var made)
            ? made
            : null;
    }

    private static IReadOnlyList<string> Prune(string folder, string stem, int keep)
    {
        var removed = new List<string>();
        foreach (var old in ListBackups(folder, stem).Skip(keep))
        {
            File.Delete(old);
            removed.Add(old);
        }

        if (removed.Count > 0)
        {
            DirectorySync.Fsync(folder);
        }

        return removed;
    }

    private static bool Exists(string path) => File.Exists(path) || Directory.Exists(path);

    [GeneratedRegex(@"^(?<stem>.+)-(?<stamp>\d{8}T\d{6}(\d{3})?)Z\.db$", RegexOptions.CultureInvariant)]
    private static partial Regex BackupName();
}

/// <summary>A backup made by <see cref="LedgerBackup"/>.</summary>
/// <param name="Path">The backup file (0600).</param>
/// <param name="Bytes">Its size.</param>
/// <param name="SchemaVersion">The ledger schema version it records.</param>
/// <param name="Integrity">SQLite's integrity_check of the backup: <c>ok</c>.</param>
/// <param name="Removed">Older backups retention removed.</param>
public sealed record LedgerBackupResult(string Path, long Bytes, int SchemaVersion, string Integrity, IReadOnlyList<string> Removed);
