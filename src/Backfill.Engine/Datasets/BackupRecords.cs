using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Backfill.Core.Errors;
using Backfill.Encryption;

namespace Backfill.Engine.Datasets;

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

public enum BackupFileStatus
{
    /// <summary>Backed up (create), or decrypted with a known key and matching every checksum (verify).</summary>
    Ok,

    /// <summary>Verify without decrypting (not in the sample): present, and the ciphertext matches the manifest's SHA-256.</summary>
    HashOk,

    /// <summary>Listed in the manifest but absent from the backup.</summary>
    Missing,

    /// <summary>Ciphertext or decrypted content differs from the manifest (or the ledger, at create), or fails authentication.</summary>
    Corrupted,

    /// <summary>The key its header names is not in the key store.</summary>
    UnknownKey,

    /// <summary>In the backup but not in the manifest.</summary>
    Extra,
}

/// <summary>One file's outcome in <c>backup create</c> or <c>backup verify</c>.</summary>
public sealed record BackupFileResult(DateOnly? Date, string Path, string? KeyId, long Bytes, BackupFileStatus Status, string Message);

public sealed record BackupReport(string Location, BackupManifest? Manifest, IReadOnlyList<BackupFileResult> Files, int Decrypted)
{
    public int Count(BackupFileStatus status) => Files.Count(f => f.Status == status);

    public bool AllOk => Files.All(f => f.Status is BackupFileStatus.Ok or BackupFileStatus.HashOk);

    public static string Name(BackupFileStatus status) => status switch
    {
        BackupFileStatus.Ok => "ok",
        BackupFileStatus.HashOk => "hash-ok",
        BackupFileStatus.Missing => "missing",
        BackupFileStatus.Corrupted => "corrupted",
        BackupFileStatus.UnknownKey => "unknown-key",
        BackupFileStatus.Extra => "extra",
        _ => status.ToString(),
    };
}

public enum RecoverStatus
{
    /// <summary>Written from the backup into the output tree, registered in the ledger and verified.</summary>
    Restored,

    /// <summary>The file was already in place (manual restore); registered in the ledger and verified.</summary>
    Relinked,

    /// <summary>File and ledger already agree with the backup: nothing to do.</summary>
    AlreadyCurrent,

    /// <summary>The output holds a good file the ledger records, with other content than the backup's: kept.</summary>
    KeptCurrent,

    /// <summary>The backup's (or the restored) file fails its checksums or authentication: not restored.</summary>
    Corrupted,

    /// <summary>The ledger records the date as done but no file is there and the source has none.</summary>
    Missing,

    /// <summary>Another worker holds the date with a live lease: left alone.</summary>
    Busy,

    /// <summary>Restored or relinked, but the check against the ledger afterwards failed.</summary>
    VerifyFailed,
}

public sealed record RecoverItem(DateOnly Date, string Path, string? KeyId, RecoverStatus Status, string Message);

public sealed record RecoverReport(string Source, IReadOnlyList<string> KeyIds, IReadOnlyList<RecoverItem> Items)
{
    public int Count(RecoverStatus status) => Items.Count(i => i.Status == status);

    public bool AllOk => Items.All(i => i.Status is RecoverStatus.Restored or RecoverStatus.Relinked or RecoverStatus.AlreadyCurrent or RecoverStatus.KeptCurrent);

    public static string Name(RecoverStatus status) => status switch
    {
        RecoverStatus.AlreadyCurrent => "already-current",
        RecoverStatus.KeptCurrent => "kept-current",
        RecoverStatus.VerifyFailed => "verify-failed",
        _ => status.ToString().ToLowerInvariant(),
    };
}
