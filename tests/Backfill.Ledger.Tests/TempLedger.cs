using System.Data.Common;
using Backfill.Ledger.Postgres;
using Backfill.Ledger.Sqlite;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Backfill.Ledger.Tests;

/// <summary>
/// A fresh migrated ledger for one test, a way to open a second handle on the same database, a way to change the
/// database behind the ledger's back (as another build would), and cleanup.
/// </summary>
public sealed class LedgerHarness : IAsyncDisposable
{
    private readonly Func<ILedger> _openSecond;
    private readonly Func<DbConnection> _connect;
    private readonly Func<ValueTask> _cleanup;

    internal LedgerHarness(ILedger ledger, ManualClock clock, Func<ILedger> openSecond, Func<DbConnection> connect, Func<ValueTask> cleanup)
    {
        Ledger = ledger;
        Clock = clock;
        _openSecond = openSecond;
        _connect = connect;
        _cleanup = cleanup;
    }

    public ILedger Ledger { get; }

    internal ManualClock Clock { get; }

    /// <summary>Another ledger object on the same database (as a second process would open it).</summary>
    public ILedger OpenSecond() => _openSecond();

    /// <summary>Runs <paramref name="sql"/> on the database directly; returns the first column of its first row as a number (0 if none).</summary>
    public async Task<long> SqlAsync(string sql)
    {
        await using var connection = _connect();
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        var value = await command.ExecuteScalarAsync(TestContext.Current.CancellationToken);
        return value is null or DBNull ? 0 : Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public async ValueTask DisposeAsync()
    {
        await Ledger.DisposeAsync();
        await _cleanup();
    }

    internal static ManualClock NewClock() => new(new DateTimeOffset(2024, 3, 1, 12, 0, 0, TimeSpan.Zero));
}

/// <summary>A real SQLite ledger file in a fresh temporary folder, removed afterwards.</summary>
internal static class TempLedger
{
    public static async Task<(LedgerHarness Harness, string Path)> CreateAsync()
    {
        var folder = Directory.CreateTempSubdirectory("backfill-ledger-").FullName;
        var clock = LedgerHarness.NewClock();
        var path = Path.Combine(folder, "sub", "backfill.db");
        var ledger = new SqliteLedger(path, clock);
        await ledger.MigrateAsync(TestContext.Current.CancellationToken);
        var harness = new LedgerHarness(ledger, clock, () => new SqliteLedger(path, clock), () => new SqliteConnection($"Data Source={path};Pooling=False"), () =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp folder left behind is harmless.
            }

            return ValueTask.CompletedTask;
        });
        return (harness, ledger.FullPath);
    }
}

/// <summary>
/// A PostgreSQL ledger in a fresh schema of the server named by <c>BACKFILL_TEST_PG_URL</c> (set by
/// <c>.ci/postgres.sh</c>); the schema is dropped afterwards. Without a reachable server the test is skipped,
/// with the reason in the test output.
/// </summary>
public static class TempPostgres
{
    public const string Variable = "BACKFILL_TEST_PG_URL";

    private static readonly Lazy<Task<string?>> Unavailable = new(ProbeAsync);

    /// <summary>The server URL, or skips the calling test with the reason none is usable.</summary>
    public static async Task<string> RequireAsync()
    {
        if (await Unavailable.Value is { } reason)
        {
            Assert.Skip($"PostgreSQL not reachable: set {Variable} (postgres://user:password@127.0.0.1:5432/db) or run .ci/run, which starts one. {reason}");
        }

        return Environment.GetEnvironmentVariable(Variable)!;
    }

    /// <summary>The URL with a fresh schema for one test; the schema is dropped by the returned cleanup.</summary>
    public static async Task<(string Url, Func<ValueTask> Drop)> NewSchemaAsync()
    {
        var url = await RequireAsync();
        var schema = "t_" + Guid.NewGuid().ToString("N")[..16];
        var withSchema = url + (url.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "schema=" + schema;
        return (withSchema, async () =>
        {
            await using var connection = new NpgsqlConnection(PostgresUrl.Parse(url).ConnectionString);
            await connection.OpenAsync(CancellationToken.None);
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS \"{schema}\" CASCADE;", connection);
            await drop.ExecuteNonQueryAsync(CancellationToken.None);
        });
    }

    internal static async Task<LedgerHarness> CreateAsync()
    {
        var (url, drop) = await NewSchemaAsync();
        var clock = LedgerHarness.NewClock();
        var parsed = PostgresUrl.Parse(url);
        var ledger = new PostgresLedger(parsed, clock);
        await ledger.MigrateAsync(TestContext.Current.CancellationToken);
        return new LedgerHarness(ledger, clock, () => new PostgresLedger(parsed, clock), () => new NpgsqlConnection(parsed.ConnectionString), drop);
    }

    private static async Task<string?> ProbeAsync()
    {
        var url = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(url))
        {
            return $"{Variable} is not set.";
        }

        try
        {
            var parsed = PostgresUrl.Parse(url);
            await using var connection = new NpgsqlConnection(parsed.ConnectionString + ";Timeout=5");
            await connection.OpenAsync(CancellationToken.None);
            return null;
        }
        catch (Exception e) when (e is NpgsqlException or FormatException or TimeoutException or System.Net.Sockets.SocketException)
        {
            return PostgresUrl.MaskPasswords($"{e.GetType().Name}: {e.Message}");
        }
    }
}

/// <summary>A clock the test moves by hand (leases, timestamps).</summary>
internal sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
