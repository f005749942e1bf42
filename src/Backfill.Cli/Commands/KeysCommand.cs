using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Encryption;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>keys init|check|rotate</c>: the encryption keys of the <c>ohlcv</c> dataset. The key file comes from <c>ohlcv.keyFile</c>;
/// <c>OHLCV_ENCRYPTION_KEY</c> (base64, 32 bytes) overrides its active key. Key material is never printed.
/// </summary>
internal static class KeysCommand
{
    /// <summary>The registered dataset whose outputs are encrypted: the one chosen with --dataset, or the only one there is.</summary>
    public static (IDataset Dataset, IEncryptedOutputs Keys) EncryptedDataset(CommandContext context)
    {
        if (context.Dataset is IEncryptedOutputs chosen)
        {
            return (context.Dataset, chosen);
        }

        var all = context.Environment.Datasets.All.Where(d => d is IEncryptedOutputs).ToList();
        return all.Count == 1
            ? (all[0], (IEncryptedOutputs)all[0])
            : throw new InvalidInputException(
                $"The {context.Dataset.Name} dataset's outputs are not encrypted, so it has no keys. Use --dataset {string.Join(" or --dataset ", all.Select(d => d.Name))}.");
    }

    /// <summary>The encrypted outputs of the dataset, in path order.</summary>
    private static IEnumerable<string> EncryptedFiles(IDataset dataset, string outputRoot) =>
        dataset.Layout.EnumerateLocal(outputRoot).Select(f => f.Path);

    public static Command Build(CliEnvironment environment)
    {
        var keys = new Command("keys", "Encryption keys of the dataset whose outputs are encrypted (ohlcv): create, check, rotate, decrypt one file.");
        var init = new Command("init", "Create the key file (0600) with one new active key; never overwrites.");
        init.SetAction(async (parse, ct) =>
        {
            var (context, settings, host) = await LoadAsync(parse, environment, ct);
            var store = EncryptedDataset(context).Keys.InitKeys(host, settings);
            context.Say(store.Keyring is null
                ? $"Created {store.Path} with active key {store.ActiveKey.Id}. Back it up: files cannot be read without it."
                : $"Stored a new active key {store.ActiveKey.Id} in {store.Path}. Back up the keyring (or export the key): files cannot be read without it.");
            return ExitCodes.Ok;
        });
        var check = new Command("check", "Check the key file's permissions and that every ohlcv file decrypts with a known key.");
        check.SetAction(async (parse, ct) =>
        {
            var (context, settings, host) = await LoadAsync(parse, environment, ct);
            var (dataset, keys) = EncryptedDataset(context);
            Backfill.Storage.Outputs.OutputStores.RequireLocal(settings.OutputDirectory, "keys check");
            var store = keys.LoadKeys(host, settings);
            var counts = new Dictionary<string, int>(StringComparer.Ordinal);
            var problems = new List<string>();
            foreach (var file in EncryptedFiles(dataset, settings.OutputDirectory))
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
            var (context, settings, host) = await LoadAsync(parse, environment, ct);
            var (dataset, keys) = EncryptedDataset(context);
            var output = Backfill.Storage.Outputs.OutputStores.RequireLocal(settings.OutputDirectory, "keys rotate");
            var leftovers = EncryptedFileWriter.RemoveLeftovers(Path.Combine(output, dataset.Layout.Folder));
            var store = keys.LoadKeys(host, settings);
            var report = KeyRotation.Rotate(store, () => EncryptedFiles(dataset, output), environment.Time.GetUtcNow());
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
            var (context, settings, host) = await LoadAsync(parse, environment, ct);
            var (dataset, keys) = EncryptedDataset(context);
            var store = keys.LoadKeys(host, settings);
            var path = parse.GetValue(file)!;
            if (!File.Exists(path))
            {
                throw new InvalidInputException($"'{path}' does not exist. Encrypted files are under {{processing.outputDirectory}}/{dataset.Layout.Folder}/YYYY/MM/DD/.");
            }

            var plain = EncryptedFile.Decrypt(await EncryptedFile.ReadFileAsync(path, ct), store.Find);
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

    /// <summary>The context, the settings and a host for the dataset (the ledger is only read for the settings).</summary>
    internal static async Task<(CommandContext Context, EffectiveSettings Settings, DatasetHost Host)> LoadAsync(ParseResult parse, CliEnvironment environment, CancellationToken ct)
    {
        var context = new CommandContext(parse, environment);
        await using var ledger = await context.OpenLedgerAsync(ct);
        return (context, await context.LoadSettingsAsync(ledger, ct), context.Host(ledger));
    }
}
