using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Engine.Datasets;
using Backfill.Engine.Gaps;
using Backfill.Engine.Status;
using Backfill.Ledger.Model;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>status</c>: one screen on where a dataset stands: units, coverage and gaps, free disk, the ledger's kind and schema,
/// and whether the source answers (its cheap probe, bounded so the command stays within about 2 s; not with --offline).
/// </summary>
internal static class StatusCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var offline = new Option<bool>("--offline") { Description = "Do not ask the source whether it answers (no network)." };
        var command = new Command("status", "Summarise the dataset: units by status, coverage, gaps, size, recent errors, free disk, the ledger and the source.")
        {
            offline,
        };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var dataset = context.Dataset;
            await using var ledger = await context.OpenExistingLedgerAsync(ct);
            var summary = await ledger.GetSummaryAsync(dataset.Name, ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            var host = context.Host(ledger);
            // The source is asked while the ledger is read, so its bounded wait is the most the command adds.
            var system = SystemStatus.ReadAsync(ledger, settings,
                parse.GetValue(offline) ? null : ct2 => dataset.CheckSourceAsync(host, settings, ct2), SystemStatus.SourceTimeout, ct);
            GapReport? gaps = null;
            if (settings.StartDate is not null)
            {
                gaps = await GapsCommand.AnalyzeAsync(context, ledger, (null, null), ct);
            }

            var table = new ResultTable($"Status of {dataset.Name}", "metric", "value");
            table.Add("dataset", dataset.Name);
            table.Add("source", dataset.Source);
            table.Add("ledger", ledger.Description);
            table.Add("start_date", settings.StartDate);
            foreach (var status in Enum.GetValues<UnitStatus>())
            {
                table.Add($"units_{status.ToDb()}", summary.Counts[status]);
            }

            table.Add("first_success", summary.FirstSuccess);
            table.Add("last_success", summary.LastSuccess);
            table.Add("total_rows", summary.TotalRows);
            table.Add("total_bytes", summary.TotalBytes);
            table.Add("sessions_in_range", gaps?.Sessions);
            table.Add("gaps", gaps?.Gaps.Count);
            table.Add("coverage_percent", gaps is null || gaps.Sessions == 0 ? null : Math.Round(100.0 * gaps.Succeeded / gaps.Sessions, 2));
            table.Add("errors_last_24h", summary.ErrorsLast24h);
            table.Add("last_activity", summary.LastActivity);
            var state = await system;
            table.Add("ledger_kind", state.Ledger.Kind);
            table.Add("ledger_schema_version", state.Ledger.SchemaVersion);
            table.Add("ledger_schema_current", state.Ledger.Current);
            AddDisk(table, "output", state.Output);
            AddDisk(table, "temp", state.Temp);
            table.Add("source_state", state.SourceState);
            table.Add("source_detail", state.Source?.Detail ?? "not asked (--offline)");
            if (dataset is IStatusReporter reporter)
            {
                foreach (var (metric, value) in await reporter.StatusAsync(host, settings, ct))
                {
                    table.Add(metric, value);
                }
            }

            if (settings.StartDate is null)
            {
                table.Notes.Add("Set a start date to see gaps: backfill config set processing.startDate 2020-01-02");
            }

            if (!state.Ledger.Current)
            {
                table.Notes.Add($"The ledger's schema is version {state.Ledger.SchemaVersion}, this build's is {state.Ledger.ExpectedSchemaVersion}: run any processing command to migrate it.");
            }

            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void AddDisk(ResultTable table, string what, DiskState disk)
    {
        table.Add($"disk_{what}_folder", disk.Folder);
        table.Add($"disk_{what}_free_bytes", disk.Usage?.FreeBytes);
        table.Add($"disk_{what}_free_percent", disk.Usage?.FreePercent);
        if (disk.Problem is not null)
        {
            table.Add($"disk_{what}_problem", disk.Problem);
        }
    }
}
