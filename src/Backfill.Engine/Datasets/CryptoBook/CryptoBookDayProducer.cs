using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Engine.Processing;
using Backfill.Sources.CryptoLake.Lake;

namespace Backfill.Engine.Datasets.CryptoBook;

/// <summary>
/// Produces one UTC day of <c>crypto-book</c>: stage the day's Crypto Lake files (each file is a checkpoint: a completed
/// download is recorded as a sub-unit and kept, so a killed run resumes with the files still missing; a local mirror is
/// read in place), rebuild and validate the book, write the event stream to one Parquet file and publish it (row count
/// and content checksum in the file), then hand quality and metrics to the lifecycle (ledger, meter
/// <c>Backfill.CryptoBook</c>, OpenTelemetry-shaped JSON lines).
/// </summary>
public sealed class CryptoBookDayProducer(LakeStore store, CryptoBookOptions book, ProcessingOptions options, TimeProvider? time = null, bool ownsStore = false) : IUnitProducer
{
    private static readonly LakeTable[] Tables = [LakeTable.BookDeltaV2, LakeTable.Book, LakeTable.Trades];
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <summary>Where the per-day metric lines go: <c>metrics/</c> beside the output folder.</summary>
    public string MetricsDirectory => Path.Combine(
        Path.GetDirectoryName(Backfill.Storage.Outputs.OutputStores.IsRemote(options.OutputDirectory) ? Path.GetFullPath(options.TempDirectory) : Path.GetFullPath(options.OutputDirectory))!, "metrics");

    public long RequestsSent => store.Requests;

    public ValueTask DisposeAsync()
    {
        if (ownsStore)
        {
            store.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    public async Task<UnitProduct> ProduceAsync(UnitContext unit, CancellationToken stop, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var date = unit.Date;
        var dataset = unit.Dataset;
        var progress = unit.Progress;
        var ledger = unit.Ledger;
        progress.Phase = "downloading";
        var staging = unit.CreateStagingDirectory();
        var done = (await ledger.GetCompletedSubUnitsAsync(dataset, date, abort)).Select(s => s.SubUnit).ToHashSet(StringComparer.Ordinal);
        var files = new Dictionary<LakeTable, List<string>>();
        var resumed = 0;
        var total = 0;
        foreach (var table in Tables)
        {
            var partition = LakePartition.Create(table, book.Exchange, book.Symbol, date);
            var names = await store.ListAsync(partition, abort);
            total += names.Count;
            progress.Plan(total, 0);
            var paths = new List<string>();
            foreach (var name in names)
            {
                stop.ThrowIfCancellationRequested();
                var subUnit = LakePartition.TableName(table) + "/" + name;
                var staged = Path.Combine(staging, LakePartition.TableName(table) + "-" + name);
                if (done.Contains(subUnit) && File.Exists(staged))
                {
                    resumed++;
                    paths.Add(staged);
                    continue;
                }

                using var file = await store.FetchAsync(partition, name, staging, abort);
                if (file.Path.StartsWith(staging, StringComparison.Ordinal))
                {
                    File.Move(file.Path, staged, overwrite: true);
                    if (!OperatingSystem.IsWindows())
                    {
                        File.SetUnixFileMode(staged, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                    }
                    paths.Add(staged);
                }
                else
                {
                    paths.Add(file.Path);
                }

                await ledger.MarkSubUnitCompleteAsync(dataset, date, subUnit, file.Bytes, CancellationToken.None);
            }

            files[table] = paths;
        }

        stop.ThrowIfCancellationRequested();
        progress.Phase = "rebuilding";
        CryptoBookDayResult? result = null;
        string? contentSha = null;
        var inv = CultureInfo.InvariantCulture;
        var metadata = new Dictionary<string, string>
        {
            ["backfill.dataset"] = dataset,
            ["backfill.date"] = date.ToString("yyyy-MM-dd", inv),
            ["backfill.source"] = "cryptolake",
            ["backfill.exchange"] = book.Exchange,
            ["backfill.symbol"] = book.Symbol,
            ["backfill.tick_size"] = book.Tick.ToString(),
            ["backfill.lot_size"] = book.Lot.ToString(),
            ["backfill.snapshot_depth"] = book.Depth.ToString(inv),
            ["backfill.snapshot_interval_seconds"] = book.SnapshotIntervalSeconds.ToString(inv),
            ["backfill.schema_version"] = CryptoBookEventWriter.SchemaVersion,
            ["backfill.order"] = "arrival: book messages by sequence_number, trades and snapshots merged by received_time_ns",
            ["backfill.snapshots_compared"] = string.Empty,
            ["backfill.gaps"] = string.Empty,
            ["backfill.crossed_messages"] = string.Empty,
            ["backfill.level_mismatches"] = string.Empty,
            ["backfill.max_mid_deviation_ticks"] = string.Empty,
            ["backfill.precision_loss"] = string.Empty,
            ["backfill.rejected_rows"] = string.Empty,
        };
        var published = await unit.Output.PublishAsync(CryptoBookDataset.OutputLayout.KeyFor(date), (temp, ct) => Task.Run(() =>
        {
            using var writer = new CryptoBookEventWriter(temp, metadata);
            result = CryptoBookDay.Run(date, files[LakeTable.BookDeltaV2], files[LakeTable.Book], files[LakeTable.Trades], book, writer,
                rows => progress.AddRows(rows - progress.Rows), ct);
            var q = result.Quality;
            contentSha = writer.Finish(new Dictionary<string, string>
            {
                ["backfill.snapshots_compared"] = q.DeviationTicks.Count.ToString(inv),
                ["backfill.gaps"] = q.Gaps.ToString(inv),
                ["backfill.crossed_messages"] = q.CrossedMessages.ToString(inv),
                ["backfill.level_mismatches"] = q.LevelMismatches.ToString(inv),
                ["backfill.max_mid_deviation_ticks"] = q.MaxDeviationTicks.ToString(inv),
                ["backfill.precision_loss"] = (q.PrecisionLoss + result.TradePrecisionLoss).ToString(inv),
                ["backfill.rejected_rows"] = result.Read.Rejected.ToString(inv),
            });
        }, ct), null, abort);

        var day = result!;
        if (day.Rows == 0)
        {
            throw new NoDataException($"Crypto Lake's files for {book.Exchange} {book.Symbol} {date:yyyy-MM-dd} hold no usable row.");
        }

        var q = day.Quality;
        var compared = q.DeviationTicks.Count;
        var quality = compared == 0 ? 0 : 1 - ((double)q.Gaps / compared);
        var elapsed = unit.Elapsed;
        var message = $"{day.Trades} trades, {day.Deltas} deltas, {day.SnapshotsWritten} snapshots; {q.Snapshots} vendor snapshots: {q.Gaps} gap(s) healed, max mid deviation {q.MaxDeviationTicks.ToString(inv)} ticks, {q.CrossedMessages} crossed"
            + (day.Read.Rejected > 0 ? $"; {day.Read.Rejected} malformed row(s) skipped ({day.Read.FirstRejection})" : string.Empty);
        return new UnitProduct
        {
            Output = published,
            ContentSha256 = contentSha,
            Rows = day.Rows,
            SubUnits = total,
            SubUnitsResumed = resumed,
            QualityScore = quality,
            DuplicatesDropped = q.Duplicates + q.OutOfOrderMessages,
            RejectedRows = day.Read.Rejected,
            Message = message,
            Metrics =
            [
                ("events_per_second", day.Rows / Math.Max(elapsed.TotalSeconds, 1e-9), "events/s"),
                ("gaps", q.Gaps, "count"),
                ("crossed_messages", q.CrossedMessages, "count"),
                ("level_mismatches", q.LevelMismatches, "count"),
                ("max_mid_deviation_ticks", q.MaxDeviationTicks, "ticks"),
                ("precision_loss", q.PrecisionLoss + day.TradePrecisionLoss, "count"),
                ("rejected_rows", day.Read.Rejected, "count"),
            ],
            AfterCompleted = () =>
            {
                using var process = System.Diagnostics.Process.GetCurrentProcess();
                CryptoBookMetrics.Record(dataset, date, book.Symbol, day);
                CryptoBookMetrics.WriteJsonLines(MetricsDirectory, dataset, date, book.Symbol, day, unit.Elapsed, process.PeakWorkingSet64, _time.GetUtcNow());
                try
                {
                    Directory.Delete(staging, recursive: true);
                }
                catch (IOException)
                {
                    // Left for 'backfill cleanup --temp-files'; the published file is already safe.
                }

                return Task.CompletedTask;
            },
        };
    }
}
