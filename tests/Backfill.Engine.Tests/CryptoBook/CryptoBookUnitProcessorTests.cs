using Backfill.Core.Errors;
using Backfill.Engine.Datasets.CryptoBook;
using Backfill.Engine.Processing;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;
using Backfill.Simulators.CryptoLake;
using Backfill.Sources.CryptoLake.Lake;
using Backfill.Storage.Verification;
using ParquetSharp;

namespace Backfill.Engine.Tests.CryptoBook;

public sealed class CryptoBookUnitProcessorTests
{
    private static readonly DateOnly Day = new(2024, 8, 8);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static CryptoBookOptions Book(string location) =>
        new(location, "BINANCE", "BTC-USDT", CryptoLakeMarket.Tick, CryptoLakeMarket.Lot, 60, 20);

    [Fact]
    public async Task A_day_over_http_is_published_verified_and_measured()
    {
        var folder = Directory.CreateTempSubdirectory("backfill-crypto-").FullName;
        await using var sim = await CryptoLakeSimulator.StartAsync(new CryptoLakeDayOptions { MessagesPerSecond = 0.2 }, cancellationToken: Ct);
        await using var ledger = new SqliteLedger(Path.Combine(folder, "backfill.db"));
        await ledger.MigrateAsync(Ct);
        using var store = LakeStore.Open(sim.BaseAddress.ToString(), retry: RetryPolicyTable.Default.WithDelayScale(0.001));
        var options = new ProcessingOptions { Dataset = "crypto-book", OutputDirectory = Path.Combine(folder, "data", "out"), TempDirectory = Path.Combine(folder, "temp") };
        var processor = UnitLifecycle.For(ledger, new CryptoBookDayProducer(store, Book(sim.BaseAddress.ToString()), options), options);

        var outcome = await processor.ProcessAsync(Day, new UnitProgress(Day), CancellationToken.None, Ct);

        Assert.Equal(UnitOutcomeKind.Success, outcome.Kind);
        var expected = sim.Day(Day);
        var unit = await ledger.GetUnitAsync("crypto-book", Day, Ct);
        Assert.Equal(UnitStatus.Success, unit!.Status);
        Assert.Equal(1.0, unit.QualityScore);
        var check = await new ParquetFileVerifier().VerifyAsync(outcome.FilePath!, unit.FileSha256, unit.RowCount, cancellationToken: Ct);
        Assert.Equal(VerificationStatus.Ok, check.Status);
        Assert.True(OperatingSystem.IsWindows() || File.GetUnixFileMode(outcome.FilePath!) == (UnixFileMode.UserRead | UnixFileMode.UserWrite));

        using var file = new ParquetFileReader(outcome.FilePath!);
        var metadata = file.FileMetaData.KeyValueMetadata;
        Assert.Equal("0.01", metadata["backfill.tick_size"]);
        Assert.Equal("0", metadata["backfill.gaps"]);
        Assert.Equal(unit.ContentSha256, metadata["backfill.content_sha256"]);
        using var group = file.RowGroup(0);
        var types = group.Column(2).LogicalReader<string>().ReadAll((int)group.MetaData.NumRows);
        Assert.Equal(expected.Trades, types.LongCount(t => t == CryptoBookEventType.Trade) + CountRest(file, 2, CryptoBookEventType.Trade));

        var metricsPath = Path.Combine(folder, "data", "metrics", "crypto-book-2024-08-08.jsonl");
        var lines = await File.ReadAllLinesAsync(metricsPath, Ct);
        Assert.Contains(lines, l => l.Contains("\"name\":\"backfill.cryptobook.events\"", StringComparison.Ordinal) && l.Contains("\"scope\":{\"name\":\"Backfill.CryptoBook\"}", StringComparison.Ordinal));
        Assert.Contains(lines, l => l.Contains("\"bucketCounts\"", StringComparison.Ordinal) && l.Contains("clock_skew", StringComparison.Ordinal));
        Assert.Equal(24, lines.Count(l => l.Contains("\"name\":\"backfill.cryptobook.gaps_by_hour\"", StringComparison.Ordinal)));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(metricsPath));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(metricsPath)!));
        }

        var again = await processor.ProcessAsync(Day, new UnitProgress(Day), CancellationToken.None, Ct);
        Assert.Equal(UnitOutcomeKind.Skipped, again.Kind);
    }

    [Fact]
    public async Task A_day_with_a_missing_message_reports_its_gap_in_the_hour_it_was_found_in_the_exporter_line_shape()
    {
        var folder = Directory.CreateTempSubdirectory("backfill-crypto-").FullName;
        var mirror = Path.Combine(folder, "lake");
        CryptoLakeMarket.WriteDay(mirror, Day, new CryptoLakeDayOptions { MessagesPerSecond = 0.2, DataFaults = new HashSet<CryptoLakeFaultKind> { CryptoLakeFaultKind.SequenceGap } });
        await using var ledger = new SqliteLedger(Path.Combine(folder, "backfill.db"));
        await ledger.MigrateAsync(Ct);
        using var store = LakeStore.Open(mirror);
        var options = new ProcessingOptions { Dataset = "crypto-book", OutputDirectory = Path.Combine(folder, "data", "out"), TempDirectory = Path.Combine(folder, "temp") };
        var processor = UnitLifecycle.For(ledger, new CryptoBookDayProducer(store, Book(mirror), options), options);

        var outcome = await processor.ProcessAsync(Day, new UnitProgress(Day), CancellationToken.None, Ct);

        Assert.Equal(UnitOutcomeKind.Success, outcome.Kind);
        var points = (await File.ReadAllLinesAsync(Path.Combine(folder, "data", "metrics", "crypto-book-2024-08-08.jsonl"), Ct))
            .Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        var gaps = points.Single(p => p.GetProperty("name").GetString() == "backfill.cryptobook.gaps").GetProperty("value").GetInt64();
        Assert.True(gaps >= 1);
        var byHour = points.Where(p => p.GetProperty("name").GetString() == "backfill.cryptobook.gaps_by_hour")
            .ToDictionary(p => p.GetProperty("attributes").GetProperty("hour").GetInt32(), p => p.GetProperty("value").GetInt64());
        Assert.Equal(Enumerable.Range(0, 24), byHour.Keys.Order());
        Assert.Equal(gaps, byHour.Values.Sum());
        Assert.True(byHour[12] >= 1, "the message left out at midday is found at the next snapshot, in hour 12"); // the simulator drops the middle message of the day
        foreach (var p in points)
        {
            Assert.Equal("Backfill.CryptoBook", p.GetProperty("scope").GetProperty("name").GetString());
            Assert.Equal("backfill", p.GetProperty("resource").GetProperty("service.name").GetString());
            Assert.True(long.Parse(p.GetProperty("timeUnixNano").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > 0);
            Assert.Equal("2024-08-08", p.GetProperty("attributes").GetProperty("date").GetString());
        }
    }

    [Fact]
    public async Task Deep_verify_recomputes_the_content_checksum_from_the_rows_and_finds_a_changed_price()
    {
        var folder = Directory.CreateTempSubdirectory("backfill-crypto-").FullName;
        var mirror = Path.Combine(folder, "lake");
        CryptoLakeMarket.WriteDay(mirror, Day, new CryptoLakeDayOptions { MessagesPerSecond = 0.1 });
        var db = Path.Combine(folder, "backfill.db");
        await using var ledger = new SqliteLedger(db);
        await ledger.MigrateAsync(Ct);
        using var store = LakeStore.Open(mirror);
        var options = new ProcessingOptions { Dataset = "crypto-book", OutputDirectory = Path.Combine(folder, "out"), TempDirectory = Path.Combine(folder, "temp") };
        var outcome = await UnitLifecycle.For(ledger, new CryptoBookDayProducer(store, Book(mirror), options), options).ProcessAsync(Day, new UnitProgress(Day), CancellationToken.None, Ct);
        Assert.Equal(UnitOutcomeKind.Success, outcome.Kind);
        var verifier = new Backfill.Engine.Verification.OutputVerifier(ledger);
        var clean = await verifier.VerifyAsync("crypto-book", options.OutputDirectory, null, null, deep: true, Ct);
        Assert.True(clean.AllOk, string.Join("; ", clean.Findings.Select(f => f.Message)));

        // One trade price changed, the file rewritten with the same metadata and the ledger made to agree with the new
        // bytes: only re-reading the rows can tell.
        var path = outcome.FilePath!;
        RewriteWithOnePriceChanged(path);
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(await File.ReadAllBytesAsync(path, Ct)));
        await using (var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db}"))
        {
            await connection.OpenAsync(Ct);
            using var update = connection.CreateCommand();
            update.CommandText = "UPDATE processing_log SET file_sha256 = $sha, file_size = $size WHERE dataset = 'crypto-book'";
            update.Parameters.AddWithValue("$sha", sha);
            update.Parameters.AddWithValue("$size", new FileInfo(path).Length);
            Assert.Equal(1, await update.ExecuteNonQueryAsync(Ct));
        }

        Assert.True((await verifier.VerifyAsync("crypto-book", options.OutputDirectory, null, null, deep: false, Ct)).AllOk);
        var deep = await verifier.VerifyAsync("crypto-book", options.OutputDirectory, null, null, deep: true, Ct);
        var finding = Assert.Single(deep.Findings);
        Assert.Equal(Backfill.Engine.Verification.OutputFileStatus.Corrupted, finding.Status);
        Assert.Contains("the rows were changed after writing", finding.Message, StringComparison.Ordinal);
    }

    private static void RewriteWithOnePriceChanged(string path)
    {
        var copy = path + ".orig";
        File.Move(path, copy);
        using (var reader = new ParquetFileReader(copy))
        {
            var metadata = reader.FileMetaData.KeyValueMetadata.ToDictionary();
            Column[] columns =
            [
                new Column<long>("received_time_ns"), new Column<long>("origin_time_ns"), new Column<string>("event_type"),
                new Column<long?>("sequence_number"), new Column<string>("side"), new Column<long?>("price_ticks"), new Column<long?>("size_lots"),
                new Column<string>("trade_id"), new Column<string>("snapshot_reason"), new Column<long[]>("bid_price_ticks"),
                new Column<long[]>("bid_size_lots"), new Column<long[]>("ask_price_ticks"), new Column<long[]>("ask_size_lots"),
            ];
            using var writer = new ParquetFileWriter(path, columns, keyValueMetadata: metadata);
            var changed = false;
            for (var g = 0; g < reader.FileMetaData.NumRowGroups; g++)
            {
                using var group = reader.RowGroup(g);
                var n = (int)group.MetaData.NumRows;
                using var output = writer.AppendRowGroup();
                void Copy<T>(int column, Func<T[], T[]>? change = null)
                {
                    using var from = group.Column(column).LogicalReader<T>();
                    var values = from.ReadAll(n);
                    using var to = output.NextColumn().LogicalWriter<T>();
                    to.WriteBatch(change is null ? values : change(values));
                }

                var types = group.Column(2).LogicalReader<string>().ReadAll(n);
                Copy<long>(0);
                Copy<long>(1);
                Copy<string>(2);
                Copy<long?>(3);
                Copy<string>(4);
                Copy<long?>(5, prices =>
                {
                    var at = Array.IndexOf(types, CryptoBookEventType.Trade);
                    if (!changed && at >= 0)
                    {
                        prices[at] += 1;
                        changed = true;
                    }

                    return prices;
                });
                Copy<long?>(6);
                Copy<string>(7);
                Copy<string>(8);
                Copy<long[]>(9);
                Copy<long[]>(10);
                Copy<long[]>(11);
                Copy<long[]>(12);
            }

            writer.Close();
            Assert.True(changed);
        }

        File.Delete(copy);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    [Fact]
    public async Task Staged_files_are_kept_across_a_stop_and_reused_on_resume_with_the_same_bytes()
    {
        var folder = Directory.CreateTempSubdirectory("backfill-crypto-").FullName;
        await using var sim = await CryptoLakeSimulator.StartAsync(new CryptoLakeDayOptions { MessagesPerSecond = 0.1 }, cancellationToken: Ct);
        await using var ledger = new SqliteLedger(Path.Combine(folder, "backfill.db"));
        await ledger.MigrateAsync(Ct);
        using var store = LakeStore.Open(sim.BaseAddress.ToString());
        var options = new ProcessingOptions { Dataset = "crypto-book", OutputDirectory = Path.Combine(folder, "out"), TempDirectory = Path.Combine(folder, "temp") };
        var processor = UnitLifecycle.For(ledger, new CryptoBookDayProducer(store, Book(sim.BaseAddress.ToString()), options), options);

        // A stop after the first staged file: the unit is interrupted, the file and its sub-unit record stay.
        using var stop = new CancellationTokenSource();
        var progress = new UnitProgress(Day);
        var watcher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested && (await ledger.GetCompletedSubUnitsAsync("crypto-book", Day, Ct)).Count == 0)
            {
                await Task.Delay(5, Ct);
            }

            await stop.CancelAsync();
        }, Ct);
        var first = await processor.ProcessAsync(Day, progress, stop.Token, Ct);
        await watcher;
        var staged = (await ledger.GetCompletedSubUnitsAsync("crypto-book", Day, Ct)).Count;
        Assert.True(first.Kind is UnitOutcomeKind.Interrupted or UnitOutcomeKind.Success);

        // The stop may land after the last checkpoint, when the day is already being written: then it is simply done.
        var requestsBefore = sim.Stats.Requests;
        var second = first.Kind == UnitOutcomeKind.Interrupted
            ? await processor.ProcessAsync(Day, new UnitProgress(Day), CancellationToken.None, Ct)
            : first;
        Assert.Equal(UnitOutcomeKind.Success, second.Kind);
        if (first.Kind == UnitOutcomeKind.Interrupted)
        {
            Assert.True(second.SubUnitsResumed >= 1 && staged >= 1);
            Assert.Equal(3 + (3 - second.SubUnitsResumed), sim.Stats.Requests - requestsBefore); // 3 listings + the files not staged
        }

        // A fresh run of the same day gives the same bytes.
        var other = Directory.CreateTempSubdirectory("backfill-crypto-").FullName;
        await using var ledger2 = new SqliteLedger(Path.Combine(other, "backfill.db"));
        await ledger2.MigrateAsync(Ct);
        var options2 = new ProcessingOptions { Dataset = "crypto-book", OutputDirectory = Path.Combine(other, "out"), TempDirectory = Path.Combine(other, "temp") };
        var processor2 = UnitLifecycle.For(ledger2, new CryptoBookDayProducer(store, Book(sim.BaseAddress.ToString()), options2), options2);
        var fresh = await processor2.ProcessAsync(Day, new UnitProgress(Day), CancellationToken.None, Ct);
        Assert.Equal(second.FileSha256, fresh.FileSha256);
    }

    private static long CountRest(ParquetFileReader file, int column, string type)
    {
        long count = 0;
        for (var g = 1; g < file.FileMetaData.NumRowGroups; g++)
        {
            using var group = file.RowGroup(g);
            count += group.Column(column).LogicalReader<string>().ReadAll((int)group.MetaData.NumRows).LongCount(t => t == type);
        }

        return count;
    }
}
