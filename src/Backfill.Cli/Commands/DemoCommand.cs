using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Engine.Configuration;
using Backfill.Engine.Gaps;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>demo</c>: a self-contained tour in a temporary data folder, so a new user sees Backfill work without
/// any vendor account or setup.
/// </summary>
internal static class DemoCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var keep = new Option<bool>("--keep") { Description = "Keep the temporary data folder and print its path." };
        var command = new Command("demo", "Run Backfill end to end in a temporary folder against the embedded simulator.") { keep };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var folder = Directory.CreateTempSubdirectory("backfill-demo-").FullName;
            try
            {
                var db = Path.Combine(folder, "backfill.db");
                var ledger = new Backfill.Ledger.Sqlite.SqliteLedger(db, environment.Time);
                await using (ledger)
                {
                    await ledger.MigrateAsync(ct);
                    var calendar = context.Dataset.Calendar;
                    var latest = GapAnalyzer.LatestCompleteSession(calendar, environment.Time.GetUtcNow());
                    var start = calendar.SessionsBetween(latest.AddDays(-45), latest)[0];
                    await ledger.SetConfigAsync(SettingsResolver.GlobalScope, Settings.StartDate, start.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), "demo", ct);
                    await ledger.SetConfigAsync(SettingsResolver.GlobalScope, Settings.OutputDirectory, Path.Combine(folder, "parquet"), "demo", ct);
                    await ledger.SetConfigAsync(SettingsResolver.GlobalScope, Settings.TempDirectory, Path.Combine(folder, "temp"), "demo", ct);
                    context.Say($"Demo ledger: {db}");
                    var settings = await new SettingsResolver(null, environment.Variables).LoadAsync(ledger, ct);
                    var config = new ResultTable("Demo settings", "key", "value", "source");
                    foreach (var s in settings.All.OrderBy(s => s.Key, StringComparer.Ordinal))
                    {
                        config.Add(s.Key, s.Key == Settings.DatabasePath ? db : s.Value, s.Source.ToString().ToLowerInvariant());
                    }

                    context.Render(config);
                    var units = await ledger.ListUnitsAsync(context.Dataset.Name, start, latest, null, ct);
                    var report = GapAnalyzer.Analyze(context.Dataset.Name, calendar, start, latest, units, settings.RetryLimit, environment.Time.GetUtcNow());
                    var gaps = new ResultTable($"Gaps {start:yyyy-MM-dd} .. {latest:yyyy-MM-dd} ({calendar.Name})", "date", "category", "priority");
                    foreach (var gap in report.Gaps)
                    {
                        gaps.Add(gap.Date, GapsCommand.Name(gap.Category), gap.Priority);
                    }

                    gaps.Notes.Add($"{report.Sessions} trading sessions in range; {report.Gaps.Count} to fetch.");
                    context.Render(gaps);
                }

                if (parse.GetValue(keep))
                {
                    context.Say($"Kept {folder}. Inspect it with: backfill --db {Path.Combine(folder, "backfill.db")} status");
                }

                return ExitCodes.Ok;
            }
            finally
            {
                if (!parse.GetValue(keep))
                {
                    Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                    Directory.Delete(folder, recursive: true);
                }
            }
        });
        return command;
    }
}
