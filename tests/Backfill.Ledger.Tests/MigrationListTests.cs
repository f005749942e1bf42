using Backfill.Ledger.Postgres;
using Backfill.Ledger.Sql;
using Backfill.Ledger.Sqlite;

namespace Backfill.Ledger.Tests;

public sealed class MigrationListTests
{
    [Fact]
    public void Both_databases_have_every_version_up_to_the_latest_this_build_reports_with_the_same_names()
    {
        IEnumerable<(int, string)> Versions(IReadOnlyList<Migration> all) => all.Select(m => (m.Version, m.Name));

        var expected = Enumerable.Range(1, LedgerSchema.LatestVersion).ToList();
        Assert.Equal(expected, SqliteMigrations.All.Select(m => m.Version));
        Assert.Equal(Versions(SqliteMigrations.All), Versions(PostgresMigrations.All));
        Assert.Equal(LedgerSchema.LatestVersion, SqliteMigrations.Runner.LatestVersion);
        Assert.Equal(LedgerSchema.LatestVersion, PostgresMigrations.RunnerFor("public").LatestVersion);
    }
}
