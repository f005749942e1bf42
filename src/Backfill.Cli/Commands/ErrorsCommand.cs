using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Engine.Errors;
using Backfill.Ledger.Model;

namespace Backfill.Cli.Commands;

/// <summary><c>errors</c>: the error history of the chosen dataset, grouped, with the command that would retry it.</summary>
internal static class ErrorsCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var since = new Option<string?>("--since") { Description = "Only errors from this long ago: 12h, 7d, 2w, or a date (YYYY-MM-DD). Default: all." };
        var type = new Option<string?>("--type") { Description = "Only this error type (RateLimited, ConnectionFailed, ...)." };
        var range = new RangeOptions();
        var command = new Command("errors", "Error history and patterns: counts by type, source and date, retried or permanent, frequent messages, and how to retry.");
        command.Options.Add(since);
        command.Options.Add(type);
        range.AddTo(command);
        var roots = new RootOption();
        roots.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var now = environment.Time.GetUtcNow();
            DateTimeOffset? from = parse.GetValue(since) is { } s ? ErrorHistory.ParseSince(s, now) : null;
            var kind = parse.GetValue(type) is { } t ? ErrorHistory.ParseKind(t) : null;
            var (fromDate, toDate) = range.Read(context);
            await using var ledger = await context.OpenExistingLedgerAsync(ct);
            // A family (--dataset options) reports every member (root) in one table, each row naming its dataset.
            var datasets = await roots.SelectAsync(context, ledger, ct);
            var table = ResultTable.PerDataset($"{(context.Choice.IsFamily ? context.Choice.Name : datasets[0].Name)} errors", context.Choice.IsFamily,
                "group", "key", "count", "retried", "permanent", "first", "last");
            foreach (var dataset in datasets)
            {
                var report = await ErrorHistory.AnalyzeAsync(ledger, dataset, new ErrorFilter(from, kind, fromDate, toDate), ct);
                Add(table, dataset.Name, report);
            }

            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static void Add(ResultTable table, string dataset, ErrorHistoryReport report)
    {
        void Row(params object?[] cells) => table.AddFor(dataset, cells);
        void Section(string group, IEnumerable<ErrorCount> counts)
        {
            foreach (var c in counts)
            {
                Row(group, c.Key, c.Count, c.Retried, c.Permanent, c.First, c.Last);
            }
        }

        Row("total", "all", report.Total, report.Retried, report.Permanent,
            report.ByType.Count == 0 ? null : report.ByType.Min(c => c.First), report.ByType.Count == 0 ? null : report.ByType.Max(c => c.Last));
        Section("type", report.ByType);
        Section("source", report.BySource);
        Section("date", report.ByDate);
        Section("subunit", report.BySubUnit);
        Section("message", report.Messages);
        if (report.RetryCommand is { } retry)
        {
            Row("retry", retry, report.StillFailed.Count, null, null, null, null);
            table.NoteFor(dataset, $"{report.StillFailed.Count} date(s) still failed: {string.Join(", ", report.StillFailed.Select(d => d.ToString("yyyy-MM-dd", null)))}. Retry with: {retry}");
        }

        table.NoteFor(dataset, report.Total == 0
            ? "No errors recorded in this window."
            : $"{report.Total} error(s): {report.Retried} retried by the client, {report.Permanent} ended an attempt." +
              (report.Truncated ? " Only the newest are counted; narrow the window with --since, --type or --from/--to." : string.Empty));
    }
}
