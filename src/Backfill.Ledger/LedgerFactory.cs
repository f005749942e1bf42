using Backfill.Ledger.Postgres;
using Backfill.Ledger.Sqlite;

namespace Backfill.Ledger;

/// <summary>Chooses the ledger: a <c>postgres://</c> URL opens the shared PostgreSQL ledger, anything else is a SQLite file.</summary>
public static class LedgerFactory
{
    /// <param name="location">A <c>postgres://user:password@host:port/db</c> URL or a SQLite file path.</param>
    /// <exception cref="FormatException">A PostgreSQL URL that cannot be used (the message never holds the password).</exception>
    public static ILedger Create(string location, TimeProvider? time = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        return PostgresUrl.IsPostgres(location)
            ? new PostgresLedger(PostgresUrl.Parse(location), time)
            : new SqliteLedger(location, time);
    }

    /// <summary>The schema version this build's migrations bring <paramref name="ledger"/> to (what "migrations current" means).</summary>
    public static int LatestSchemaVersion(ILedger ledger) => ledger is PostgresLedger
        ? PostgresMigrations.All[^1].Version
        : SqliteMigrations.All[^1].Version;

    /// <summary>Which database holds <paramref name="ledger"/>: <c>sqlite</c> or <c>postgresql</c>.</summary>
    public static string Kind(ILedger ledger) => ledger is PostgresLedger ? "postgresql" : "sqlite";
}
