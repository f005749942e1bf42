using System.Formats.Tar;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Backfill.Core.Errors;
using Backfill.Encryption;

namespace Backfill.Engine.Datasets.Ohlcv;

/// <summary>
/// A backup as written by <see cref="OhlcvBackup.CreateAsync"/>: a folder <c>ohlcv-backup-YYYYMMDDTHHMMSSZ/</c> holding
/// <c>manifest.json</c> and <c>files/YYYY/MM/DD/*.csv.enc</c>, or the same tree in one <c>.tar</c> file. Files stay encrypted.
/// </summary>
public sealed class OhlcvBackupArchive
{
    private readonly string? _folder;
    private readonly Dictionary<string, byte[]>? _tarFiles;

    private OhlcvBackupArchive(string location, BackupManifest manifest, string? folder, Dictionary<string, byte[]>? tarFiles)
    {
        Location = location;
        Manifest = manifest;
        _folder = folder;
        _tarFiles = tarFiles;
    }

    public string Location { get; }

    public BackupManifest Manifest { get; }

    public static bool IsTarPath(string path) => path.EndsWith(".tar", StringComparison.OrdinalIgnoreCase);

    public static async Task<OhlcvBackupArchive> OpenAsync(string location, CancellationToken cancellationToken)
    {
        var full = System.IO.Path.GetFullPath(location);
        if (File.Exists(full))
        {
            if (!IsTarPath(full))
            {
                throw new InvalidInputException($"'{full}' is a file but not a .tar backup. Give a backup folder (ohlcv-backup-...) or a .tar made by 'backfill backup create --to FILE.tar'.");
            }

            var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
            await using (var stream = File.OpenRead(full))
            await using (var reader = new TarReader(stream))
            {
                while (await reader.GetNextEntryAsync(copyData: false, cancellationToken) is { } entry)
                {
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null)
                    {
                        continue;
                    }

                    using var buffer = new MemoryStream();
                    await entry.DataStream.CopyToAsync(buffer, cancellationToken);
                    files[entry.Name] = buffer.ToArray();
                }
            }

            return files.TryGetValue(BackupManifest.FileName, out var manifest)
                ? new OhlcvBackupArchive(full, BackupManifest.Parse(manifest, full), null, files)
                : throw new FileCorruptionException($"'{full}' holds no {BackupManifest.FileName}: not a Backfill backup, or a damaged one.");
        }

        if (!Directory.Exists(full))
        {
            throw new InvalidInputException($"Backup '{full}' does not exist. List backups with: ls <backup folder> (default: the 'backups' folder beside processing.outputDirectory).");
        }

        var manifestPath = System.IO.Path.Combine(full, BackupManifest.FileName);
        if (!File.Exists(manifestPath))
        {
            throw new FileCorruptionException($"'{full}' holds no {BackupManifest.FileName}: not a Backfill backup, or a damaged one.");
        }

        return new OhlcvBackupArchive(full, BackupManifest.Parse(await File.ReadAllBytesAsync(manifestPath, cancellationToken), full), full, null);
    }

    /// <summary>The bytes of a listed file, or null when the backup lacks it.</summary>
    public async Task<byte[]?> ReadAsync(BackupEntry entry, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var name = BackupManifest.FilesFolder + "/" + entry.Path;
        if (_tarFiles is not null)
        {
            return _tarFiles.GetValueOrDefault(name);
        }

        var path = System.IO.Path.Combine(_folder!, BackupManifest.FilesFolder, entry.Path.Replace('/', System.IO.Path.DirectorySeparatorChar));
        return File.Exists(path) ? await File.ReadAllBytesAsync(path, cancellationToken) : null;
    }

    /// <summary>Files present in the backup that the manifest does not list.</summary>
    public IReadOnlyList<string> Unlisted()
    {
        var listed = Manifest.Files.Select(f => BackupManifest.FilesFolder + "/" + f.Path).ToHashSet(StringComparer.Ordinal);
        listed.Add(BackupManifest.FileName);
        IEnumerable<string> present = _tarFiles is not null
            ? _tarFiles.Keys
            : Directory.EnumerateFiles(_folder!, "*", SearchOption.AllDirectories)
                .Select(p => System.IO.Path.GetRelativePath(_folder!, p).Replace(System.IO.Path.DirectorySeparatorChar, '/'));
        return [.. present.Where(p => !listed.Contains(p)).Order(StringComparer.Ordinal)];
    }

    public static string Sha256(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(SHA256.HashData(data));
}
