using System.Formats.Tar;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Backfill.Core.Errors;
using Backfill.Encryption;

namespace Backfill.Engine.Datasets.Ohlcv;

/// <summary>One file of a backup: where it sits inside the backup, its date, the key its header names and its checksums.</summary>
/// <param name="Path">Relative to the backup's <c>files/</c> folder, with '/' separators: <c>YYYY/MM/DD/ohlcv-YYYY-MM-DD.csv.enc</c>.</param>
/// <param name="Sha256">SHA-256 of the ciphertext as backed up.</param>
/// <param name="ContentSha256">SHA-256 of the decrypted CSV (what the ledger records and <c>verify</c> checks).</param>
public sealed record BackupEntry(string Path, DateOnly Date, string KeyId, long Size, string Sha256, string ContentSha256, long Rows);

/// <summary>The <c>manifest.json</c> of a backup. It names key ids, never key material.</summary>
public sealed record BackupManifest(string Dataset, DateTimeOffset Created, IReadOnlyList<BackupEntry> Files)
{
    public const int Format = 1;
    public const string FileName = "manifest.json";
    public const string FilesFolder = "files";

    public IReadOnlyList<string> KeyIds => [.. Files.Select(f => f.KeyId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];

    public byte[] ToJson()
    {
        var inv = CultureInfo.InvariantCulture;
        var json = new JsonObject
        {
            ["format"] = Format,
            ["dataset"] = Dataset,
            ["created"] = Created.ToString("O", inv),
            ["key_ids"] = new JsonArray([.. KeyIds.Select(k => (JsonNode)JsonValue.Create(k))]),
            ["files"] = new JsonArray([.. Files.Select(f => (JsonNode)new JsonObject
            {
                ["path"] = f.Path,
                ["date"] = f.Date.ToString("yyyy-MM-dd", inv),
                ["key_id"] = f.KeyId,
                ["size"] = f.Size,
                ["sha256"] = f.Sha256,
                ["content_sha256"] = f.ContentSha256,
                ["rows"] = f.Rows,
            })]),
        };
        return Encoding.UTF8.GetBytes(json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }

    public static BackupManifest Parse(ReadOnlySpan<byte> json, string where)
    {
        try
        {
            var root = JsonNode.Parse(json)!.AsObject();
            if ((int?)root["format"] != Format)
            {
                throw new FileCorruptionException($"The backup manifest in '{where}' has an unknown format (this build reads format {Format}).");
            }

            var files = new List<BackupEntry>();
            foreach (var node in root["files"]!.AsArray())
            {
                var path = (string)node!["path"]!;
                var keyId = (string)node["key_id"]!;
                if (!IsSafeRelativePath(path) || !EncryptionKey.IsValidId(keyId))
                {
                    throw new FileCorruptionException($"The backup manifest in '{where}' lists an unsafe path or an invalid key id.");
                }

                files.Add(new BackupEntry(path, DateOnly.ParseExact((string)node["date"]!, "yyyy-MM-dd", CultureInfo.InvariantCulture), keyId,
                    (long)node["size"]!, (string)node["sha256"]!, (string)node["content_sha256"]!, (long)node["rows"]!));
            }

            return new BackupManifest((string)root["dataset"]!, DateTimeOffset.Parse((string)root["created"]!, CultureInfo.InvariantCulture), files);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException or ArgumentException)
        {
            throw new FileCorruptionException($"The backup manifest in '{where}' is damaged ({e.GetType().Name}); the backup cannot be trusted.");
        }
    }

    /// <summary>The layout of a dated output relative to the dataset folder: exactly <c>YYYY/MM/DD/name</c>, no '..', no rooted path.</summary>
    public static bool IsSafeRelativePath(string path) =>
        !string.IsNullOrEmpty(path) && path.Split('/') is { Length: 4 } parts
        && parts.All(p => p.Length > 0 && p != "." && p != ".." && p.IndexOfAny(['\\', ':', '\0']) < 0);
}

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
