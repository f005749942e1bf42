using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Ledger.Model;

namespace Backfill.Cli.Commands;

/// <summary><c>list</c>: the units the ledger holds.</summary>
internal static class ListCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var range = new RangeOptions();
        var roots = new RootOption();
        var failedOnly = new Option<bool>("--failed-only") { Description = "Only failed units." };
        var status = new Option<string?>("--status") { Description = "Only units in this status: queued, processing, success, failed, interrupted." };
        var command = new Command("list", "List processed dates with their status, size, rows, checksum and last error.");
        range.AddTo(command);
        roots.AddTo(command);
        command.Options.Add(failedOnly);
        command.Options.Add(status);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var (from, to) = range.Read(context);
            UnitStatus? filter = parse.GetValue(failedOnly) ? UnitStatus.Failed : null;
            if (parse.GetValue(status) is { } s)
            {
                filter = Enum.TryParse<UnitStatus>(s, ignoreCase: true, out var parsed) && Enum.IsDefined(parsed)
                    ? parsed
                    : throw new InvalidInputException($"--status: '{Core.Time.DateInput.Printable(s)}' is not a status. Use queued, processing, success, failed or interrupted.");
            }

            _ = context.Choice; // an unknown --dataset is exit 2 whether or not a ledger exists yet
            await using var ledger = await context.OpenExistingLedgerAsync(ct);
            var datasets = await roots.SelectAsync(context, ledger, ct);
            var family = context.Choice.IsFamily;

            // A dataset's own per-date figures (spx: expirations listed, requested, with data) come from its metrics;
            // a family's members share their kind, so the first one's columns are every one's.
            var extra = (datasets[0] as Engine.Datasets.IListedMetrics)?.ListColumns ?? [];
            string[] columns = ["date", "status", "attempts", "rows", "bytes", "duration_ms", "quality", .. extra.Select(c => c.Column), "sha256", "last_error", "file"];
            var table = ResultTable.PerDataset($"{context.Choice.Name} units", family, columns);
            var count = 0;
            foreach (var dataset in datasets)
            {
                var units = await ledger.ListUnitsAsync(dataset.Name, from, to, filter, ct);
                var figures = new Dictionary<(DateOnly, string), double>();
                if (extra.Count > 0)
                {
                    var wanted = extra.Select(c => c.Metric).ToHashSet(StringComparer.Ordinal);
                    foreach (var m in await ledger.ListMetricsAsync(dataset.Name, null, ct))
                    {
                        if (m.TradeDate is { } d && wanted.Contains(m.Name))
                        {
                            figures[(d, m.Name)] = m.Value; // the latest recording of a date wins
                        }
                    }
                }

                foreach (var u in units)
                {
                    object?[] cells = [u.TradeDate, u.Status.ToDb(), u.AttemptCount, u.RowCount, u.FileSize, u.DurationMs, u.QualityScore,
                        .. extra.Select(c => figures.TryGetValue((u.TradeDate, c.Metric), out var v) ? (object?)(long)v : null),
                        u.FileSha256, u.LastErrorType is null ? null : $"{u.LastErrorType}: {u.LastErrorMessage}", u.FilePath];
                    table.AddFor(dataset.Name, cells);
                }

                count += units.Count;
            }

            table.Notes.Add($"{count} unit(s).");
            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
