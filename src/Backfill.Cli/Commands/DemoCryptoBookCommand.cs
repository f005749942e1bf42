using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Core.Time;
using Backfill.Engine.Configuration;
using Backfill.Simulators.CryptoLake;
using ParquetSharp;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>demo --dataset crypto-book</c>: the crypto-book dataset end to end without a Crypto Lake account. Starts the
/// Crypto Lake simulator on a free loopback port, processes one BINANCE BTC-USDT day in a temporary folder, and prints
/// where the Parquet event stream and the metric lines are, how to query them, and the validation summary stored in
/// the file.
/// </summary>
internal static class DemoCryptoBookCommand
{
    public static async Task<int> RunAsync(CommandContext context, bool keep, string dateText, double scale, CancellationToken ct)
    {
        var day = DateInput.ParseDate(dateText, "--date", context.Today);
        if (scale is <= 0 or > 1 || double.IsNaN(scale))
        {
            throw new InvalidInputException($"--scale: {scale.ToString(CultureInfo.InvariantCulture)} must be above 0 and at most 1 (1 = Binance depth@100ms, 10 messages a second).");
        }

        var environment = context.Environment;
        var folder = DemoFolder.Create("crypto");
        var db = Path.Combine(folder, "backfill.db");
        var output = Path.Combine(folder, "data", "parquet");
        var exit = ExitCodes.Failed;
        try
        {
            await using var simulator = await CryptoLakeSimulator.StartAsync(new CryptoLakeDayOptions { MessagesPerSecond = 10 * scale }, cancellationToken: ct);
            context.Say($"Simulated Crypto Lake bucket (BINANCE BTC-USDT, {(10 * scale).ToString("0.###", CultureInfo.InvariantCulture)} depth messages a second) listening on {simulator.BaseAddress}");
            context.Say($"Data folder: {folder}");
            var date = day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
            string[] verbose = context.Verbose ? ["--verbose"] : [];
            exit = await CliApp.RunAsync(
            [
                "process", date, "--dataset", "crypto-book", "--db", db, "--format", context.Format.ToString().ToLowerInvariant(), .. verbose,
                "--set", $"{Settings.CryptoLakeBaseUrl}={simulator.BaseAddress}",
                "--set", $"{Settings.StartDate}={date}",
                "--set", $"{Settings.OutputDirectory}={output}",
                "--set", $"{Settings.TempDirectory}={Path.Combine(folder, "temp")}",
            ], environment, ct);
            if (exit != ExitCodes.Ok)
            {
                return exit;
            }

            var file = Directory.EnumerateFiles(output, "*.parquet", SearchOption.AllDirectories).Single();
            var metrics = Directory.EnumerateFiles(Path.Combine(folder, "data", "metrics"), "crypto-book-*.jsonl").Single();
            IReadOnlyDictionary<string, string> meta;
            using (var reader = new ParquetFileReader(file))
            {
                meta = reader.FileMetaData.KeyValueMetadata;
            }

            string Meta(string key) => meta.TryGetValue("backfill." + key, out var v) ? v : "?";
            context.Say(string.Empty);
            context.Say($"Published {file}");
            context.Say($"Validation: {Meta("snapshots_compared")} vendor snapshots compared with the rebuilt book, {Meta("level_mismatches")} level mismatches, "
                + $"max mid deviation {Meta("max_mid_deviation_ticks")} ticks, {Meta("gaps")} gap(s), {Meta("crossed_messages")} crossed book(s), {Meta("rejected_rows")} malformed row(s)");
            context.Say($"Metrics (OpenTelemetry-shaped JSON lines): {metrics}");
            context.Say("Query it with any Parquet reader, e.g. DuckDB (price = price_ticks x backfill.tick_size):");
            context.Say($"  SELECT event_type, count(*) AS events, min(price_ticks) * 0.01 AS low, max(price_ticks) * 0.01 AS high FROM '{file}' GROUP BY ALL ORDER BY ALL;");
            context.Say($"  SELECT received_time_ns, bid_price_ticks[1] * 0.01 AS bid, ask_price_ticks[1] * 0.01 AS ask FROM '{file}' WHERE event_type = 'BOOK_SNAPSHOT' LIMIT 10;");
            context.Say($"See the ledger with: backfill --dataset crypto-book --db {db} list   (and: status, verify --deep)");
            context.Say($"{simulator.Stats.Requests} requests served by the simulator.");
            return exit;
        }
        finally
        {
            DemoFolder.Finish(context, folder, keep);
        }
    }
}
