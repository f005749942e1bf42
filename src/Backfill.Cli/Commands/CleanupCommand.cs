using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Engine.Cleanup;
using Backfill.Engine.Processing;

namespace Backfill.Cli.Commands;

/// <summary><c>cleanup</c>: removes temp leftovers and output files that fail verification (resetting their units).</summary>
internal static class CleanupCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var tempFiles = new Option<bool>("--temp-files")
        {
            Description = "Delete .part staging files, staging folders of successful dates, publish temp files and .incoming leftovers.",
        };
        var failedOutputs = new Option<bool>("--failed-outputs")
        {
            Description = "Delete output files that fail verification and reset their dates so gaps lists them again.",
        };
        var olderThan = new Option<int?>("--older-than")
        {
            Description = "Retention: delete published files whose trading date is more than DAYS days old; their dates are marked pruned.",
            HelpName = "DAYS",
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Only list what would be removed." };
        var roots = new RootOption();
        var command = new Command("cleanup", "Remove temp leftovers and corrupted outputs (both unless a flag picks one), or old outputs with --older-than. Resumable staging is kept.");
        command.Options.Add(tempFiles);
        command.Options.Add(failedOutputs);
        command.Options.Add(olderThan);
        command.Options.Add(dryRun);
        roots.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var temp = parse.GetValue(tempFiles);
            var failed = parse.GetValue(failedOutputs);
            var days = parse.GetValue(olderThan);
            if (days is < 1)
            {
                throw new InvalidInputException($"--older-than {days}: give a number of days of 1 or more (e.g. --older-than 365).");
            }

            var none = !temp && !failed && days is null;
            var request = new CleanupRequest(temp || none, failed || none, parse.GetValue(dryRun), days, context.Today);
            await using var ledger = await context.OpenLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            var family = context.Choice.IsFamily;
            string[] columns = ["kind", "date", "path", "bytes", "detail"];
            var table = new ResultTable($"Cleanup of {context.Choice.Name}{(request.DryRun ? " (dry run: nothing deleted)" : "")}", family ? ["dataset", .. columns] : columns);
            foreach (var dataset in roots.Select(context, settings))
            {
                var checker = request.FailedOutputs ? dataset.CreateChecker(context.Host(ledger), settings) : null;
                var report = await new OutputCleaner(ledger, environment.Time, checker)
                    .CleanAsync(dataset, EnginePaths.OutputStore(settings, dataset.Name), settings.TempDirectory, request, ct);
                AddReport(context, table, family ? dataset.Name : null, report, days);
            }

            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>One dataset's items and notes (a family's member named in the first column and in front of each note).</summary>
    private static void AddReport(CommandContext context, ResultTable table, string? member, CleanupReport report, int? days)
    {
        var verb = report.DryRun ? "Would remove" : "Removed";
        var prefix = member is null ? string.Empty : $"{member}: ";
        foreach (var item in report.Items)
        {
            object?[] cells = [CleanupReport.Name(item.Kind), item.Date, item.Path, item.Bytes, item.Detail];
            table.Add(member is null ? cells : [member, .. cells]);
        }

        foreach (var keep in report.Kept)
        {
            context.Say($"{prefix}kept {keep.Date:yyyy-MM-dd} staging ({keep.Reason}): {keep.Path}");
        }

        if (report.Kept.Count > 0)
        {
            table.Notes.Add($"{prefix}Staging of {report.Kept.Count} failed/interrupted/processing date(s) kept: completed sub-units are what a resume continues from.");
        }

        table.Notes.AddRange(report.Notes.Select(n => prefix + n));
        table.Notes.Add($"{prefix}{verb} {report.Items.Count} item(s), {report.BytesFreed:N0} bytes " +
            $"({report.Count(CleanupItemKind.PartialStagingFile)} .part files, {report.Count(CleanupItemKind.SuccessStaging)} staging folders of done dates, " +
            $"{report.Count(CleanupItemKind.PublishTempFile)} publish temp files, {report.Count(CleanupItemKind.IncomingFile)} .incoming files, " +
            $"{report.Count(CleanupItemKind.CorruptedOutput)} corrupted outputs{(report.DryRun || report.Count(CleanupItemKind.CorruptedOutput) == 0 ? "" : ", their dates reset")}" +
            (days.HasValue ? $", {report.Count(CleanupItemKind.PrunedOutput)} outputs older than {days} days)." : ")."));
    }
}
