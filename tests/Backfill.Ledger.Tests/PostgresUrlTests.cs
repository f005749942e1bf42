using Backfill.Ledger.Postgres;
using Backfill.Ledger.Sqlite;

namespace Backfill.Ledger.Tests;

public sealed class PostgresUrlTests
{
    [Fact]
    public void A_url_becomes_a_connection_string_and_a_masked_form()
    {
        var url = PostgresUrl.Parse("postgres://alice:s3cr%40t@db.example:6543/ledger?schema=team_a&sslmode=require");
        Assert.Equal("postgres://alice:***@db.example:6543/ledger?schema=team_a&sslmode=require", url.Masked);
        Assert.Equal("team_a", url.Schema);
        Assert.Contains("Password=s3cr@t", url.ConnectionString, StringComparison.Ordinal);
        Assert.Contains("Port=6543", url.ConnectionString, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr", url.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgres://u:pw@host/")]
    [InlineData("postgres://u:pw@host/db?schema=Robert');DROP")]
    [InlineData("postgres://u:pw@host/db?sslmode=sometimes")]
    [InlineData("postgres://u:pw@host/db?password=x")]
    public void A_bad_url_is_refused_without_echoing_the_password(string text)
    {
        var e = Assert.Throws<FormatException>(() => PostgresUrl.Parse(text));
        Assert.DoesNotContain("pw", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Passwords_in_free_text_are_masked()
    {
        Assert.Equal("cannot reach postgresql://bob:***@h:5432/x (timeout)",
            PostgresUrl.MaskPasswords("cannot reach postgresql://bob:hunter2@h:5432/x (timeout)"));
    }

    [Fact]
    public async Task The_factory_chooses_the_backend_by_the_location()
    {
        await using var pg = LedgerFactory.Create("postgresql://u:pw@127.0.0.1:1/db");
        Assert.IsType<PostgresLedger>(pg);
        Assert.DoesNotContain("pw", pg.Description, StringComparison.Ordinal);
        await using var sqlite = LedgerFactory.Create(Path.Combine(Path.GetTempPath(), "never-created.db"));
        Assert.IsType<SqliteLedger>(sqlite);
    }
}
