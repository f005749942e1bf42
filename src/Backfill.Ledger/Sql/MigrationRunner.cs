using System.Data.Common;

namespace Backfill.Ledger.Sql;

/// <summary>
/// Brings a ledger database to the schema this build knows: applies each missing migration in order and records it in
/// <c>schema_migrations</c>, all inside the caller's transaction, so a crash leaves the schema as it was. A ledger a
/// newer build migrated is refused before anything else is read or written.
/// </summary>
/// <param name="prepare">
/// The database's own first statements: whatever serialises two processes migrating at once (SQLite's write
/// transaction already does; PostgreSQL takes an advisory lock) and the <c>schema_migrations</c> table in its types.
/// </param>
/// <param name="migrations">Ascending by version.</param>
internal sealed class MigrationRunner(string prepare, IReadOnlyList<Migration> migrations)
{
    /// <summary>The highest version this build's migrations reach.</summary>
    public int LatestVersion => migrations[^1].Version;

    /// <param name="ledger">Where the ledger lives, for the message of a refusal.</param>
    /// <param name="appliedAt">The time recorded with each migration, already in the database's encoding.</param>
    /// <exception cref="LedgerSchemaTooNewException">The ledger records a version above <see cref="LatestVersion"/>.</exception>
    public async Task ApplyAsync(DbConnection connection, DbTransaction transaction, string ledger, object appliedAt, CancellationToken cancellationToken)
    {
        await Statements.ExecuteAsync(connection, transaction, prepare, cancellationToken);
        var current = await Statements.ScalarLongAsync(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", cancellationToken);
        if (current > LatestVersion)
        {
            // The caller's transaction rolls back when this leaves it, with whatever the preparation touched.
            throw new LedgerSchemaTooNewException(ledger, (int)Math.Min(current, int.MaxValue), LatestVersion);
        }

        foreach (var (version, name, sql) in migrations)
        {
            if (version <= current)
            {
                continue;
            }

            await Statements.ExecuteAsync(connection, transaction, sql, cancellationToken);
            await Statements.ExecuteAsync(connection, transaction, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@v, @n, @t);",
                cancellationToken, ("@v", version), ("@n", name), ("@t", appliedAt));
        }
    }
}
