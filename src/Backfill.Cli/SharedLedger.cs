using System.Net.Sockets;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Ledger;
using Backfill.Ledger.Postgres;
using Npgsql;

namespace Backfill.Cli;

/// <summary>Opens the shared PostgreSQL ledger when <c>database.url</c> is set (by --db, BACKFILL_DATABASE_URL).</summary>
internal static class SharedLedger
{
    /// <summary>The migrated PostgreSQL ledger, or null when no database URL is set (the SQLite file applies).</summary>
    public static async Task<ILedger?> OpenAsync(CommandContext context, CancellationToken cancellationToken)
    {
        var setting = context.Resolver.ResolveBootstrap(Settings.DatabaseUrl);
        if (setting.Problem is not null)
        {
            throw new InvalidInputException($"{setting.Problem} (from {SettingsResolver.Describe(setting)})");
        }

        // A flag beats the environment: --db FILE wins over BACKFILL_DATABASE_URL.
        var path = context.Resolver.ResolveBootstrap(Settings.DatabasePath);
        if (setting.Value is null || (path.Source == SettingSource.Flag && setting.Source != SettingSource.Flag))
        {
            return null;
        }

        var ledger = LedgerFactory.Create(setting.Value, context.Environment.Time);
        try
        {
            await ledger.MigrateAsync(cancellationToken);
            return ledger;
        }
        catch (LedgerSchemaTooNewException e)
        {
            await ledger.DisposeAsync();
            throw new EnvironmentProblemException(e.Message, e);
        }
        catch (Exception e) when (e is NpgsqlException or SocketException or TimeoutException)
        {
            await ledger.DisposeAsync();
            throw new EnvironmentProblemException(
                $"Cannot open the ledger {ledger.Description}: {PostgresUrl.MaskPasswords(e.Message)}. Check that the server runs and accepts this user, or choose another with --db.", e);
        }
    }
}
