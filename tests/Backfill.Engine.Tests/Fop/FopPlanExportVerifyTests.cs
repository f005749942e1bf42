using Backfill.Storage.Outputs;
using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Engine.Datasets.Fop;
using Backfill.Engine.Processing;
using Backfill.Engine.Verification;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;
using Backfill.Simulators.Databento;
using Backfill.Sources.Databento.Http;

namespace Backfill.Engine.Tests.Fop;

/// <summary>The fop dataset's dry-run plan, client retries in the error log, the combined export and the deep verify.</summary>
public sealed class FopPlanExportVerifyTests : IAsyncLifetime
{
    private const string Key = "db-secret-test-key-1234567890abcdef";
    private readonly string _folder = Directory.CreateTempSubdirectory("backfill-fop-more-").FullName;
    private DatabentoSimulator _simulator = null!;
    private SqliteLedger _ledger = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Out => Path.Combine(_folder, "out");

    private string Temp => Path.Combine(_folder, "temp");

    public async ValueTask InitializeAsync()
    {
        _simulator = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions(), 0, Ct);
        _ledger = new SqliteLedger(Path.Combine(_folder, "backfill.db"));
        await _ledger.MigrateAsync(Ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _ledger.DisposeAsync();
        await _simulator.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    private DatabentoHistoricalClient Client(Uri? address = null) => new(new DatabentoClientOptions
    {
        BaseAddress = address ?? _simulator.BaseAddress, ApiKey = new DatabentoApiKey(Key), Retry = RetryPolicyTable.Default.WithDelayScale(0.001),
    });

    private UnitLifecycle Processor(DatabentoHistoricalClient client)
    {
        var options = new ProcessingOptions { Dataset = "fop", OutputDirectory = Out, TempDirectory = Temp };
        return UnitLifecycle.For(_ledger, new FopDayProducer(new FopMarketData(client), new FopStrategy(), options), options);
    }

    private FopExport Export => new(_ledger);

    private LocalOutputStore Store => new(Out, Temp);

    private async Task<List<UnitOutcome>> ProcessAsync(params DateOnly[] dates)
    {
        using var client = Client();
        var processor = Processor(client);
        var outcomes = new List<UnitOutcome>();
        foreach (var date in dates)
        {
            var outcome = await processor.ProcessAsync(date, new UnitProgress(date), CancellationToken.None, Ct);
            Assert.Equal(UnitOutcomeKind.Success, outcome.Kind);
            outcomes.Add(outcome);
        }

        return outcomes;
    }

    [Fact]
    public async Task Client_retries_are_written_to_the_error_log_with_type_and_attempt()
    {
        await using var faulty = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions
        {
            Faults = new DatabentoFaultOptions { Probability = 0.4, Kinds = [DatabentoFaultKind.Unavailable503, DatabentoFaultKind.RateLimit429], Seed = 3 },
        }, 0, Ct);
        using var client = Client(faulty.BaseAddress);
        var processor = Processor(client);
        foreach (var date in new[] { new DateOnly(2025, 1, 2), new DateOnly(2025, 1, 3) })
        {
            await processor.ProcessAsync(date, new UnitProgress(date), CancellationToken.None, Ct);
        }

        var errors = new List<ErrorRecord>();
        foreach (var date in new[] { new DateOnly(2025, 1, 2), new DateOnly(2025, 1, 3) })
        {
            errors.AddRange(await _ledger.ListErrorsAsync("fop", date, 1000, Ct));
        }

        var retried = errors.Where(e => e.WillRetry).ToList();
        Assert.True(client.Stats.Retries > 0, "the seeded faults should force retries");
        Assert.Equal(client.Stats.Retries, retried.Count);
        Assert.All(retried, e =>
        {
            Assert.Contains(e.ErrorType, new[] { nameof(ErrorKind.ServerError), nameof(ErrorKind.RateLimited) });
            Assert.Contains(e.StatusCode, new int?[] { 503, 429 });
            Assert.Equal("databento", e.SubUnit);
            Assert.InRange(e.Attempt, 0, 5);
            Assert.DoesNotContain(Key, e.Message, StringComparison.Ordinal);
        });
        Assert.Contains(retried, e => e.ErrorType == nameof(ErrorKind.RateLimited));
    }

    [Fact]
    public async Task Plan_asks_get_cost_for_new_selections_and_prices_and_changes_nothing()
    {
        var dates = CmeEnergyCalendar.Instance.SessionsBetween(new DateOnly(2025, 1, 27), new DateOnly(2025, 2, 4));
        var planner = new FopPlanner(new FopStrategy(), FopSelector.CacheDirectoryFor(Temp));
        using var client = Client();

        var plan = await planner.PlanAsync(dates, [], client, Ct);

        Assert.Equal(dates, plan.Dates.Select(d => d.Date));
        Assert.True(plan.SelectionsToCompute >= 3, $"{plan.SelectionsToCompute} selections to compute"); // Dec, Jan and Feb rolls at least
        Assert.Equal(0, plan.SelectionsCached);
        Assert.Equal((3 * plan.SelectionsToCompute) + 2, plan.CostQueries.Count); // 3 per selection + 1 per month (Jan, Feb)
        Assert.NotNull(plan.TotalCostUsd);
        Assert.True(plan.TotalCostUsd > 0m);
        Assert.True(plan.TotalCostUsd >= plan.CostQueries.Sum(q => q.CostUsd)); // unknown option symbol-days are added in proportion
        Assert.All(plan.Dates, d => Assert.InRange(d.Rows, 1, 4));
        Assert.Equal(dates.Count + (3 * plan.SelectionsToCompute), plan.TotalRequests);
        Assert.False(Directory.Exists(Out));
        Assert.Empty(await _ledger.ListUnitsAsync("fop", null, null, null, Ct));

        var offline = await planner.PlanAsync(dates, [], null, Ct);
        Assert.Null(offline.TotalCostUsd);
        Assert.Empty(offline.CostQueries);
        Assert.Equal(plan.TotalRows, offline.TotalRows);

        // Once the dates are processed, their selections are cached: no selection is priced again.
        await ProcessAsync([.. dates]);
        var again = await planner.PlanAsync(dates, await _ledger.ListUnitsAsync("fop", null, null, null, Ct), client, Ct);
        Assert.Equal(0, again.SelectionsToCompute);
        Assert.Equal(2, again.CostQueries.Count);
        Assert.True(again.TotalCostUsd < plan.TotalCostUsd);
        Assert.Equal(again.CostQueries.Sum(q => q.CostUsd), again.TotalCostUsd!.Value, 10); // every symbol known: exact queries only
        Assert.Contains("processed fop date", again.Basis, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plan_cost_fails_with_a_typed_error_when_the_vendor_refuses_the_key()
    {
        await using var strict = await DatabentoSimulator.StartAsync(new DatabentoSimulatorOptions { RequiredApiKey = "db-the-right-key-000000000" }, 0, Ct);
        using var client = Client(strict.BaseAddress);
        var planner = new FopPlanner(new FopStrategy(), FopSelector.CacheDirectoryFor(Temp));
        var error = await Assert.ThrowsAsync<PermissionDeniedException>(() => planner.PlanAsync([new DateOnly(2025, 1, 2)], [], client, Ct));
        Assert.Contains("401", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_stitches_dates_into_the_reference_layout_with_empty_cells_where_an_option_is_not_alive()
    {
        var dates = CmeEnergyCalendar.Instance.SessionsBetween(new DateOnly(2025, 1, 24), new DateOnly(2025, 2, 4));
        var outcomes = await ProcessAsync([.. dates]);
        var perDate = outcomes.Select(o => File.ReadAllLines(Path.ChangeExtension(o.FilePath!, ".csv"))).ToList();

        var result = await Export.BuildAsync("fop", Store, dates[0], dates[^1], Ct);

        var expectedColumns = perDate.SelectMany(lines => lines[0].Split(',').Skip(2)).Distinct().ToList();
        Assert.Equal(expectedColumns, result.Options);
        Assert.True(result.Options.Count > perDate.Max(l => l[0].Split(',').Length - 2), "a roll inside the range adds a column");
        Assert.Empty(result.MissingSessions);
        var lines = result.Csv.TrimEnd('\n').Split('\n');
        Assert.Equal(dates.Count + 1, lines.Length);
        Assert.Equal("timestamp,Futures_Price," + string.Join(",", expectedColumns), lines[0]);
        for (var i = 0; i < dates.Count; i++)
        {
            var own = perDate[i][0].Split(',').Zip(perDate[i][1].Split(',')).ToDictionary(p => p.First, p => p.Second);
            var cells = lines[i + 1].Split(',');
            Assert.Equal(lines[0].Split(',').Length, cells.Length);
            Assert.Equal(FopOutput.ReferenceDate(dates[i]), cells[0]);
            Assert.Equal(own["Futures_Price"], cells[1]);
            for (var c = 0; c < expectedColumns.Count; c++)
            {
                Assert.Equal(own.GetValueOrDefault(expectedColumns[c], string.Empty), cells[c + 2]);
            }
        }

        Assert.Contains(lines.Skip(1), l => l.Contains(",,", StringComparison.Ordinal) || l.EndsWith(',')); // some option not alive some day

        var target = Path.Combine(_folder, "exports", "fop.csv");
        var file = await ExportFile.WriteAsync(target, result.Csv, Ct);
        Assert.Equal(result.Csv, await File.ReadAllTextAsync(target, Ct));
        Assert.Equal(FopOutput.Sha256(result.Csv), file.Sha256);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(target)!)); // no temp file left beside it
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(target));
        }

        // A gap in the range is reported; a tampered CSV is refused.
        var wider = await Export.BuildAsync("fop", Store, dates[0].AddDays(-7), dates[^1], Ct);
        Assert.NotEmpty(wider.MissingSessions);
        Assert.Equal(result.Csv, wider.Csv);
        await File.AppendAllTextAsync(Path.ChangeExtension(outcomes[1].FilePath!, ".csv"), "x", Ct);
        await Assert.ThrowsAsync<FileCorruptionException>(() => Export.BuildAsync("fop", Store, dates[0], dates[^1], Ct));
    }

    [Fact]
    public async Task Deep_verify_rereads_the_csv_against_the_parquet_rows_and_checksums()
    {
        var outcomes = await ProcessAsync(new DateOnly(2025, 1, 6), new DateOnly(2025, 1, 7));
        var verifier = new OutputVerifier(_ledger);
        var first = await verifier.VerifyAsync("fop", Out, null, null, deep: true, Ct);
        Assert.True(first.AllOk, string.Join("; ", first.Findings.Select(f => f.Message)));

        var csv = Path.ChangeExtension(outcomes[0].FilePath!, ".csv");
        var text = await File.ReadAllTextAsync(csv, Ct);
        await File.WriteAllTextAsync(csv, text.Replace("\n1/6/25,", "\n1/6/25,9", StringComparison.Ordinal), Ct);
        Assert.True((await verifier.VerifyAsync("fop", Out, null, null, deep: false, Ct)).AllOk); // shallow: the Parquet file only
        var deep = await verifier.VerifyAsync("fop", Out, null, null, deep: true, Ct);
        var finding = Assert.Single(deep.Findings, f => f.Status != OutputFileStatus.Ok);
        Assert.Equal(OutputFileStatus.Corrupted, finding.Status);
        Assert.Equal(new DateOnly(2025, 1, 6), finding.Date);
        Assert.Contains("SHA-256", finding.Message, StringComparison.Ordinal);

        File.Delete(Path.ChangeExtension(outcomes[1].FilePath!, ".csv"));
        deep = await verifier.VerifyAsync("fop", Out, null, null, deep: true, Ct);
        Assert.Contains(deep.Findings, f => f.Date == new DateOnly(2025, 1, 7) && f.Status == OutputFileStatus.Corrupted && f.Message.Contains("missing", StringComparison.Ordinal));
    }

    [Fact]
    public void Csv_and_parquet_rows_must_agree_cell_by_cell()
    {
        var date = new DateOnly(2025, 1, 6);
        (DateOnly, double?, string?, double?)[] rows = [(date, 2.31, "OHG5 C2750", 0.0125), (date, 2.31, "OHH5 C2800", 0.04)];
        const string good = "timestamp,Futures_Price,OHG5 C2750,OHH5 C2800\n1/6/25,2.31,0.0125,0.04\n";
        Assert.Null(FopFileVerifier.CompareRows("f.csv", good, date, rows));
        Assert.Contains("cells", FopFileVerifier.CompareRows("f.csv", good.Replace(",0.04\n", "\n", StringComparison.Ordinal), date, rows), StringComparison.Ordinal);
        Assert.Contains("OHH5 C2800", FopFileVerifier.CompareRows("f.csv", good.Replace(",0.04\n", ",0.05\n", StringComparison.Ordinal), date, rows), StringComparison.Ordinal);
        Assert.Contains("columns", FopFileVerifier.CompareRows("f.csv", good.Replace("OHH5 C2800", "OHJ5 C2800", StringComparison.Ordinal), date, rows), StringComparison.Ordinal);
        Assert.Contains("dated", FopFileVerifier.CompareRows("f.csv", good.Replace("1/6/25", "1/7/25", StringComparison.Ordinal), date, rows), StringComparison.Ordinal);
        Assert.Contains("futures", FopFileVerifier.CompareRows("f.csv", good, date, [rows[0], (date, 2.32, "OHH5 C2800", 0.04)]), StringComparison.Ordinal);
        Assert.Contains("2025-01-07", FopFileVerifier.CompareRows("f.csv", good, date, [rows[0], (date.AddDays(1), 2.31, "OHH5 C2800", 0.04)]), StringComparison.Ordinal);
    }
}
