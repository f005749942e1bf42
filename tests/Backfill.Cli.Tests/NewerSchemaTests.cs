using System.Security.Cryptography;
using Backfill.Ledger;
using Backfill.Ledger.Postgres;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Backfill.Cli.Tests;

/// <summary>A ledger a newer backfill migrated: every command refuses it (exit 3, "upgrade backfill") and writes nothing.</summary>
public sealed class NewerSchemaTests
{
    private const string FromANewerBuild = "INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'from a newer backfill', CURRENT_TIMESTAMP);";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Status_and_config_set_refuse_a_ledger_file_a_newer_backfill_migrated_and_leave_it_untouched()
    {
        using var cli = new CliRunner();
        Assert.Equal(0, (await cli.RunAsync("config", "set", "thetadata.maxConcurrentRequests", "2")).ExitCode);
        await SqliteAsync(cli.Db, FromANewerBuild);
        var before = await File.ReadAllBytesAsync(cli.Db, Ct);

        var status = await cli.RunAsync("status");
        Assert.Equal(3, status.ExitCode);
        Assert.Contains("upgrade backfill", status.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Contains($"has schema version 999; this backfill knows versions up to {LedgerSchema.LatestVersion}", status.Error, StringComparison.Ordinal);
        Assert.Contains(cli.Db, status.Error, StringComparison.Ordinal);

        var set = await cli.RunAsync("config", "set", "thetadata.maxConcurrentRequests", "3");
        Assert.Equal(3, set.ExitCode);
        Assert.Contains("upgrade backfill", set.Error, StringComparison.OrdinalIgnoreCase);
        Assert.Equal("2", await SqliteAsync(cli.Db, "SELECT value FROM configuration WHERE key = 'thetadata.maxConcurrentRequests';"));
        Assert.Equal(1L, await SqliteAsync(cli.Db, "SELECT COUNT(*) FROM configuration_history;"));
        Assert.Equal(SHA256.HashData(before), SHA256.HashData(await File.ReadAllBytesAsync(cli.Db, Ct)));
    }

    [Fact]
    public async Task Status_and_config_set_refuse_a_shared_PostgreSQL_ledger_a_newer_backfill_migrated()
    {
        var server = Environment.GetEnvironmentVariable("BACKFILL_TEST_PG_URL");
        if (string.IsNullOrWhiteSpace(server))
        {
            Assert.Skip("PostgreSQL not reachable: set BACKFILL_TEST_PG_URL (postgres://user:password@127.0.0.1:5432/db) or run .ci/run, which starts one.");
        }

        var schema = "newer_" + Guid.NewGuid().ToString("N")[..12];
        var url = server + (server.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "schema=" + schema;
        using var cli = new CliRunner();
        try
        {
            Assert.Equal(0, (await cli.RunAsync("config", "set", "thetadata.maxConcurrentRequests", "2", "--db", url)).ExitCode);
            await PostgresAsync(url, FromANewerBuild);

            var status = await cli.RunAsync("status", "--db", url);
            Assert.Equal(3, status.ExitCode);
            Assert.Contains("upgrade backfill", status.Error, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("has schema version 999", status.Error, StringComparison.Ordinal);

            var set = await cli.RunAsync("config", "set", "thetadata.maxConcurrentRequests", "3", "--db", url);
            Assert.Equal(3, set.ExitCode);
            Assert.Equal("2", await PostgresAsync(url, "SELECT value FROM configuration WHERE key = 'thetadata.maxConcurrentRequests';"));
            Assert.Equal(1L, await PostgresAsync(url, "SELECT COUNT(*) FROM configuration_history;"));
        }
        finally
        {
            await PostgresAsync(server, $"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE;");
        }
    }

    private static async Task<object?> SqliteAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(Ct);
    }

    private static async Task<object?> PostgresAsync(string url, string sql)
    {
        await using var connection = new NpgsqlConnection(PostgresUrl.Parse(url).ConnectionString);
        await connection.OpenAsync(Ct);
        await using var command = new NpgsqlCommand(sql, connection);
        return await command.ExecuteScalarAsync(Ct);
    }
}
