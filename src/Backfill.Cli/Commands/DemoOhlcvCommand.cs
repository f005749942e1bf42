using Backfill.Core.Time;
using Backfill.Engine.Configuration;
using Backfill.Ledger.Sqlite;
using Backfill.Simulators.AlphaVantage;
using Backfill.Sources.AlphaVantage;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>demo --dataset ohlcv</c>: the encrypted ohlcv dataset end to end without an Alpha Vantage account. Starts the Alpha
/// Vantage simulator on a free loopback port, makes a temporary key file and a throwaway API key (environment only, never
/// stored), processes June 2025 for three symbols, verifies every file by decrypting it in memory, makes a backup and
/// verifies it, then prints where the files are and how to decrypt and verify them.
/// </summary>
internal static class DemoOhlcvCommand
{
    public const string From = "2025-06-02";
    public const string To = "2025-06-27";

    public static async Task<int> RunAsync(CommandContext context, bool keep, CancellationToken ct)
    {
        var environment = context.Environment;
        var folder = DemoFolder.Create("ohlcv");
        var db = Path.Combine(folder, "backfill.db");
        var output = Path.Combine(folder, "data");
        var keyFile = Path.Combine(folder, "keys", "ohlcv-keys.json");
        var backups = Path.Combine(folder, "backups");
        var exit = ExitCodes.Failed;
        try
        {
            await using var simulator = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions(), 0, ct);
            var baseUrl = simulator.BaseAddress.ToString().TrimEnd('/');
            context.Say($"Simulated Alpha Vantage query API listening on {baseUrl}, with a throwaway API key");
            context.Say($"Data folder: {folder}");
            await using (var ledger = new SqliteLedger(db, environment.Time))
            {
                await ledger.MigrateAsync(ct);
                foreach (var (name, value) in new[]
                {
                    (Settings.StartDate, From),
                    (Settings.OutputDirectory, output),
                    (Settings.TempDirectory, Path.Combine(folder, "temp")),
                    (Settings.AlphaVantageBaseUrl, baseUrl),
                    (Settings.AlphaVantageMinIntervalMs, "0"),
                    (Settings.OhlcvSymbols, "AAPL,MSFT,BRK.B"),
                    (Settings.OhlcvKeyFile, keyFile),
                })
                {
                    await ledger.SetConfigAsync(SettingsResolver.GlobalScope, name, value, "demo", ct);
                }
            }

            var variables = new Dictionary<string, string>(environment.Variables, StringComparer.Ordinal)
            {
                [AlphaVantageApiKey.Variable] = "av-demo-" + Guid.NewGuid().ToString("N"),
            };
            var inner = environment with { Variables = variables };
            string[] verbose = context.Verbose ? ["--verbose"] : [];
            string[] common = ["--dataset", "ohlcv", "--db", db, "--format", context.Format.ToString().ToLowerInvariant(), .. verbose];
            foreach (var step in new[]
            {
                new[] { "keys", "init" },
                ["process-range", From, To],
                ["verify"],
                ["backup", "create", "--to", backups],
                ["backup", "verify", "--all"],
            })
            {
                exit = await CliApp.RunAsync([.. step, .. common], inner, ct);
                if (exit != ExitCodes.Ok)
                {
                    return exit;
                }
            }

            var root = Path.Combine(output, "ohlcv");
            var files = Directory.GetFiles(root, "*.csv.enc", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            var backup = Directory.GetDirectories(backups, "ohlcv-backup-*").Single();
            context.Say(string.Empty);
            context.Say($"Published {files.Count} encrypted files (AES-256-GCM, 0600) under {root}/YYYY/MM/DD/, e.g.");
            context.Say($"  {files[^1]}");
            context.Say($"Temporary key file (0600): {keyFile}   -- a real setup keeps its own key file and backs it up separately.");
            context.Say($"Backup (still encrypted, manifest of checksums and key ids): {backup}");
            context.Say("Decrypt one to stdout (the plaintext is never written to disk by Backfill):");
            context.Say($"  backfill --dataset ohlcv --db {db} keys decrypt {files[^1]}");
            context.Say("Verify every file (decrypts in memory, compares the content SHA-256 with the ledger), and the backup:");
            context.Say($"  backfill --dataset ohlcv --db {db} verify");
            context.Say($"  backfill --dataset ohlcv --db {db} backup verify {backup} --all");
            context.Say($"See the ledger with: backfill --dataset ohlcv --db {db} list   (and: status, gaps, keys check, keys rotate)");
            context.Say($"{simulator.Stats.Requests} requests served by the simulator.");
            return exit;
        }
        finally
        {
            DemoFolder.Finish(context, folder, keep, "Removed the temporary folder, its key and the backup (use --keep to keep them).");
        }
    }
}
