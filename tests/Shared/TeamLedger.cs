using System.Data.Common;
using System.Globalization;
using Backfill.Ledger.Postgres;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Backfill.TestSupport;

/// <summary>One attempt as <c>attempt_log</c> holds it, read directly rather than through the code under test.</summary>
internal sealed record TeamAttempt(DateOnly Date, int Number, string Owner, string? Outcome);

/// <summary>
/// A ledger several workers share: a PostgreSQL schema of its own on the server of <c>BACKFILL_TEST_PG_URL</c> when one
/// is reachable, one SQLite file otherwise (<see cref="IsPostgres"/> and <see cref="Describe"/> say which). Disposing
/// drops the schema.
/// </summary>
internal sealed class TeamLedger : IAsyncDisposable
{
    private readonly string? _server;
    private readonly string? _schema;

    private TeamLedger(string location, string? server, string? schema, string note)
    {
        Location = location;
        _server = server;
        _schema = schema;
        Describe = note;
    }

    /// <summary>What <c>--db</c> or <c>database.url</c> takes.</summary>
    public string Location { get; }

    public bool IsPostgres => _schema is not null;

    /// <summary>For the test output: which kind of ledger the team shares, and why.</summary>
    public string Describe { get; }

    public static async Task<TeamLedger> CreateAsync(string folder, CancellationToken cancellationToken)
    {
        var url = Environment.GetEnvironmentVariable("BACKFILL_TEST_PG_URL");
        var sqlite = Path.Combine(folder, "backfill.db");
        if (string.IsNullOrWhiteSpace(url))
        {
            return new TeamLedger(sqlite, null, null, "team ledger: SQLite (BACKFILL_TEST_PG_URL is not set)");
        }

        try
        {
            var server = PostgresUrl.Parse(url);
            await using (var probe = new NpgsqlConnection(server.ConnectionString))
            {
                await probe.OpenAsync(cancellationToken);
            }

            var schema = "team_" + Guid.NewGuid().ToString("N")[..12];
            var location = url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "schema=" + schema;
            return new TeamLedger(location, server.ConnectionString, schema, "team ledger: PostgreSQL");
        }
        catch (Exception e) when (e is NpgsqlException or FormatException or System.Net.Sockets.SocketException)
        {
            return new TeamLedger(sqlite, null, null,
                $"team ledger: SQLite (PostgreSQL not reachable: {PostgresUrl.MaskPasswords(e.Message)})");
        }
    }

    /// <summary>Every attempt of <paramref name="dataset"/>, oldest first.</summary>
    public async Task<List<TeamAttempt>> ReadAttemptsAsync(string dataset, CancellationToken cancellationToken)
    {
        await using DbConnection connection = IsPostgres
            ? new NpgsqlConnection(PostgresUrl.Parse(Location).ConnectionString)
            : new SqliteConnection($"Data Source={Location};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(cancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT CAST(trade_date AS TEXT), attempt, owner, outcome FROM attempt_log WHERE dataset = @dataset ORDER BY id;";
        var parameter = command.CreateParameter();
        parameter.ParameterName = "dataset";
        parameter.Value = dataset;
        command.Parameters.Add(parameter);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var list = new List<TeamAttempt>();
        while (await reader.ReadAsync(cancellationToken))
        {
            list.Add(new TeamAttempt(DateOnly.Parse(reader.GetString(0), CultureInfo.InvariantCulture),
                reader.GetInt32(1), reader.GetString(2), reader.IsDBNull(3) ? null : reader.GetString(3)));
        }

        return list;
    }

    public async ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (_schema is null)
        {
            return;
        }

        await using var connection = new NpgsqlConnection(_server);
        await connection.OpenAsync(CancellationToken.None);
        await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{_schema}\" CASCADE;", connection);
        await drop.ExecuteNonQueryAsync(CancellationToken.None);
    }
}
