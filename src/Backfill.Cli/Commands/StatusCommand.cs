using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Engine.Datasets;
using Backfill.Engine.Gaps;
using Backfill.Ledger.Model;

namespace Backfill.Cli.Commands;

/// <summary><c>status</c>: one screen on where a dataset stands.</summary>
internal static class StatusCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var command = new Command("status", "Summarise the dataset: units by status, coverage, gaps, size and recent errors.");
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var dataset = context.Dataset;
            await using var ledger = await context.OpenExistingLedgerAsync(ct);
            var summary = await ledger.GetSummaryAsync(dataset.Name, ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
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
            if (dataset is IStatusReporter reporter)
            {
                foreach (var (metric, value) in await reporter.StatusAsync(context.Host(ledger), settings, ct))
                {
                    table.Add(metric, value);
                }
            }

            if (settings.StartDate is null)
            {
                table.Notes.Add("Set a start date to see gaps: backfill config set processing.startDate 2020-01-02");
            }

            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
