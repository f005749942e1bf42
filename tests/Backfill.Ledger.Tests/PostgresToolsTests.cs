using Backfill.Ledger.Postgres;

namespace Backfill.Ledger.Tests;

/// <summary>The pg_dump / pg_restore / psql command lines printed for a PostgreSQL ledger: the URL's parts, never its password.</summary>
public sealed class PostgresToolsTests
{
    [Fact]
    public void Commands_name_host_port_user_database_and_schema_but_never_the_password()
    {
        var url = PostgresUrl.Parse("postgres://team:s3cret%20pw@db.internal:6543/backfill?schema=ledger&sslmode=require");
        var commands = new[]
        {
            PostgresTools.DumpCommand(url, "ledger.dump"), PostgresTools.RestoreCommand(url, "ledger.dump"), PostgresTools.PlainRestoreCommand(url, "ledger.sql"),
        };

        Assert.Equal("pg_dump --host=db.internal --port=6543 --username=team --dbname=backfill --schema=ledger --format=custom --file=ledger.dump", commands[0]);
        Assert.Equal("pg_restore --host=db.internal --port=6543 --username=team --dbname=backfill --clean --if-exists --single-transaction ledger.dump", commands[1]);
        Assert.Equal("psql --host=db.internal --port=6543 --username=team --dbname=backfill --single-transaction --set=ON_ERROR_STOP=1 --file=ledger.sql", commands[2]);
        Assert.All(commands, c => Assert.DoesNotContain("s3cret", c, StringComparison.Ordinal));
    }

    [Fact]
    public void Values_the_shell_would_split_are_quoted_and_a_missing_user_is_left_out()
    {
        var url = PostgresUrl.Parse("postgres://db.internal/my%20ledger");

        Assert.Equal("pg_dump --host=db.internal --port=5432 --dbname='my ledger' --schema=public --format=custom --file='/backups/it'\\''s.dump'",
            PostgresTools.DumpCommand(url, "/backups/it's.dump"));
    }
}
