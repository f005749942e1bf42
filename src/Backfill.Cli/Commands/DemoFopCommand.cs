using System.Globalization;
using Backfill.Core.Time;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets.Fop;
using Backfill.Ledger.Sqlite;
using Backfill.Simulators.Databento;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>demo --dataset fop</c>: the fop dataset end to end without a Databento account. Starts the Databento simulator on a
/// free loopback port with a throwaway API key (required by the simulator, passed to Backfill through its environment,
/// never stored), processes a month of CME trade dates in a temporary folder, stitches them with <c>export</c>, and
/// prints where the CSV and Parquet files are and how to query them.
/// </summary>
internal static class DemoFopCommand
{
    public static readonly DateOnly DefaultFrom = new(2025, 1, 2);
    public static readonly DateOnly DefaultTo = new(2025, 1, 31);

    public static async Task<int> RunAsync(CommandContext context, bool keep, CancellationToken ct)
    {
        var environment = context.Environment;
        var folder = DemoFolder.Create("fop");
        var db = Path.Combine(folder, "backfill.db");
        var output = Path.Combine(folder, "data");
        var exit = ExitCodes.Failed;
        try
        {
            var key = "db-demo-" + Guid.NewGuid().ToString("N");
            await using var simulator = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions { RequiredApiKey = key }, 0, ct);
            var baseUrl = simulator.BaseAddress.ToString().TrimEnd('/');
            context.Say($"Simulated Databento historical API (GLBX.MDP3 heating oil) listening on {baseUrl}, with a throwaway API key");
            context.Say($"Data folder: {folder}");
            await using (var ledger = new SqliteLedger(db, environment.Time))
            {
                await ledger.MigrateAsync(ct);
                foreach (var (name, value) in new[]
                {
                    (Settings.StartDate, "2024-01-02"),
                    (Settings.OutputDirectory, output),
                    (Settings.TempDirectory, Path.Combine(folder, "temp")),
                    (Settings.DatabentoBaseUrl, baseUrl),
                })
                {
                    await ledger.SetConfigAsync(SettingsResolver.GlobalScope, name, value, "demo", ct);
                }
            }

            var variables = new Dictionary<string, string>(environment.Variables, StringComparer.Ordinal) { [FopSourceFactory.ApiKeyVariable] = key };
            var inner = environment with { Variables = variables };
            var format = context.Format.ToString().ToLowerInvariant();
            var from = DefaultFrom.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            var to = DefaultTo.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            string[] verbose = context.Verbose ? ["--verbose"] : [];
            string[] common = ["--dataset", "fop", "--db", db, "--format", format, .. verbose];
            exit = await CliApp.RunAsync(["process-range", from, to, .. common], inner, ct);
            if (exit != ExitCodes.Ok)
            {
                return exit;
            }

            var combined = Path.Combine(folder, $"fop-{from}_{to}.csv");
            exit = await CliApp.RunAsync(["export", "--from", from, "--to", to, "--output", combined, .. common], inner, ct);
            if (exit != ExitCodes.Ok)
            {
                return exit;
            }

            var root = Path.Combine(output, "fop");
            var csvs = Directory.GetFiles(root, "*.csv", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            var parquets = Directory.GetFiles(root, "*.parquet", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
            context.Say(string.Empty);
            context.Say($"Published {csvs.Count} CSV and {parquets.Count} Parquet files under {root}/YYYY/MM/DD/, e.g.");
            context.Say($"  {csvs[0]}");
            context.Say($"  {parquets[0]}");
            context.Say($"The whole month in the reference layout: {combined}");
            context.Say("Query them with any CSV/Parquet reader, e.g. DuckDB:");
            context.Say($"  SELECT trade_date, option_symbol, option_price, selection_delta FROM '{root}/*/*/*/*.parquet' ORDER BY ALL;");
            context.Say($"  SELECT * FROM read_csv('{combined}');");
            context.Say($"See the ledger with: backfill --dataset fop --db {db} list   (and: status, gaps --from {from}, verify --deep, export --from {from} --to {to})");
            context.Say($"{simulator.Stats.Requests} requests served by the simulator.");
            return exit;
        }
        finally
        {
            DemoFolder.Finish(context, folder, keep);
        }
    }
}
