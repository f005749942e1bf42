using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Encryption;
using Backfill.Engine.Configuration;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>keys init|check|rotate</c>: the encryption keys of the <c>ohlcv</c> dataset. The key file comes from <c>ohlcv.keyFile</c>;
/// <c>OHLCV_ENCRYPTION_KEY</c> (base64, 32 bytes) overrides its active key. Key material is never printed.
/// </summary>
internal static class KeysCommand
{
    /// <summary>The encrypted outputs of the dataset: every <c>*.enc</c> under <c>{out}/ohlcv</c>, in path order.</summary>
    public static IEnumerable<string> EncryptedFiles(string outputRoot)
    {
        var root = Path.Combine(outputRoot, "ohlcv");
        return Directory.Exists(root)
            ? Directory.GetFiles(root, "*.enc", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            : [];
    }

    public static string? EnvironmentKey(CliEnvironment environment) =>
        environment.Variables.TryGetValue("BACKFILL_OHLCV_ENCRYPTIONKEY", out var v) && !string.IsNullOrWhiteSpace(v) ? v
            : Environment.GetEnvironmentVariable(KeyStore.EnvironmentVariable);

    /// <summary>The ohlcv key store as configured: <c>ohlcv.keyStore</c> (file, keyring or auto), <c>ohlcv.keyFile</c>, <c>OHLCV_ENCRYPTION_KEY</c>.</summary>
    public static KeyStore LoadStore(EffectiveSettings settings, CliEnvironment environment) =>
        KeyStore.Load(settings.Get(Settings.OhlcvKeyFile).Value!, EnvironmentKey(environment), Keyring(settings, environment));

    /// <summary>The OS keyring chosen by <c>ohlcv.keyStore</c>, or null for the key file (with a warning when <c>auto</c> falls back).</summary>
    public static IKeyring? Keyring(EffectiveSettings settings, CliEnvironment environment)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(environment);
        var mode = settings.Get(Settings.OhlcvKeyStore).Value;
        if (mode == "file")
        {
            return null;
        }

        var (keyring, reason) = OsKeyring.Detect(name => environment.Variables.TryGetValue(name, out var v) ? v : Environment.GetEnvironmentVariable(name));
        if (keyring is not null)
        {
            return keyring;
        }

        if (mode == "keyring")
        {
            throw new InvalidInputException(
                $"ohlcv.keyStore is 'keyring' but no OS keyring is usable here: {reason}. Set ohlcv.keyStore to 'file' (the key file ohlcv.keyFile, 0600) or 'auto'.");
        }

        environment.Error.WriteLine($"warning: ohlcv.keyStore=auto: no OS keyring ({reason}); using the key file {settings.Get(Settings.OhlcvKeyFile).Value}.");
        return null;
    }

    public static Command Build(CliEnvironment environment)
    {
        var keys = new Command("keys", "Encryption keys of the ohlcv dataset: create, check, rotate.");
        var init = new Command("init", "Create the key file (0600) with one new active key; never overwrites.");
        init.SetAction(async (parse, ct) =>
        {
            var (context, settings) = await LoadAsync(parse, environment, ct);
            var store = KeyStore.Init(settings.Get(Settings.OhlcvKeyFile).Value!, environment.Time.GetUtcNow(), Keyring(settings, environment));
            context.Say(store.Keyring is null
                ? $"Created {store.Path} with active key {store.ActiveKey.Id}. Back it up: files cannot be read without it."
                : $"Stored a new active key {store.ActiveKey.Id} in {store.Path}. Back up the keyring (or export the key): files cannot be read without it.");
            return ExitCodes.Ok;
        });
        var check = new Command("check", "Check the key file's permissions and that every ohlcv file decrypts with a known key.");
        check.SetAction(async (parse, ct) =>
        {
            var (context, settings) = await LoadAsync(parse, environment, ct);
            var store = LoadStore(settings, environment);
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            var problems = new List<string>();
            foreach (var file in EncryptedFiles(settings.OutputDirectory))
            {
                try
                {
                    var data = await File.ReadAllBytesAsync(file, ct);
                    var id = EncryptedFile.ReadKeyId(data);
                    Array.Clear(EncryptedFile.Decrypt(data, store.Find));
                    counts[id] = counts.GetValueOrDefault(id) + 1;
                }
                catch (BackfillException e)
                {
                    problems.Add($"{file}: {e.Message}");
                }
            }

            var table = new ResultTable("Encryption keys", "id", "status", "source", "created", "files");
            foreach (var k in store.EnvironmentKey is { } env ? [env, .. store.FileKeys] : store.FileKeys)
            {
                table.Add(k.Id, k.Status.ToString().ToLowerInvariant(), k.FromEnvironment ? "environment" : store.Keyring is null ? "key file" : "keyring", k.FromEnvironment ? null : k.Created, counts.GetValueOrDefault(k.Id));
            }

            table.Notes.Add($"Active key for new files: {store.ActiveKey.Id}." + (store.RotationInProgress ? " A rotation is unfinished: run 'backfill keys rotate' to resume it." : string.Empty));
            table.Notes.AddRange(problems);
            context.Render(table);
            return problems.Count == 0 && !store.RotationInProgress ? ExitCodes.Ok : ExitCodes.Failed;
        });
        var rotate = new Command("rotate", "New active key; re-encrypt every ohlcv file atomically (resumable); retire the old key once all verify.");
        rotate.SetAction(async (parse, ct) =>
        {
            var (context, settings) = await LoadAsync(parse, environment, ct);
            var output = settings.OutputDirectory;
            var leftovers = EncryptedFileWriter.RemoveLeftovers(Path.Combine(output, "ohlcv"));
            var store = LoadStore(settings, environment);
            var report = KeyRotation.Rotate(store, () => EncryptedFiles(output), environment.Time.GetUtcNow());
            var table = new ResultTable("Key rotation", "new_key", "rotated", "already_current", "verified", "retired", "resumed");
            table.Add(report.NewKeyId, report.Rotated, report.AlreadyCurrent, report.Verified, string.Join(" ", report.Retired), report.Resumed);
            if (leftovers > 0)
            {
                table.Notes.Add($"Removed {leftovers} temp file(s) left by an interrupted rotation.");
            }

            context.Render(table);
            return ExitCodes.Ok;
        });
        var file = new Argument<string>("file") { Description = "An encrypted ohlcv file (*.csv.enc)." };
        var decrypt = new Command("decrypt", "Decrypt one ohlcv file to stdout (its CSV); nothing is written to disk.") { file };
        decrypt.SetAction(async (parse, ct) =>
        {
            var (_, settings) = await LoadAsync(parse, environment, ct);
            var store = LoadStore(settings, environment);
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new InvalidInputException($"'{path}' does not exist. Encrypted files are under {{processing.outputDirectory}}/ohlcv/YYYY/MM/DD/.");
            }

            var plain = EncryptedFile.Decrypt(await File.ReadAllBytesAsync(path, ct), store.Find);
            try
            {
                await environment.Out.WriteAsync(System.Text.Encoding.UTF8.GetString(plain));
            }
            finally
            {
                Array.Clear(plain);
            }

            return ExitCodes.Ok;
        });
        keys.Subcommands.Add(init);
        keys.Subcommands.Add(decrypt);
        keys.Subcommands.Add(check);
        keys.Subcommands.Add(rotate);
        return keys;
    }

    private static async Task<(CommandContext Context, EffectiveSettings Settings)> LoadAsync(ParseResult parse, CliEnvironment environment, CancellationToken ct)
    {
        var context = new CommandContext(parse, environment);
        await using var ledger = await context.OpenLedgerAsync(ct);
        return (context, await context.LoadSettingsAsync(ledger, ct));
    }
}
