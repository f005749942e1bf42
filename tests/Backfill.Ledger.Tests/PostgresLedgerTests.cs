using Backfill.Ledger.Model;
using Npgsql;

namespace Backfill.Ledger.Tests;

/// <summary>
/// The ledger contract on PostgreSQL (each test in its own schema), plus what only a server has: row locks.
/// Skipped, with the reason, when no server is reachable through <c>BACKFILL_TEST_PG_URL</c>.
/// </summary>
public sealed class PostgresLedgerTests : LedgerContractTests
{
    protected override Task<LedgerHarness> CreateAsync() => TempPostgres.CreateAsync();

    [Fact]
    public async Task A_unit_row_locked_by_another_transaction_is_skipped_not_waited_for()
    {
        await using var t = await CreateAsync();
        await t.Ledger.TryClaimUnitAsync("spx", Day, "w1", TimeSpan.FromMinutes(1), false, Ct);
        await t.Ledger.FailUnitAsync("spx", Day, "w1", "Unknown", "x", Ct);
        var url = ((Postgres.PostgresLedger)t.Ledger).Url;
        await using var connection = new NpgsqlConnection(url.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var tx = await connection.BeginTransactionAsync(Ct);
        await using (var lockRow = new NpgsqlCommand("SELECT 1 FROM processing_log WHERE dataset = 'spx' FOR UPDATE;", connection, tx))
        {
            await lockRow.ExecuteNonQueryAsync(Ct);
        }

        var watch = System.Diagnostics.Stopwatch.StartNew();
        Assert.Null(await t.Ledger.TryClaimUnitAsync("spx", Day, "w2", TimeSpan.FromMinutes(1), false, Ct));
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"the claim waited {watch.Elapsed}");
        await tx.RollbackAsync(Ct);
        var claim = await t.Ledger.TryClaimUnitAsync("spx", Day, "w2", TimeSpan.FromMinutes(1), false, Ct);
        Assert.NotNull(claim);
        Assert.Equal((2, UnitStatus.Failed), (claim.Attempt, claim.PreviousStatus));
    }

    [Fact]
    public async Task Description_names_the_server_but_never_the_password()
    {
        await using var t = await CreateAsync();
        var url = Environment.GetEnvironmentVariable(TempPostgres.Variable)!;
        var password = new Uri(url).UserInfo.Split(':') is [_, var p] ? Uri.UnescapeDataString(p) : null;
        Assert.StartsWith("PostgreSQL postgres://", t.Ledger.Description, StringComparison.Ordinal);
        if (!string.IsNullOrEmpty(password))
        {
            Assert.DoesNotContain(password, t.Ledger.Description, StringComparison.Ordinal);
        }
    }
}
