using System.Text.RegularExpressions;
using Npgsql;

namespace Backfill.Ledger.Postgres;

/// <summary>
/// PostgreSQL backs up and restores its own databases: the <c>pg_dump</c>, <c>pg_restore</c> and <c>psql</c> command
/// lines for a ledger URL, with its host, port, database, user and schema but never its password (the tools ask for
/// it, or read <c>PGPASSWORD</c> or <c>~/.pgpass</c>).
/// </summary>
public static partial class PostgresTools
{
    /// <summary>A custom-format dump of the ledger's schema into <paramref name="file"/>.</summary>
    public static string DumpCommand(PostgresUrl url, string file)
    {
        ArgumentNullException.ThrowIfNull(url);
        return $"pg_dump {Connection(url)} --schema={Quote(url.Schema)} --format=custom --file={Quote(file)}";
    }

    /// <summary>Replaces the ledger's schema with a custom-format dump (<see cref="DumpCommand"/>), in one transaction.</summary>
    public static string RestoreCommand(PostgresUrl url, string file)
    {
        ArgumentNullException.ThrowIfNull(url);
        return $"pg_restore {Connection(url)} --clean --if-exists --single-transaction {Quote(file)}";
    }

    /// <summary>Runs a plain SQL dump (<c>pg_dump --format=plain</c>) in one transaction.</summary>
    public static string PlainRestoreCommand(PostgresUrl url, string file)
    {
        ArgumentNullException.ThrowIfNull(url);
        return $"psql {Connection(url)} --single-transaction --set=ON_ERROR_STOP=1 --file={Quote(file)}";
    }

    private static string Connection(PostgresUrl url)
    {
        var builder = new NpgsqlConnectionStringBuilder(url.ConnectionString);
        var parts = new List<string> { $"--host={Quote(builder.Host ?? "localhost")}", $"--port={builder.Port}" };
        if (!string.IsNullOrEmpty(builder.Username))
        {
            parts.Add($"--username={Quote(builder.Username)}");
        }

        parts.Add($"--dbname={Quote(builder.Database ?? string.Empty)}");
        return string.Join(' ', parts);
    }

    /// <summary>A word the shell passes through unchanged; anything else in single quotes.</summary>
    private static string Quote(string value) =>
        PlainWord().IsMatch(value) ? value : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    [GeneratedRegex(@"^[A-Za-z0-9_./:@%+=,-]+$")]
    private static partial Regex PlainWord();
}
