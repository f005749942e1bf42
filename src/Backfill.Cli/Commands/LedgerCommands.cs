using System.CommandLine;
using System.Globalization;
using System.Text.RegularExpressions;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;
using Backfill.Core.Time;
using Backfill.Engine.Configuration;
using Backfill.Engine.LedgerFiles;
using Backfill.Ledger;
using Backfill.Ledger.Postgres;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>ledger rebuild|backup|restore|prune</c>: the ledger itself. Backup and restore copy a SQLite ledger file (a
/// PostgreSQL ledger is backed up with PostgreSQL's own tools, named with the right options); prune removes old history
/// from either database.
/// </summary>
internal static partial class LedgerCommands
{
    /// <summary>One builder per subcommand: a new subcommand is one more entry.</summary>
    private static readonly Func<CliEnvironment, Command>[] Subcommands =
    [
        LedgerRebuildCommand.Build,
        BuildBackup,
        BuildRestore,
        BuildPrune,
    ];

    public static Command Build(CliEnvironment environment)
    {
        var ledger = new Command("ledger", "The ledger itself: rebuild it from the outputs, back it up, restore a backup, prune old history.");
        foreach (var build in Subcommands)
        {
            ledger.Subcommands.Add(build(environment));
        }

        return ledger;
    }

    private static Command BuildBackup(CliEnvironment environment)
    {
        var to = new Option<string?>("--to")
        {
            Description = $"The backup file (never overwritten). Default: '{LedgerBackup.FolderName}' beside the ledger, as NAME-YYYYMMDDTHHMMSSZ.db, keeping the newest ledger.backupKeep there.",
            HelpName = "FILE",
        };
        var command = new Command("backup",
            "A consistent copy of the SQLite ledger, also while workers run (SQLite's online backup), written 0600 and checked with integrity_check. " +
            "A PostgreSQL ledger is refused with the pg_dump command to use.")
        {
            to,
        };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var path = SqliteLedgerPath(context, url => $"'ledger backup' copies a SQLite ledger file; {url.Masked} is a PostgreSQL ledger. Back it up with PostgreSQL's own tool:" +
                Environment.NewLine + "  " + PostgresTools.DumpCommand(url, $"backfill-{Stamp(environment)}.dump") + Environment.NewLine +
                "pg_dump asks for the password (or reads PGPASSWORD or ~/.pgpass); restore it with 'backfill ledger restore' for the command.");
            if (!File.Exists(path))
            {
                throw new EnvironmentProblemException($"No ledger at {path}: nothing to back up. Check --db (or BACKFILL_DATABASE_PATH).");
            }

            var destination = parse.GetValue(to);
            var keep = destination is null ? await BackupKeepAsync(context, path, ct) : 0;
            LedgerBackupResult result;
            try
            {
                result = await new LedgerBackup(environment.Time).BackupAsync(path, destination, keep, ct);
            }
            catch (LedgerDamagedException e)
            {
                throw Damaged(path, e);
            }

            var table = new ResultTable($"Ledger backup of {path}", "path", "bytes", "schema_version", "integrity", "removed");
            table.Add(result.Path, result.Bytes, result.SchemaVersion, result.Integrity, string.Join(' ', result.Removed));
            if (destination is null)
            {
                table.Notes.Add($"Keeping the newest {keep} backup(s) of this ledger in {Path.GetDirectoryName(result.Path)} (ledger.backupKeep); " +
                    (result.Removed.Count == 0 ? "none removed." : $"removed {result.Removed.Count} older: {string.Join(", ", result.Removed.Select(Path.GetFileName))}."));
            }

            table.Notes.Add($"Restore it with: backfill ledger restore {result.Path} --yes");
            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildRestore(CliEnvironment environment)
    {
        var file = new Argument<string>("file") { Description = "A backup made by 'backfill ledger backup' (or any SQLite ledger file)." };
        var yes = new Option<bool>("--yes") { Description = "Replace the existing ledger (it is kept as NAME.replaced-YYYYMMDDTHHMMSSZ)." };
        var command = new Command("restore",
            "Put a backup in the SQLite ledger's place: checks it (SQLite, integrity_check, a schema this build knows), refuses a ledger another process uses, " +
            "keeps the replaced ledger and renames the checked copy into place. A PostgreSQL ledger is refused with the pg_restore command to use.")
        {
            file, yes,
        };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var backup = parse.GetValue(file)!;
            var path = SqliteLedgerPath(context, url => $"'ledger restore' replaces a SQLite ledger file; {url.Masked} is a PostgreSQL ledger. Restore a pg_dump with PostgreSQL's own tools:" +
                Environment.NewLine + "  " + PostgresTools.RestoreCommand(url, backup) + "      (a custom-format dump, as 'backfill ledger backup' suggests)" +
                Environment.NewLine + "  " + PostgresTools.PlainRestoreCommand(url, backup) + "      (a plain SQL dump)" + Environment.NewLine +
                "Stop every worker first; the tools ask for the password (or read PGPASSWORD or ~/.pgpass).");
            PreparedRestore prepared;
            try
            {
                prepared = await new LedgerRestore(environment.Time).PrepareAsync(backup, path, ct);
            }
            catch (LedgerSchemaTooNewException e)
            {
                throw new EnvironmentProblemException($"{Path.GetFullPath(backup)} has ledger schema version {e.Version}; this backfill knows versions up to {e.LatestKnownVersion}. " +
                    "Upgrade backfill to restore it; nothing was changed.", e);
            }

            await using (prepared)
            {
                if (prepared.Existing is { } existing && !parse.GetValue(yes))
                {
                    throw new InvalidInputException(
                        $"Restoring {prepared.Source} would replace the ledger {existing.FullName} ({existing.Length:N0} bytes, last changed " +
                        $"{existing.LastWriteTimeUtc.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)}Z); it would be kept as {existing.Name}.replaced-{Stamp(environment)}. " +
                        "Add --yes to replace it; nothing was changed.");
                }

                LedgerRestoreResult result;
                try
                {
                    result = await prepared.ReplaceAsync(ct);
                }
                catch (LedgerInUseException e)
                {
                    throw new EnvironmentProblemException(e.Message, e);
                }

                var table = new ResultTable($"Ledger restore of {result.Ledger}", "ledger", "restored_from", "bytes", "schema_version", "integrity", "replaced_as");
                table.Add(result.Ledger, result.RestoredFrom, result.Bytes, result.SchemaVersion, result.Integrity, result.ReplacedAs);
                if (result.ReplacedAs is not null)
                {
                    table.Notes.Add($"The replaced ledger is kept as {result.ReplacedAs}" + (result.ReplacedWasDamaged ? " (it was corrupted)." : "."));
                }

                foreach (var moved in result.Kept.Where(k => k != result.ReplacedAs))
                {
                    table.Notes.Add($"Moved aside, so the restored ledger does not read it as its own: {moved}");
                }

                if (result.SchemaVersion < LedgerSchema.LatestVersion)
                {
                    table.Notes.Add($"The backup has schema version {result.SchemaVersion}; the next command migrates it to {LedgerSchema.LatestVersion}.");
                }

                context.Render(table);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildPrune(CliEnvironment environment)
    {
        var olderThan = new Option<string>("--older-than")
        {
            Description = "Remove history older than this age: days or hours, e.g. 180d or 12h.",
            HelpName = "AGE",
            Required = true,
        };
        var dryRun = new Option<bool>("--dry-run") { Description = "Count what would be removed; remove nothing." };
        var command = new Command("prune",
            "Remove old history from the ledger (SQLite or PostgreSQL): attempts that ended, errors and metrics recorded before the age. " +
            "Units (processing_log), sub-units and configuration are never removed.")
        {
            olderThan, dryRun,
        };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var age = ParseAge(parse.GetValue(olderThan) ?? string.Empty);
            var cutoff = environment.Time.GetUtcNow() - age;
            await using var ledger = await context.OpenExistingLedgerAsync(ct);
            var pruned = await ledger.PruneHistoryAsync(cutoff, parse.GetValue(dryRun), ct);
            var cutoffText = cutoff.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
            var table = new ResultTable($"Ledger prune{(parse.GetValue(dryRun) ? " (dry run)" : "")} of {ledger.Description}: history before {cutoffText}",
                "table", "column", "before", parse.GetValue(dryRun) ? "would_remove" : "removed");
            foreach (var rows in pruned)
            {
                table.Add(rows.Table, rows.TimeColumn, cutoffText, rows.Rows);
            }

            table.Notes.Add(parse.GetValue(dryRun)
                ? $"Dry run: {pruned.Sum(p => p.Rows):N0} row(s) would be removed; nothing was."
                : $"{pruned.Sum(p => p.Rows):N0} row(s) removed. Units, sub-units and configuration are kept.");
            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>A positive age in days or hours (<c>180d</c>, <c>12h</c>), at most 100 years.</summary>
    internal static TimeSpan ParseAge(string text)
    {
        var match = AgePattern().Match(text);
        if (match.Success && long.TryParse(match.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var count) && count > 0)
        {
            var perDay = char.ToLowerInvariant(match.Groups[2].Value[0]) == 'd' ? 1 : 24;
            if (count <= 36_525L * perDay)
            {
                return perDay == 1 ? TimeSpan.FromDays(count) : TimeSpan.FromHours(count);
            }
        }

        throw new InvalidInputException($"--older-than '{DateInput.Printable(text)}' is not an age: give a positive number of days or hours (at most 100 years), e.g. 180d or 12h.");
    }

    /// <summary>The SQLite ledger's full path; a PostgreSQL ledger is refused (exit 2) with <paramref name="refusal"/>.</summary>
    private static string SqliteLedgerPath(CommandContext context, Func<PostgresUrl, string> refusal)
    {
        var (location, shared) = SharedLedger.Choose(context);
        if (shared)
        {
            PostgresUrl url;
            try
            {
                url = PostgresUrl.Parse(location);
            }
            catch (FormatException e)
            {
                throw new InvalidInputException($"The PostgreSQL ledger URL {e.Message}");
            }

            throw new InvalidInputException(refusal(url));
        }

        return Path.GetFullPath(location);
    }

    /// <summary>ledger.backupKeep from --set, the environment or the ledger itself (read, never migrated or written).</summary>
    private static async Task<int> BackupKeepAsync(CommandContext context, string path, CancellationToken cancellationToken)
    {
        await using var ledger = LedgerFactory.Create(path, context.Environment.Time);
        IReadOnlyList<ResolvedSetting> all;
        try
        {
            all = await context.Resolver.ResolveAllAsync(ledger, cancellationToken);
        }
        catch (Exception e) when (Ledger.Sqlite.SqliteLedgerFile.IsDamage(e))
        {
            throw Damaged(path, new LedgerDamagedException(path, e.Message, e));
        }
        catch (Microsoft.Data.Sqlite.SqliteException e)
        {
            throw new EnvironmentProblemException($"Cannot read the settings of the ledger {path}: {e.Message.TrimEnd('.')}. Is --db a backfill ledger?", e);
        }

        var keep = all.Single(s => s.Key == Settings.LedgerBackupKeep);
        return keep.Problem is null
            ? int.Parse(keep.Value!, CultureInfo.InvariantCulture)
            : throw new InvalidInputException($"{keep.Problem} (from {SettingsResolver.Describe(keep)})");
    }

    private static EnvironmentProblemException Damaged(string path, LedgerDamagedException e) => new(SharedLedger.DamagedMessage(path, e.Detail), e);

    private static string Stamp(CliEnvironment environment) =>
        environment.Time.GetUtcNow().UtcDateTime.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);

    [GeneratedRegex(@"^\s*([0-9]{1,9})\s*([dDhH])\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex AgePattern();
}
