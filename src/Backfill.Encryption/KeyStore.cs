using System.Text.Json;
using System.Text.Json.Nodes;
using Backfill.Core.Errors;
using Backfill.Core.IO;

namespace Backfill.Encryption;

/// <summary>
/// The keys of the <c>ohlcv</c> dataset: a key file (JSON, mode 0600 in a 0700 directory; refused when group or others may
/// read it) holding every key with its id and status, plus an optional key in <c>OHLCV_ENCRYPTION_KEY</c> that overrides the
/// file's active key for new files. The key file is the rotation journal too: a key marked <c>retiring</c> means a rotation is
/// under way. Every write of the file is atomic (temp file beside it, fsync, rename).
/// </summary>
public sealed class KeyStore
{
    public const string EnvironmentVariable = "OHLCV_ENCRYPTION_KEY";
    private const UnixFileMode PrivateFile = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private KeyStore(string path, IReadOnlyList<EncryptionKey> fileKeys, EncryptionKey? environmentKey, IKeyring? keyring = null)
    {
        Path = path;
        FileKeys = fileKeys;
        EnvironmentKey = environmentKey;
        Keyring = keyring;
    }

    /// <summary>The key file, or, when the keys live in the OS keyring, the keyring's description.</summary>
    public string Path { get; }

    /// <summary>The OS keyring holding the keys instead of a key file (<c>ohlcv.keyStore=keyring</c>), or null.</summary>
    public IKeyring? Keyring { get; }

    public IReadOnlyList<EncryptionKey> FileKeys { get; }

    public EncryptionKey? EnvironmentKey { get; }

    /// <summary>The key new files are encrypted with: the environment's when set, else the file's active key.</summary>
    public EncryptionKey ActiveKey => EnvironmentKey ?? FileKeys.FirstOrDefault(k => k.Status == KeyStatus.Active)
        ?? throw new InvalidInputException($"The key file '{Path}' has no active key. Run 'backfill keys init' (new store) or 'backfill keys rotate' to finish a rotation.");

    public bool RotationInProgress => FileKeys.Any(k => k.Status == KeyStatus.Retiring);

    /// <summary>Any known key by id (for decryption), environment first.</summary>
    public EncryptionKey? Find(string id) =>
        EnvironmentKey is { } e && e.Id == id ? e : FileKeys.FirstOrDefault(k => k.Id == id);

    /// <summary>Loads the key file (when present) and the environment key (when set); at least one must exist.</summary>
    /// <param name="keyring">When given, the keys are read from this keyring item instead of the key file.</param>
    public static KeyStore Load(string path, string? environmentValue, IKeyring? keyring = null)
    {
        var env = string.IsNullOrWhiteSpace(environmentValue) ? null : EncryptionKey.FromBase64(environmentValue, fromEnvironment: true);
        if (keyring is not null)
        {
            var json = keyring.Read();
            return json is not null ? new KeyStore(keyring.Description, Parse(json, keyring.Description), env, keyring)
                : env is not null ? new KeyStore(keyring.Description, [], env, keyring)
                : throw new InvalidInputException($"No encryption key: {keyring.Description} holds no Backfill keys and {EnvironmentVariable} is not set. Run 'backfill keys init' first.");
        }

        var full = System.IO.Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            return env is not null
                ? new KeyStore(full, [], env)
                : throw new InvalidInputException($"No encryption key: '{full}' does not exist and {EnvironmentVariable} is not set. Run 'backfill keys init' first.");
        }

        CheckPermissions(full);
        return new KeyStore(full, Parse(File.ReadAllText(full), full), env);
    }

    /// <summary>Creates a key file (or keyring item) with one new active key; refuses to overwrite one.</summary>
    public static KeyStore Init(string path, DateTimeOffset now, IKeyring? keyring = null)
    {
        if (keyring is not null)
        {
            if (keyring.Read() is not null)
            {
                throw new InvalidInputException($"{keyring.Description} already holds Backfill keys; 'backfill keys check' reads them, 'backfill keys rotate' replaces the active key. They are never overwritten.");
            }

            var kept = new KeyStore(keyring.Description, [EncryptionKey.Generate(now)], null, keyring);
            kept.Save();
            return kept;
        }

        var full = System.IO.Path.GetFullPath(path);
        if (File.Exists(full))
        {
            throw new InvalidInputException($"'{full}' already exists; 'backfill keys check' reads it, 'backfill keys rotate' replaces its key. It is never overwritten.");
        }

        var store = new KeyStore(full, [EncryptionKey.Generate(now)], null);
        store.Save();
        return store;
    }

    public KeyStore With(IReadOnlyList<EncryptionKey> fileKeys) => new(Path, fileKeys, EnvironmentKey, Keyring);

    /// <summary>Writes the key file atomically, 0600 in a 0700 directory (or replaces the keyring item).</summary>
    public void Save()
    {
        if (Keyring is not null)
        {
            Keyring.Write(ToJson());
            return;
        }

        var directory = System.IO.Path.GetDirectoryName(Path)!;
        OwnerOnly.CreateDirectory(directory);

        var json = ToJson();
        var temp = System.IO.Path.Combine(directory, "." + System.IO.Path.GetFileName(Path) + "." + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = PrivateFile;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(System.Text.Encoding.UTF8.GetBytes(json));
                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, Path, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    private string ToJson() => new JsonObject
    {
        ["format"] = 1,
        ["keys"] = new JsonArray([.. FileKeys.Select(k => (JsonNode)new JsonObject
        {
            ["id"] = k.Id,
            ["status"] = k.Status.ToString().ToLowerInvariant(),
            ["created"] = k.Created.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
            ["material"] = Convert.ToBase64String(k.Material),
        })]),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>Refuses a key file that group or others can access, or that is not a regular file.</summary>
    public static void CheckPermissions(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var info = new FileInfo(path);
        if (info.LinkTarget is not null)
        {
            throw new InvalidInputException($"The key file '{path}' is a symbolic link; give the real file.");
        }

        var loose = info.UnixFileMode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
            | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute);
        if (loose != 0)
        {
            throw new InvalidInputException($"The key file '{path}' is readable or writable by group or others; refusing it. Run: chmod 600 '{path}'.");
        }
    }

    private static List<EncryptionKey> Parse(string text, string path)
    {
        try
        {
            var root = JsonNode.Parse(text)!.AsObject();
            if ((int?)root["format"] != 1)
            {
                throw new InvalidInputException($"The key file '{path}' has an unknown format.");
            }

            var keys = new List<EncryptionKey>();
            foreach (var node in root["keys"]!.AsArray())
            {
                var status = Enum.Parse<KeyStatus>((string)node!["status"]!, ignoreCase: true);
                keys.Add(new EncryptionKey((string)node["id"]!, Convert.FromBase64String((string)node["material"]!), status,
                    DateTimeOffset.Parse((string)node["created"]!, System.Globalization.CultureInfo.InvariantCulture)));
            }

            if (keys.Select(k => k.Id).Distinct(StringComparer.Ordinal).Count() != keys.Count)
            {
                throw new InvalidInputException($"The key file '{path}' lists a key id twice.");
            }

            return keys;
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentException or InvalidOperationException or NullReferenceException)
        {
            // The parser's message could quote material: say only where the problem is.
            throw new InvalidInputException($"The key file '{path}' is damaged ({e.GetType().Name}). Restore it from your own backup of the key file (see ohlcv.keyFile), then run: backfill keys check.");
        }
    }
}
