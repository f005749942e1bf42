using System.Net.Sockets;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Ledger;
using Backfill.Ledger.Postgres;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Backfill.Cli;

/// <summary>Which ledger a command uses: <c>database.url</c> (by --db postgres://…, BACKFILL_DATABASE_URL) for a shared one, else the SQLite file.</summary>
internal static class SharedLedger
{
    /// <summary>The ledger's location and whether it is the shared PostgreSQL ledger.</summary>
    public static (string Location, bool Shared) Choose(CommandContext context)
    {
        var url = Resolve(context, Settings.DatabaseUrl);

        // A flag beats the environment: --db FILE wins over BACKFILL_DATABASE_URL.
        var path = context.Resolver.ResolveBootstrap(Settings.DatabasePath);
        if (url.Value is not null && !(path.Source == SettingSource.Flag && url.Source != SettingSource.Flag))
        {
            return (url.Value, true);
        }

        return (Resolve(context, Settings.DatabasePath).Value!, false);
    }

    /// <summary>Opens and migrates the ledger <see cref="Choose"/> names; anything that keeps it from opening is exit 3 with the fix.</summary>
    /// <param name="create">False for commands that only read: they must leave no file or folder behind.</param>
    public static async Task<ILedger> OpenAsync(CommandContext context, bool create, CancellationToken cancellationToken)
    {
        var (location, shared) = Choose(context);
        if (!create && !shared && !File.Exists(location))
        {
            throw new EnvironmentProblemException($"No ledger at {Path.GetFullPath(location)} yet: run a processing command or 'backfill config set' first.");
        }

        var ledger = LedgerFactory.Create(location, context.Environment.Time);
        try
        {
            await ledger.MigrateAsync(cancellationToken);
            return ledger;
        }
        catch (Exception e) when (e is LedgerSchemaTooNewException or NpgsqlException or SocketException or TimeoutException
                                  or SqliteException or IOException or UnauthorizedAccessException)
        {
            await ledger.DisposeAsync();

            // Driver messages often end in a period already; the sentence around them adds its own.
            throw new EnvironmentProblemException(
                e is LedgerSchemaTooNewException ? e.Message
                : !shared && Backfill.Ledger.Sqlite.SqliteLedgerFile.IsDamage(e) ? DamagedMessage(Path.GetFullPath(location), e.Message)
                : shared ? $"Cannot open the ledger {ledger.Description}: {PostgresUrl.MaskPasswords(e.Message).TrimEnd('.')}. Check that the server runs and accepts this user, or choose another with --db."
                : $"Cannot open the ledger {Path.GetFullPath(location)}: {e.Message.TrimEnd('.')}. Check the path and its permissions, or choose another with --db.", e);
        }
    }

    /// <summary>The SQLite ledger's full path for a message, or a description when it cannot be worked out.</summary>
    public static string DescribeFile(System.CommandLine.ParseResult parse, CliEnvironment environment)
    {
        try
        {
            var (location, shared) = Choose(new CommandContext(parse, environment));
            return shared ? "(the SQLite ledger)" : Path.GetFullPath(location);
        }
        catch (Exception e) when (e is InvalidInputException or ArgumentException)
        {
            return "(the SQLite ledger)";
        }
    }

    /// <summary>A corrupted SQLite ledger: what SQLite said, and the two ways back (a backup, or the published outputs).</summary>
    public static string DamagedMessage(string path, string detail) =>
        $"The ledger {path} is corrupted ({detail.TrimEnd('.')}). Nothing can be read from it. Restore the newest backup with " +
        $"'backfill ledger restore FILE --yes' (backups are in {Engine.LedgerFiles.LedgerBackup.DefaultFolder(path)}; the corrupted file is kept beside the ledger), " +
        "or move it and any -wal and -shm file beside it away and recreate the ledger from the published files with 'backfill ledger rebuild'.";

    private static ResolvedSetting Resolve(CommandContext context, string key)
    {
        var setting = context.Resolver.ResolveBootstrap(key);
        return setting.Problem is null ? setting : throw new InvalidInputException($"{setting.Problem} (from {SettingsResolver.Describe(setting)})");
    }
}
