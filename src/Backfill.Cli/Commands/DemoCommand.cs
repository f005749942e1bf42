using System.CommandLine;
using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Core.Time;
using Backfill.Engine.Configuration;
using Backfill.Simulators.ThetaData;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>demo</c>: the main job end to end without any vendor account: starts the embedded ThetaData simulator on a
/// free loopback port, configures a temporary data folder, processes one real-size day, and shows how to query it.
/// </summary>
internal static class DemoCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the temporary data folder (the Parquet file and the ledger) and print its path." };
        var date = new Option<string>("--date") { Description = "Trading date to process.", DefaultValueFactory = _ => "2024-06-12" };
        var scale = new Option<double>("--scale") { Description = "Size of the simulated day: 1 = real size (about 10 M rows), 0.05 = quick.", DefaultValueFactory = _ => 1.0 };
        var maxDte = new Option<int>("--max-dte") { Description = "Only expirations up to N days out (0 = all).", DefaultValueFactory = _ => 0 };
        var command = new Command("demo", "Run the main job end to end in a temporary folder against the embedded ThetaData simulator (--dataset fop or ohlcv: a month against the Databento or Alpha Vantage simulator; --dataset crypto-book: a BTC-USDT day against the Crypto Lake simulator).") { keep, date, scale, maxDte };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            if (context.Dataset.Name == "fop")
            {
                return await DemoFopCommand.RunAsync(context, parse.GetValue(keep), ct);
            }

            if (context.Dataset.Name == "ohlcv")
            {
                return await DemoOhlcvCommand.RunAsync(context, parse.GetValue(keep), ct);
            }

            if (context.Dataset.Name == "crypto-book")
            {
                return await DemoCryptoBookCommand.RunAsync(context, parse.GetValue(keep), parse.GetValue(date)!, parse.GetValue(scale), ct);
            }

            var day = DateInput.ParseDate(parse.GetValue(date), "--date", context.Today);
            var size = parse.GetValue(scale);
            if (size is <= 0 or > 1 || double.IsNaN(size))
            {
                throw new InvalidInputException($"--scale: {size.ToString(CultureInfo.InvariantCulture)} must be above 0 and at most 1.");
            }

            var folder = DemoFolder.Create("spx");
            var db = Path.Combine(folder, "backfill.db");
            var exit = ExitCodes.Failed;
            try
            {
                await using var simulator = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = size }, 0, ct);
                context.Say($"Simulated ThetaData terminal (API v2) listening on {simulator.BaseAddress}");
                context.Say($"Data folder: {folder}");
                var set = new[]
                {
                    $"{Settings.ThetaBaseUrl}={simulator.BaseAddress}",
                    $"{Settings.StartDate}=2016-01-04",
                    $"{Settings.OutputDirectory}={Path.Combine(folder, "parquet")}",
                    $"{Settings.TempDirectory}={Path.Combine(folder, "temp")}",
                    $"{Settings.MaxDte}={parse.GetValue(maxDte).ToString(CultureInfo.InvariantCulture)}",
                };
                var args = new List<string> { "process", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), "--db", db, "--format", context.Format.ToString().ToLowerInvariant() };
                if (context.Verbose)
                {
                    args.Add("--verbose");
                }

                foreach (var s in set)
                {
                    args.Add("--set");
                    args.Add(s);
                }

                exit = await CliApp.RunAsync([.. args], environment, ct);
                if (exit == ExitCodes.Ok)
                {
                    var file = Directory.EnumerateFiles(Path.Combine(folder, "parquet"), "*.parquet", SearchOption.AllDirectories).First();
                    context.Say(string.Empty);
                    context.Say($"Published {file}");
                    context.Say("Query it with any Parquet reader, e.g. DuckDB:");
                    context.Say($"  SELECT root, expiration, count(*) AS rows, avg(implied_vol) FROM '{file}' GROUP BY ALL ORDER BY ALL;");
                    context.Say($"See the ledger with: backfill --db {db} list   (and: status, gaps --from {day:yyyy-MM-dd}, verify)");
                }
            }
            finally
            {
                DemoFolder.Finish(context, folder, parse.GetValue(keep));
            }

            return exit;
        });
        return command;
    }
}
