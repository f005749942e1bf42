using System.Formats.Tar;
using System.Globalization;
using System.Security.Cryptography;
using Backfill.Core.Errors;
using Backfill.Core.IO;
using Backfill.Encryption;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Storage.Layout;
using Backfill.Storage.Outputs;

namespace Backfill.Engine.Datasets.Ohlcv;

/// <summary>
/// <c>backup create</c> and <c>backup verify</c> for the encrypted <c>ohlcv</c> outputs. Create decrypts every file in memory
/// first (a file that does not decrypt, or whose content differs from the ledger's <c>content_sha256</c>, is left out and
/// reported), then copies the ciphertext unchanged with a manifest of per-file SHA-256 (ciphertext and content), rows and key
/// ids, never keys. The outputs are read through the output store, so a bucket is backed up to a local folder or .tar
/// the same way as a folder. The backup is written under a hidden temp name, fsynced and renamed into place, so a backup either exists
/// whole or not at all. Verify checks every file's ciphertext hash and decrypts a sample (or all) in memory.
/// </summary>
public static class OhlcvBackup
{
    public const string Dataset = OhlcvDataset.DatasetName;
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Default destination: a <c>backups</c> folder beside the output directory.</summary>
    public static string DefaultDestination(string outputRoot) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(outputRoot).TrimEnd(Path.DirectorySeparatorChar)) ?? ".", "backups");

    /// <param name="store">Where the outputs are: a local folder or a bucket; every output is read back through it.</param>
    /// <param name="destination">A local folder (the backup becomes <c>ohlcv-backup-YYYYMMDDTHHMMSSZ/</c> inside it) or a <c>.tar</c> file path.</param>
    public static async Task<BackupReport> CreateAsync(
        ILedger ledger, IOutputStore store, KeyStore keys, string destination, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(keys);
        var final = OhlcvBackupArchive.IsTarPath(destination)
            ? Path.GetFullPath(destination)
            : Path.Combine(Path.GetFullPath(destination), "ohlcv-backup-" + now.UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture));
        var folder = OhlcvDataset.OutputLayout.Folder;
        if (store.KeyOf(final) is { } inside && (inside == folder || inside.StartsWith(folder + "/", StringComparison.Ordinal)))
        {
            throw new InvalidInputException($"--to '{destination}' lies inside the ohlcv output tree '{store.LocationOf(folder)}'. Choose a folder outside it.");
        }

        if (File.Exists(final) || Directory.Exists(final))
        {
            throw new InvalidInputException($"'{final}' already exists; a backup never overwrites another. Choose another --to.");
        }

        var units = (await ledger.ListUnitsAsync(Dataset, null, null, UnitStatus.Success, cancellationToken)).ToDictionary(u => u.TradeDate);
        var results = new List<BackupFileResult>();
        var entries = new List<(BackupEntry Entry, byte[] Data)>();
        await foreach (var (item, date) in OhlcvDataset.OutputLayout.ListAsync(store, cancellationToken))
        {
            var path = item.Location;
            var data = await ReadAsync(store, item.Key, cancellationToken);
            var relative = item.Key[(folder.Length + 1)..];
            var check = Inspect(data, keys, date);
            if (check.Problem is { } problem)
            {
                results.Add(new BackupFileResult(date, path, check.KeyId, data.Length, check.Status, problem + " Left out of the backup."));
                continue;
            }

            var unit = units.GetValueOrDefault(date);
            if (unit?.ContentSha256 is { } expected && !string.Equals(expected, check.ContentSha256, StringComparison.OrdinalIgnoreCase))
            {
                results.Add(new BackupFileResult(date, path, check.KeyId, data.Length, BackupFileStatus.Corrupted,
                    $"decrypts, but its content SHA-256 {check.ContentSha256} differs from the ledger's {expected}. Left out of the backup."));
                continue;
            }

            entries.Add((new BackupEntry(relative, date, check.KeyId!, data.Length, OhlcvBackupArchive.Sha256(data), check.ContentSha256!, check.Rows), data));
            results.Add(new BackupFileResult(date, path, check.KeyId, data.Length, BackupFileStatus.Ok,
                unit is null ? "backed up; the ledger holds no done date for it ('backfill recover' registers it)" : "backed up"));
        }

        var manifest = new BackupManifest(Dataset, now, [.. entries.Select(e => e.Entry)]);
        if (OhlcvBackupArchive.IsTarPath(final))
        {
            await WriteTarAsync(final, manifest, entries, cancellationToken);
        }
        else
        {
            await WriteFolderAsync(final, manifest, entries, cancellationToken);
        }

        return new BackupReport(final, manifest, results, results.Count(r => r.Status == BackupFileStatus.Ok));
    }

    /// <summary>An output's bytes, read through its store (a local file in place, an object downloaded to a temp copy).</summary>
    internal static async Task<byte[]> ReadAsync(IOutputStore store, string key, CancellationToken cancellationToken)
    {
        using var local = await store.OpenLocalAsync(key, cancellationToken);
        return await File.ReadAllBytesAsync(local.Path, cancellationToken);
    }

    /// <param name="sample">How many files to decrypt, chosen at random; null decrypts all. Every file's ciphertext hash is checked.</param>
    public static async Task<BackupReport> VerifyAsync(OhlcvBackupArchive archive, KeyStore keys, int? sample, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(archive);
        ArgumentNullException.ThrowIfNull(keys);
        var files = archive.Manifest.Files;
        var order = Enumerable.Range(0, files.Count).ToArray();
        RandomNumberGenerator.Shuffle<int>(order);
        var chosen = order.Take(sample ?? files.Count).ToHashSet();
        var results = new List<BackupFileResult>();
        var decrypted = 0;
        for (var i = 0; i < files.Count; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var entry = files[i];
            var data = await archive.ReadAsync(entry, cancellationToken);
            if (data is null)
            {
                results.Add(new BackupFileResult(entry.Date, entry.Path, entry.KeyId, 0, BackupFileStatus.Missing, "listed in the manifest but absent from the backup"));
                continue;
            }

            var sha = OhlcvBackupArchive.Sha256(data);
            if (!string.Equals(sha, entry.Sha256, StringComparison.OrdinalIgnoreCase))
            {
                results.Add(new BackupFileResult(entry.Date, entry.Path, entry.KeyId, data.Length, BackupFileStatus.Corrupted,
                    $"ciphertext SHA-256 {sha[..12]} differs from the manifest's {entry.Sha256[..Math.Min(12, entry.Sha256.Length)]}"));
                continue;
            }

            if (!chosen.Contains(i))
            {
                results.Add(new BackupFileResult(entry.Date, entry.Path, entry.KeyId, data.Length, BackupFileStatus.HashOk, "ciphertext matches the manifest (not decrypted: outside the sample)"));
                continue;
            }

            decrypted++;
            results.Add(CheckContent(entry, data, keys));
        }

        foreach (var extra in archive.Unlisted())
        {
            results.Add(new BackupFileResult(null, extra, null, 0, BackupFileStatus.Extra, "in the backup but not in its manifest"));
        }

        return new BackupReport(archive.Location, archive.Manifest, results, decrypted);
    }

    /// <summary>Decrypts one backed-up file in memory and compares it with its manifest entry.</summary>
    public static BackupFileResult CheckContent(BackupEntry entry, byte[] data, KeyStore keys)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(data);
        var check = Inspect(data, keys, entry.Date);
        if (check.Problem is { } problem)
        {
            return new BackupFileResult(entry.Date, entry.Path, check.KeyId ?? entry.KeyId, data.Length, check.Status, problem);
        }

        if (!string.Equals(check.ContentSha256, entry.ContentSha256, StringComparison.OrdinalIgnoreCase) || check.Rows != entry.Rows)
        {
            return new BackupFileResult(entry.Date, entry.Path, check.KeyId, data.Length, BackupFileStatus.Corrupted,
                $"decrypts, but holds {check.Rows} row(s) with content SHA-256 {check.ContentSha256} where the manifest says {entry.Rows} and {entry.ContentSha256}");
        }

        return new BackupFileResult(entry.Date, entry.Path, check.KeyId, data.Length, BackupFileStatus.Ok, $"decrypts with key {check.KeyId}; content SHA-256 and rows match");
    }

    /// <summary>Key id, content SHA-256 and rows of an encrypted file, or the problem that stops it from decrypting.</summary>
    /// <param name="date">The date the file stands for: every row must be dated so, or the file is reported as another date's data.</param>
    internal static (string? KeyId, string? ContentSha256, long Rows, BackupFileStatus Status, string? Problem) Inspect(byte[] data, KeyStore keys, DateOnly date)
    {
        string keyId;
        try
        {
            keyId = EncryptedFile.ReadKeyId(data);
        }
        catch (BackfillException e)
        {
            return (null, null, 0, BackupFileStatus.Corrupted, e.Message);
        }

        try
        {
            var plain = EncryptedFile.Decrypt(data, keys.Find);
            try
            {
                var sha = OhlcvOutput.Sha256(plain);
                var rows = OhlcvOutput.CountRows(plain);
                return OhlcvOutput.RowDatesProblem(plain, date) is { } wrongDate
                    ? (keyId, sha, rows, BackupFileStatus.Corrupted, $"decrypts, but {wrongDate}")
                    : (keyId, sha, rows, BackupFileStatus.Ok, null);
            }
            finally
            {
                Array.Clear(plain);
            }
        }
        catch (UnknownKeyException e)
        {
            return (keyId, null, 0, BackupFileStatus.UnknownKey, e.Message);
        }
        catch (BackfillException e)
        {
            return (keyId, null, 0, BackupFileStatus.Corrupted, e.Message);
        }
    }

    private static async Task WriteFolderAsync(string final, BackupManifest manifest, List<(BackupEntry Entry, byte[] Data)> entries, CancellationToken cancellationToken)
    {
        var parent = Path.GetDirectoryName(final)!;
        CreatePrivateDirectory(parent);
        var temp = Path.Combine(parent, "." + Path.GetFileName(final) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            CreatePrivateDirectory(temp);
            foreach (var (entry, data) in entries)
            {
                var path = Path.Combine(temp, BackupManifest.FilesFolder, entry.Path.Replace('/', Path.DirectorySeparatorChar));
                CreatePrivateDirectory(Path.GetDirectoryName(path)!);
                await WritePrivateFileAsync(path, data, cancellationToken);
            }

            await WritePrivateFileAsync(Path.Combine(temp, BackupManifest.FileName), manifest.ToJson(), cancellationToken);
            Directory.Move(temp, final);
        }
        finally
        {
            if (Directory.Exists(temp))
            {
                Directory.Delete(temp, recursive: true);
            }
        }
    }

    private static async Task WriteTarAsync(string final, BackupManifest manifest, List<(BackupEntry Entry, byte[] Data)> entries, CancellationToken cancellationToken)
    {
        var parent = Path.GetDirectoryName(final)!;
        CreatePrivateDirectory(parent);
        var temp = Path.Combine(parent, "." + Path.GetFileName(final) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            await using (var stream = OpenPrivate(temp))
            {
                await using (var writer = new TarWriter(stream, TarEntryFormat.Pax, leaveOpen: true))
                {
                    foreach (var (entry, data) in entries)
                    {
                        await writer.WriteEntryAsync(TarEntry(BackupManifest.FilesFolder + "/" + entry.Path, data, manifest.Created), cancellationToken);
                    }

                    await writer.WriteEntryAsync(TarEntry(BackupManifest.FileName, manifest.ToJson(), manifest.Created), cancellationToken);
                }

                await stream.FlushAsync(cancellationToken);
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, final, overwrite: false);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private static PaxTarEntry TarEntry(string name, byte[] data, DateTimeOffset time) => new(TarEntryType.RegularFile, name)
    {
        DataStream = new MemoryStream(data, writable: false),
        Mode = PrivateFile,
        ModificationTime = time,
    };

    private static async Task WritePrivateFileAsync(string path, byte[] data, CancellationToken cancellationToken)
    {
        await using var stream = OpenPrivate(path);
        await stream.WriteAsync(data, cancellationToken);
        stream.Flush(flushToDisk: true);
    }

    private static FileStream OpenPrivate(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None, Options = FileOptions.Asynchronous };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = PrivateFile;
        }

        return new FileStream(path, options);
    }

    private static void CreatePrivateDirectory(string path) => OwnerOnly.CreateDirectory(path);
}
