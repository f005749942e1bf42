using System.Data.Common;

namespace Backfill.Ledger.Sql;

/// <summary>
/// Brings a ledger database to the schema this build knows: applies each missing migration in order and records it in
/// <c>schema_migrations</c>, all inside the caller's transaction, so a crash leaves the schema as it was.
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

    /// <param name="appliedAt">The time recorded with each migration, already in the database's encoding.</param>
    public async Task ApplyAsync(DbConnection connection, DbTransaction transaction, object appliedAt, CancellationToken cancellationToken)
    {
        await Statements.ExecuteAsync(connection, transaction, prepare, cancellationToken);
        var current = await Statements.ScalarLongAsync(connection, transaction, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations;", cancellationToken);
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
