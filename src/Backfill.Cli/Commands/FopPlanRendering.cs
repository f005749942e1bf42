using System.Globalization;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets.Fop;
using Backfill.Engine.Gaps;
using Backfill.Ledger;
using Backfill.Ledger.Model;

namespace Backfill.Cli.Commands;

/// <summary>
/// The <c>--dry-run</c> plan of the <c>fop</c> dataset: per-date estimates of requests, rows, disk and time, and the cost in
/// USD from Databento's <c>metadata.get_cost</c>. Without an API key, or when the vendor refuses, the plan is still shown
/// with the cost left empty and the reason on stderr.
/// </summary>
internal static class FopPlanRendering
{
    public static async Task RenderAsync(CommandContext context, ILedger ledger, IReadOnlyList<Gap> todo, CancellationToken ct)
    {
        var settings = await context.LoadSettingsAsync(ledger, ct);
        var strategy = FopStrategy.From(settings);
        var planner = new FopPlanner(strategy, FopSelector.CacheDirectoryFor(settings.TempDirectory, context.Dataset.Name));
        var history = await ledger.ListUnitsAsync(context.Dataset.Name, null, null, UnitStatus.Success, ct);
        var dates = todo.Select(g => g.Date).ToList();
        FopPlan plan;
        string? costProblem = null;
        if (dates.Count == 0)
        {
            plan = await planner.PlanAsync(dates, history, null, ct);
        }
        else
        {
            try
            {
                using var client = FopSourceFactory.CreateClient(settings, context.Environment.Variables, RetryPolicyTable.Default);
                plan = await planner.PlanAsync(dates, history, client, ct);
            }
            catch (InvalidInputException e)
            {
                costProblem = $"no cost estimate: {e.Message}";
                plan = await planner.PlanAsync(dates, history, null, ct);
            }
            catch (BackfillException e)
            {
                costProblem = $"no cost estimate: Databento metadata.get_cost failed ({e.Kind}): {e.Message}";
                plan = await planner.PlanAsync(dates, history, null, ct);
            }
        }

        var byDate = plan.Dates.ToDictionary(d => d.Date);
        var table = new ResultTable("Plan (dry run)", "date", "category", "priority", "est_requests", "est_rows", "est_bytes", "est_seconds", "est_cost_usd");
        foreach (var gap in todo)
        {
            var d = byDate[gap.Date];
            table.Add(d.Date, GapsCommand.Name(gap.Category), gap.Priority, d.Requests, d.Rows, d.Bytes, d.Seconds,
                d.CostUsd is { } c ? decimal.Round(c, 6) : null);
        }

        table.Notes.Add($"{plan.Dates.Count} date(s): about {plan.TotalRequests:N0} requests, {plan.TotalRows:N0} rows, {plan.TotalBytes / 1e6:F2} MB of CSV + Parquet, " +
                        $"{TimeSpan.FromSeconds(plan.TotalSeconds):g} at one date at a time.");
        table.Notes.Add(plan.TotalCostUsd is { } total
            ? string.Create(CultureInfo.InvariantCulture, $"Estimated cost: ${total:0.00##} (Databento metadata.get_cost, {plan.CostQueries.Count} queries).")
            : "Estimated cost: unknown (see the warning).");
        table.Notes.Add($"Selections: {plan.SelectionsToCompute} to compute, {plan.SelectionsCached} cached. Estimates from {plan.Basis}.");
        if (plan.TotalCostUsd is not null)
        {
            table.Notes.Add("The chain settlements of a new selection are priced for the whole OH.OPT parent (an upper bound); the daily-bar fallback is not priced.");
        }

        if (costProblem is not null)
        {
            context.Warn(costProblem);
        }

        context.Render(table);
    }
}
