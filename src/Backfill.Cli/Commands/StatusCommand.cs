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
        var roots = new RootOption();
        var command = new Command("status", "Summarise the dataset: units by status, coverage, gaps, size, recent errors, free disk, the ledger and the source.")
        {
            offline,
        };
        roots.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            _ = context.Choice; // an unknown --dataset is exit 2 whether or not a ledger exists yet
            await using var ledger = await context.OpenExistingLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            var datasets = roots.Select(context, settings);
            var host = context.Host(ledger);

            // The sources are asked while the ledger is read, so one bounded wait is the most the command adds.
            var systems = datasets.Select(dataset => SystemStatus.ReadAsync(ledger, settings,
                parse.GetValue(offline) ? null : ct2 => dataset.CheckSourceAsync(host, settings, ct2), SystemStatus.SourceTimeout, ct)).ToList();
            var family = context.Choice.IsFamily;
            var table = ResultTable.PerDataset($"Status of {(family ? context.Choice.Name : datasets[0].Name)}", family, "metric", "value");
            var stale = false;
            for (var i = 0; i < datasets.Count; i++)
            {
                var dataset = datasets[i];
                var rows = new ResultTable(string.Empty, "metric", "value");
                stale |= !await AddAsync(rows, context, ledger, host, settings, dataset, systems[i], ct);
                foreach (var row in rows.Rows)
                {
                    table.AddFor(dataset.Name, row);
                }
            }

            if (settings.StartDate is null)
            {
                table.Notes.Add("Set a start date to see gaps: backfill config set processing.startDate 2020-01-02");
            }

            if (stale)
            {
                var state = await systems[0];
                table.Notes.Add($"The ledger's schema is version {state.Ledger.SchemaVersion}, this build's is {state.Ledger.ExpectedSchemaVersion}: run any processing command to migrate it.");
            }

            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>One dataset's lines; false when the ledger's schema is not this build's.</summary>
    private static async Task<bool> AddAsync(
        ResultTable table, CommandContext context, Backfill.Ledger.ILedger ledger, DatasetHost host, Engine.Configuration.EffectiveSettings settings,
        IDataset dataset, Task<SystemStatus> system, CancellationToken ct)
    {
        var summary = await ledger.GetSummaryAsync(dataset.Name, ct);
        GapReport? gaps = null;
        if (settings.StartDate is not null)
        {
            gaps = await GapsCommand.AnalyzeAsync(context, ledger, dataset, settings, (null, null), ct);
        }

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

        return state.Ledger.Current;
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
