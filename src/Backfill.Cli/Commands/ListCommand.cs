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
        var failedOnly = new Option<bool>("--failed-only") { Description = "Only failed units." };
        var status = new Option<string?>("--status") { Description = "Only units in this status: queued, processing, success, failed, interrupted." };
        var command = new Command("list", "List processed dates with their status, size, rows, checksum and last error.");
        range.AddTo(command);
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

            var dataset = context.Dataset;
            await using var ledger = await context.OpenExistingLedgerAsync(ct);
            var units = await ledger.ListUnitsAsync(dataset.Name, from, to, filter, ct);
            // A dataset's own per-date figures (spx: expirations listed, requested, with data) come from its metrics.
            var extra = (dataset as Engine.Datasets.IListedMetrics)?.ListColumns ?? [];
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

            var table = new ResultTable($"{dataset.Name} units",
                ["date", "status", "attempts", "rows", "bytes", "duration_ms", "quality", .. extra.Select(c => c.Column), "sha256", "last_error", "file"]);
            foreach (var u in units)
            {
                table.Add([u.TradeDate, u.Status.ToDb(), u.AttemptCount, u.RowCount, u.FileSize, u.DurationMs, u.QualityScore,
                    .. extra.Select(c => figures.TryGetValue((u.TradeDate, c.Metric), out var v) ? (object?)(long)v : null),
                    u.FileSha256, u.LastErrorType is null ? null : $"{u.LastErrorType}: {u.LastErrorMessage}", u.FilePath]);
            }

            table.Notes.Add($"{units.Count} unit(s).");
            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
