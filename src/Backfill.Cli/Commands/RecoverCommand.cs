using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Engine.Datasets;
using Backfill.Engine.Processing;

namespace Backfill.Cli.Commands;

/// <summary><c>recover [--from BACKUP]</c>: re-link keys and files after a restore, register them in the ledger, verify.</summary>
internal static class RecoverCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var from = new Option<string?>("--from")
        {
            Description = "A backup folder or .tar made by 'backup create'. Without it, files already copied back into the output tree are re-linked.",
            HelpName = "BACKUP",
        };
        var command = new Command("recover", "After a restore: check the key store holds every key the files name, restore files atomically, register and verify them.") { from };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var backups = BackupCommand.RequireBackups(context);
            await using var ledger = await context.OpenLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            var report = await backups.RecoverAsync(context.Host(ledger), settings, parse.GetValue(from), ct);
            var table = new ResultTable($"Recover {context.Dataset.Name} from {report.Source}", "date", "status", "key_id", "path", "message");
            foreach (var item in report.Items)
            {
                table.Add(item.Date, RecoverReport.Name(item.Status), item.KeyId, item.Path, item.Message);
            }

            table.Notes.Add($"Key id(s) needed: {(report.KeyIds.Count == 0 ? "none" : string.Join(", ", report.KeyIds))}, all in the key store. " +
                $"{report.Count(RecoverStatus.Restored)} restored, {report.Count(RecoverStatus.Relinked)} re-linked, {report.Count(RecoverStatus.AlreadyCurrent)} already current, " +
                $"{report.Count(RecoverStatus.KeptCurrent)} kept (newer), {report.Count(RecoverStatus.Corrupted)} corrupted, {report.Count(RecoverStatus.Missing)} missing, " +
                $"{report.Count(RecoverStatus.Busy)} busy, {report.Count(RecoverStatus.VerifyFailed)} failed verification.");
            context.Render(table);
            return report.AllOk ? ExitCodes.Ok : ExitCodes.Failed;
        });
        return command;
    }
}
