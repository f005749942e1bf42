using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Encryption;
using Backfill.Engine.Gaps;
using Backfill.Engine.Datasets.Ohlcv;
using Backfill.Engine.Processing;
using Backfill.Engine.Verification;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;
using Backfill.Simulators.AlphaVantage;
using Backfill.Sources.AlphaVantage;

namespace Backfill.Engine.Tests.Ohlcv;

/// <summary>The ohlcv processor against the Alpha Vantage simulator and a real SQLite ledger: incremental fetches, quota, tampering.</summary>
public sealed class OhlcvUnitProcessorTests : IAsyncLifetime
{
    private static readonly DateOnly[] Week = [new(2025, 6, 23), new(2025, 6, 24), new(2025, 6, 25), new(2025, 6, 26), new(2025, 6, 27)];
    private readonly string _folder = Directory.CreateTempSubdirectory("backfill-ohlcv-engine-").FullName;
    private AlphaVantageSimulator _simulator = null!;
    private SqliteLedger _ledger = null!;
    private KeyStore _keys = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ProcessingOptions Options => new()
    {
        Dataset = "ohlcv",
        OutputDirectory = Path.Combine(_folder, "out"),
        TempDirectory = Path.Combine(_folder, "temp"),
        Retry = RetryPolicyTable.Default.WithDelayScale(0.001),
    };

    public async ValueTask InitializeAsync()
    {
        _simulator = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions { DailyLimit = 5 }, 0, Ct);
        _ledger = new SqliteLedger(Path.Combine(_folder, "backfill.db"));
        await _ledger.MigrateAsync(Ct);
        _keys = KeyStore.Init(Path.Combine(_folder, "keys", "k.json"), DateTimeOffset.UnixEpoch);
    }

    public async ValueTask DisposeAsync()
    {
        await _simulator.DisposeAsync();
        await _ledger.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private (UnitLifecycle Processor, AlphaVantageClient Client) Create(int budget = 25, params string[] symbols)
    {
        var client = new AlphaVantageClient(new AlphaVantageClientOptions
        {
            BaseAddress = _simulator.BaseAddress,
            ApiKey = new AlphaVantageApiKey("av-engine-test-key"),
            MinInterval = TimeSpan.Zero,
            RequestBudget = budget,
            Retry = RetryPolicyTable.Default.WithDelayScale(0.001),
        });
        var list = (symbols.Length == 0 ? ["AAPL", "MSFT"] : symbols).Select(TickerSymbol.Parse).ToList();
        return (UnitLifecycle.For(_ledger, new OhlcvDayProducer(client, list, adjusted: false, _keys, NyseCalendar.Instance), Options), client);
    }

    private static async Task<IReadOnlyList<UnitOutcome>> RunAsync(UnitLifecycle processor, IEnumerable<DateOnly> dates)
    {
        var outcomes = new List<UnitOutcome>();
        foreach (var date in dates)
        {
            outcomes.Add(await processor.ProcessAsync(date, new UnitProgress(date), CancellationToken.None, Ct));
        }

        return outcomes;
    }

    [Fact]
    public async Task A_second_run_fetches_nothing_for_done_dates_and_each_symbol_once_for_the_missing_ones()
    {
        var (first, firstClient) = Create();
        using (firstClient)
        {
            var outcomes = await RunAsync(first, Week[..2]);
            Assert.All(outcomes, o => Assert.Equal(UnitOutcomeKind.Success, o.Kind));
            Assert.Equal(2, firstClient.RequestsSent);
        }

        var (second, secondClient) = Create();
        using (secondClient)
        {
            var again = await RunAsync(second, Week[..2]);
            Assert.All(again, o => Assert.Equal(UnitOutcomeKind.Skipped, o.Kind));
            Assert.Equal(0, secondClient.RequestsSent);

            var rest = await RunAsync(second, Week[2..]);
            Assert.All(rest, o => Assert.Equal(UnitOutcomeKind.Success, o.Kind));
            Assert.Equal(2, secondClient.RequestsSent);
        }

        var units = await _ledger.ListUnitsAsync("ohlcv", Week[0], Week[^1], UnitStatus.Success, Ct);
        Assert.Equal(Week, units.Select(u => u.TradeDate));
    }

    [Fact]
    public async Task A_spent_budget_stops_asking_and_leaves_the_dates_resumable_by_the_next_run()
    {
        var (processor, client) = Create(budget: 2, "AAPL", "MSFT", "IBM");
        using (client)
        {
            var outcomes = await RunAsync(processor, Week);
            Assert.Equal(UnitOutcomeKind.Failed, outcomes[0].Kind);
            Assert.Contains("budget", outcomes[0].Message, StringComparison.Ordinal);
            Assert.All(outcomes.Skip(1), o => Assert.Equal(UnitOutcomeKind.Skipped, o.Kind));
            Assert.Equal(2, client.RequestsSent);
        }

        var failed = await _ledger.GetUnitAsync("ohlcv", Week[0], Ct);
        Assert.Equal(nameof(ErrorKind.QuotaExhausted), failed!.LastErrorType);
        Assert.Null(await _ledger.GetUnitAsync("ohlcv", Week[1], Ct)); // never claimed
        Assert.Empty(Directory.Exists(Options.OutputDirectory) ? Directory.GetFiles(Options.OutputDirectory, "*", SearchOption.AllDirectories) : []);
        var gaps = GapAnalyzer.Analyze("ohlcv", NyseCalendar.Instance, Week[0], Week[^1],
            await _ledger.ListUnitsAsync("ohlcv", null, null, null, Ct), 5, DateTimeOffset.UtcNow);
        Assert.Equal(GapCategory.Failed, gaps.Gaps.Single(g => g.Date == Week[0]).Category);

        var (next, nextClient) = Create(budget: 25, "AAPL", "MSFT", "IBM");
        using (nextClient)
        {
            var resumed = await RunAsync(next, Week);
            Assert.All(resumed, o => Assert.Equal(UnitOutcomeKind.Success, o.Kind));
            Assert.Equal(3, nextClient.RequestsSent);
        }
    }

    [Fact]
    public async Task The_vendors_daily_quota_body_stops_the_run_the_same_way()
    {
        // The simulator allows 5 requests a day for the key: 5 symbols are fetched, the 6th gets the quota body.
        var (processor, client) = Create(25, "AAPL", "MSFT", "IBM", "TSLA", "KO", "SPY");
        using (client)
        {
            var outcomes = await RunAsync(processor, Week);
            Assert.Equal(UnitOutcomeKind.Failed, outcomes[0].Kind);
            Assert.All(outcomes.Skip(1), o => Assert.Equal(UnitOutcomeKind.Skipped, o.Kind));
            Assert.Equal(6, client.RequestsSent);
            Assert.DoesNotContain("av-engine-test-key", outcomes[0].Message, StringComparison.Ordinal);
        }

        Assert.Equal(nameof(ErrorKind.QuotaExhausted), (await _ledger.GetUnitAsync("ohlcv", Week[0], Ct))!.LastErrorType);
    }

    [Fact]
    public async Task Verify_catches_a_tampered_file_and_a_key_the_store_lacks()
    {
        var (processor, client) = Create();
        using (client)
        {
            Assert.All(await RunAsync(processor, Week[..3]), o => Assert.Equal(UnitOutcomeKind.Success, o.Kind));
        }

        var verifier = new OutputVerifier(_ledger, OhlcvDataset.CheckerFor(_keys));
        Assert.True((await verifier.VerifyAsync("ohlcv", Options.OutputDirectory, null, null, false, Ct)).AllOk);

        var path = EnginePaths.OutputFile(Options.OutputDirectory, "ohlcv", Week[1]);
        var bytes = await File.ReadAllBytesAsync(path, Ct);
        bytes[bytes.Length / 2] ^= 0x08;
        await File.WriteAllBytesAsync(path, bytes, Ct);
        var report = await verifier.VerifyAsync("ohlcv", Options.OutputDirectory, null, null, false, Ct);
        Assert.Equal(OutputFileStatus.Corrupted, report.Findings.Single(f => f.Date == Week[1]).Status);
        Assert.Equal(2, report.Count(OutputFileStatus.Ok));

        var other = KeyStore.Init(Path.Combine(_folder, "keys", "other.json"), DateTimeOffset.UnixEpoch);
        var wrong = await new OutputVerifier(_ledger, OhlcvDataset.CheckerFor(other)).VerifyAsync("ohlcv", Options.OutputDirectory, null, null, false, Ct);
        Assert.All(wrong.Findings, f => Assert.Equal(OutputFileStatus.Corrupted, f.Status));
        Assert.Contains(_keys.ActiveKey.Id, wrong.Findings.Single(f => f.Date == Week[0]).Message, StringComparison.Ordinal);
    }
}
