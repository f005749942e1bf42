using Backfill.Ledger.Sqlite;

namespace Backfill.Ledger.Tests;

/// <summary>A real SQLite ledger file in a fresh temporary folder, removed afterwards.</summary>
internal sealed class TempLedger : IAsyncDisposable
{
    private TempLedger(string folder, SqliteLedger ledger, ManualClock clock)
    {
        Folder = folder;
        Ledger = ledger;
        Clock = clock;
    }

    public string Folder { get; }

    public SqliteLedger Ledger { get; }

    public ManualClock Clock { get; }

    public string Path => Ledger.FullPath;

    public static async Task<TempLedger> CreateAsync()
    {
        var folder = Directory.CreateTempSubdirectory("backfill-ledger-").FullName;
        var clock = new ManualClock(new DateTimeOffset(2024, 3, 1, 12, 0, 0, TimeSpan.Zero));
        var ledger = new SqliteLedger(System.IO.Path.Combine(folder, "sub", "backfill.db"), clock);
        await ledger.MigrateAsync(TestContext.Current.CancellationToken);
        return new TempLedger(folder, ledger, clock);
    }

    public SqliteLedger OpenSecond() => new(Path, Clock);

    public async ValueTask DisposeAsync()
    {
        await Ledger.DisposeAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp folder left behind is harmless.
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
