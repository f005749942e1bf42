using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets.Fop;
using Backfill.Engine.Processing;
using Backfill.Engine.Verification;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;
using Backfill.Simulators.Databento;
using Backfill.Sources.Databento.Http;

namespace Backfill.Engine.Tests.Fop;

public sealed class FopUnitProcessorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_date_is_published_as_reference_csv_and_verified_parquet()
    {
        var folder = Directory.CreateTempSubdirectory("backfill-fop-").FullName;
        await using var sim = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions(), 0, Ct);
        await using var ledger = new SqliteLedger(Path.Combine(folder, "backfill.db"));
        await ledger.MigrateAsync(Ct);
        using var client = new DatabentoHistoricalClient(new DatabentoClientOptions
        {
            BaseAddress = sim.BaseAddress, ApiKey = new DatabentoApiKey("db-test-key-000000000000000000"), Retry = RetryPolicyTable.Default.WithDelayScale(0.001),
        });
        var options = new ProcessingOptions { Dataset = "fop", OutputDirectory = Path.Combine(folder, "out"), TempDirectory = Path.Combine(folder, "temp") };
        var producer = new FopDayProducer(new FopMarketData(client), new FopStrategy(), options);
        var processor = UnitLifecycle.For(ledger, producer, options);

        var day = new DateOnly(2025, 1, 3);
        var outcome = await processor.ProcessAsync(day, new UnitProgress(day), CancellationToken.None, Ct);

        Assert.Equal(UnitOutcomeKind.Success, outcome.Kind);
        var csv = await File.ReadAllTextAsync(Path.ChangeExtension(outcome.FilePath!, ".csv"), Ct);
        var lines = csv.Split('\n');
        Assert.StartsWith("timestamp,Futures_Price,OHG5 C", lines[0], StringComparison.Ordinal); // Feb contract chosen on Dec 2
        Assert.Contains(",OHH5 C", lines[0], StringComparison.Ordinal);                         // Mar contract chosen on Jan 2
        Assert.StartsWith("1/3/25,", lines[1], StringComparison.Ordinal);
        var unit = await ledger.GetUnitAsync("fop", day, Ct);
        Assert.Equal(UnitStatus.Success, unit!.Status);
        Assert.Equal(2, unit.RowCount);
        var report = await new OutputVerifier(ledger).VerifyAsync("fop", options.OutputDirectory, null, null, false, Ct);
        Assert.True(report.AllOk, string.Join("; ", report.Findings.Select(f => f.Message)));

        var selection = Directory.GetFiles(producer.SelectionCache, "2025-01-02_202503_*.json");
        Assert.Single(selection);
        var requestsBefore = client.Stats.Requests;
        var rows = await producer.BuildRowsAsync(day, Ct); // selections now come from the cache
        Assert.Equal(1 + 0, client.Stats.Requests - requestsBefore); // one statistics request, no fallback needed
        Assert.All(rows, r => Assert.InRange(r.Selection!.Delta, 0.13, 0.17));
        Assert.All(rows, r => Assert.Equal("settlement", r.OptionPriceSource));
    }

    [Fact]
    public void Strategy_file_sits_between_environment_and_stored_values()
    {
        var values = StrategyFile.Parse("strategy:\n  target_delta: 0.25\n  months_ahead: 3\n  delta_tolerance: 0.05\n  roll_day: 1\n");
        Assert.Equal("0.25", values[FopSettings.FopTargetDelta]);
        Assert.Equal("3", values[FopSettings.FopMonthsAhead]);
        Assert.False(values.ContainsKey("roll_day"));
        Assert.Throws<InvalidInputException>(() => StrategyFile.Parse("strategy: [1, 2"));
    }

    [Fact]
    public async Task File_values_lose_to_environment_and_beat_stored()
    {
        var folder = Directory.CreateTempSubdirectory("backfill-fop-cfg-").FullName;
        var file = Path.Combine(folder, "fop.yaml");
        await File.WriteAllTextAsync(file, "strategy:\n  target_delta: 0.25\n  months_ahead: 3\n", Ct);
        await using var ledger = new SqliteLedger(Path.Combine(folder, "backfill.db"));
        await ledger.MigrateAsync(Ct);
        await ledger.SetConfigAsync(SettingsResolver.GlobalScope, FopSettings.FopMonthsAhead, "4", "test", Ct);
        await ledger.SetConfigAsync(SettingsResolver.GlobalScope, FopSettings.FopDeltaTolerance, "0.03", "test", Ct);
        var env = new Dictionary<string, string> { ["BACKFILL_FOP_STRATEGYFILE"] = file, ["BACKFILL_FOP_TARGETDELTA"] = "0.2" };
        var settings = await new SettingsResolver(null, env).LoadAsync(ledger, Ct);
        var strategy = FopStrategy.From(settings);
        Assert.Equal(0.2, strategy.TargetDelta);    // environment beats the file
        Assert.Equal(3, strategy.MonthsAhead);      // the file beats the stored 4
        Assert.Equal(0.03, strategy.DeltaTolerance); // stored beats the default
        Assert.Equal(SettingSource.File, settings.Get(FopSettings.FopMonthsAhead).Source);
    }
}
