using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Encryption;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;

namespace Backfill.Cli.Commands;

/// <summary><c>backup create|verify</c>: encrypted backups of the <c>ohlcv</c> output tree with a manifest of checksums and key ids.</summary>
internal static class BackupCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var backup = new Command("backup", "Backups of the encrypted ohlcv outputs (files stay encrypted; the manifest names key ids, never keys).");
        var to = new Option<string?>("--to")
        {
            Description = "A folder (the backup becomes ohlcv-backup-YYYYMMDDTHHMMSSZ inside it) or a FILE.tar. Default: 'backups' beside processing.outputDirectory.",
            HelpName = "DIR|FILE.tar",
        };
        var create = new Command("create", "Decrypt every ohlcv file in memory to check it, then copy the ciphertext with a manifest, atomically.") { to };
        create.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var backups = RequireBackups(context);
            await using var ledger = await context.OpenLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            var destination = parse.GetValue(to) ?? backups.DefaultBackupFolder(settings);
            var report = await backups.CreateBackupAsync(context.Host(ledger), settings, destination, ct);
            var keyNote = context.Dataset is IEncryptedOutputs encrypted
                ? $" Keep the key file ({settings.Get(encrypted.KeyFileSetting).Value}) backed up separately: the backup cannot be read without it."
                : string.Empty;
            var table = Table($"Backup of {context.Dataset.Name} -> {report.Location}", report);
            table.Notes.Add($"{report.Manifest!.Files.Count} file(s) backed up, {report.Files.Sum(f => f.Status == BackupFileStatus.Ok ? f.Bytes : 0):N0} bytes, key id(s): " +
                (report.Manifest.KeyIds.Count == 0 ? "none" : string.Join(", ", report.Manifest.KeyIds)) +
                $"; {report.Files.Count(f => f.Status != BackupFileStatus.Ok)} left out." + keyNote);
            context.Render(table);
            return report.AllOk ? ExitCodes.Ok : ExitCodes.Failed;
        });

        var location = new Argument<string?>("backup") { Description = "The backup folder or .tar (default: the newest in the default backup folder).", Arity = ArgumentArity.ZeroOrOne };
        var sample = new Option<int?>("--sample") { Description = "Decrypt N files chosen at random (default 10); every file's ciphertext hash is checked.", HelpName = "N" };
        var all = new Option<bool>("--all") { Description = "Decrypt every file." };
        var verify = new Command("verify", "Check a backup: every file's ciphertext SHA-256, and a sample (or all) decrypted in memory against the manifest. Exit 1 on any problem.")
        {
            location, sample, all,
        };
        verify.SetAction(async (parse, ct) =>
        {
            var (context, settings, host) = await KeysCommand.LoadAsync(parse, environment, ct);
            var backups = RequireBackups(context);
            if (parse.GetValue(all) && parse.GetValue(sample) is not null)
            {
                throw new InvalidInputException("Give --sample N or --all, not both.");
            }

            if (parse.GetValue(sample) is < 1)
            {
                throw new InvalidInputException($"--sample {parse.GetValue(sample)}: give 1 or more (or --all).");
            }

            var path = parse.GetValue(location) ?? Newest(backups.DefaultBackupFolder(settings));
            var report = await backups.VerifyBackupAsync(host, settings, path, parse.GetValue(all) ? null : parse.GetValue(sample) ?? 10, ct);
            var manifest = report.Manifest!;
            var table = Table($"Verify backup {report.Location} (made {manifest.Created.UtcDateTime:yyyy-MM-dd HH:mm:ss}Z)", report);
            table.Notes.Add($"{manifest.Files.Count} file(s) in the manifest: {report.Count(BackupFileStatus.Ok)} decrypted ok, {report.Count(BackupFileStatus.HashOk)} hash-ok, " +
                $"{report.Count(BackupFileStatus.Missing)} missing, {report.Count(BackupFileStatus.Corrupted)} corrupted, {report.Count(BackupFileStatus.UnknownKey)} unknown-key; " +
                $"{report.Count(BackupFileStatus.Extra)} extra." + (report.AllOk ? string.Empty : " The backup is not sound: make a new one with 'backfill backup create'."));
            context.Render(table);
            return report.AllOk ? ExitCodes.Ok : ExitCodes.Failed;
        });
        backup.Subcommands.Add(create);
        backup.Subcommands.Add(verify);
        return backup;
    }

    /// <summary>The chosen dataset when it keeps backups (backup and recover are its commands), else a message naming those that do.</summary>
    internal static IBackups RequireBackups(CommandContext context) =>
        context.Dataset as IBackups ?? throw new InvalidInputException(
            $"Backups and recover are for a dataset whose outputs are encrypted; '{context.Dataset.Name}' was chosen. Add " +
            string.Join(" or ", context.Environment.Datasets.All.Where(d => d is IBackups).Select(d => $"--dataset {d.Name}")) + ".");

    private static string Newest(string folder)
    {
        var newest = Directory.Exists(folder)
            ? Directory.GetDirectories(folder, "*-backup-*").Concat(Directory.GetFiles(folder, "*.tar")).Order(StringComparer.Ordinal).LastOrDefault(p => !Path.GetFileName(p).StartsWith('.'))
            : null;
        return newest ?? throw new InvalidInputException($"No backup found in '{folder}'. Name one: backfill --dataset ohlcv backup verify PATH, or make one with 'backup create'.");
    }

    private static ResultTable Table(string title, BackupReport report)
    {
        var table = new ResultTable(title, "date", "status", "key_id", "bytes", "path", "message");
        foreach (var f in report.Files)
        {
            table.Add(f.Date, BackupReport.Name(f.Status), f.KeyId, f.Bytes, f.Path, f.Message);
        }

        return table;
    }
}
