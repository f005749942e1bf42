namespace Backfill.Ledger.Tests;

/// <summary>The ledger contract on a SQLite file, plus what only a file has (WAL mode, permissions).</summary>
public sealed class SqliteLedgerTests : LedgerContractTests
{
    protected override async Task<LedgerHarness> CreateAsync() => (await TempLedger.CreateAsync()).Harness;

    [Fact]
    public async Task Database_file_is_in_wal_mode_and_owner_only()
    {
        var (harness, path) = await TempLedger.CreateAsync();
        await using var t = harness;
        await using (var c = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path}"))
        {
            await c.OpenAsync(Ct);
            await using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA journal_mode;";
            Assert.Equal("wal", (string?)await cmd.ExecuteScalarAsync(Ct));
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }
    }
}
