using System.Diagnostics;
using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Sources.CryptoLake.Lake;
using Backfill.Storage.Publish;

namespace Backfill.Engine.Datasets.CryptoBook;

/// <summary>
/// Processes one UTC day of <c>crypto-book</c>: claim the day, stage the day's Crypto Lake files (each file is a
/// checkpoint: a completed download is recorded as a sub-unit and kept, so a killed run resumes with the files still
/// missing; a local mirror is read in place), rebuild and validate the book, write the event stream to one Parquet
/// file published atomically (0600 in 0700 folders, SHA-256 in the ledger, row count and content checksum in the
/// file), then record quality and metrics (ledger, meter <c>Backfill.CryptoBook</c>, OpenTelemetry-shaped JSON lines).
/// </summary>
public sealed class CryptoBookUnitProcessor(
    ILedger ledger, LakeStore store, CryptoBookOptions book, ProcessingOptions options, TimeProvider? time = null, string? owner = null) : IUnitProcessor
{
    private static readonly LakeTable[] Tables = [LakeTable.BookDeltaV2, LakeTable.Book, LakeTable.Trades];
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly string _owner = owner ?? WorkerIdentity.Current;

    /// <summary>Where the per-day metric lines go: <c>metrics/</c> beside the output folder.</summary>
    public string MetricsDirectory => Path.Combine(Path.GetDirectoryName(Path.GetFullPath(options.OutputDirectory))!, "metrics");

    public async Task<UnitOutcome> ProcessAsync(DateOnly date, UnitProgress progress, CancellationToken stop, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var watch = Stopwatch.StartNew();
        var requestsBefore = store.Requests;
        var (claim, skipped) = await UnitLifecycle.ClaimAsync(ledger, options, _owner, date, abort);
        if (claim is null)
        {
            return skipped!;
        }

        try
        {
            var outcome = await RunClaimedAsync(date, progress, stop, abort, watch);
            return outcome with { Duration = watch.Elapsed, ApiRequests = store.Requests - requestsBefore };
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested || stop.IsCancellationRequested)
        {
            await ledger.InterruptUnitAsync(options.Dataset, date, _owner, "stopped", CancellationToken.None);
            return new UnitOutcome(date, UnitOutcomeKind.Interrupted, "stopped; staged files are kept, run the same command again to resume") { Duration = watch.Elapsed };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return await UnitLifecycle.FailAsync(ledger, claim, e, watch.Elapsed);
        }
    }

    private async Task<UnitOutcome> RunClaimedAsync(DateOnly date, UnitProgress progress, CancellationToken stop, CancellationToken abort, Stopwatch watch)
    {
        var dataset = options.Dataset;
        progress.Phase = "downloading";
        var staging = EnginePaths.StagingDirectory(options.TempDirectory, dataset, date);
        SecureDirectory.Create(staging);
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
        var path = EnginePaths.OutputFile(options.OutputDirectory, dataset, date);
        var publisher = new AtomicFilePublisher(EnginePaths.PublishDirectory(options.TempDirectory, dataset), options.OutputDirectory);
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
        var published = await publisher.PublishAsync(path, (temp, ct) => Task.Run(() =>
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
        }, ct), abort);

        var day = result!;
        if (day.Rows == 0)
        {
            throw new NoDataException($"Crypto Lake's files for {book.Exchange} {book.Symbol} {date:yyyy-MM-dd} hold no usable row.");
        }

        var q = day.Quality;
        var compared = q.DeviationTicks.Count;
        var quality = compared == 0 ? 0 : 1 - ((double)q.Gaps / compared);
        using var process = Process.GetCurrentProcess();
        var peak = process.PeakWorkingSet64;
        await ledger.CompleteUnitAsync(dataset, date, _owner, new UnitSuccess
        {
            FilePath = published.Path,
            FileSize = published.SizeBytes,
            FileSha256 = published.Sha256,
            ContentSha256 = contentSha,
            RowCount = day.Rows,
            SubUnitsTotal = total,
            ApiRequests = store.Requests,
            DurationMs = (long)watch.Elapsed.TotalMilliseconds,
            PeakMemoryBytes = peak,
            QualityScore = quality,
            DuplicatesDropped = q.Duplicates + q.OutOfOrderMessages,
        }, CancellationToken.None);
        await ledger.RecordMetricsAsync(
        [
            new(dataset, date, "rows", day.Rows, "rows"),
            new(dataset, date, "events_per_second", day.Rows / Math.Max(watch.Elapsed.TotalSeconds, 1e-9), "events/s"),
            new(dataset, date, "gaps", q.Gaps, "count"),
            new(dataset, date, "crossed_messages", q.CrossedMessages, "count"),
            new(dataset, date, "level_mismatches", q.LevelMismatches, "count"),
            new(dataset, date, "max_mid_deviation_ticks", q.MaxDeviationTicks, "ticks"),
            new(dataset, date, "precision_loss", q.PrecisionLoss + day.TradePrecisionLoss, "count"),
            new(dataset, date, "rejected_rows", day.Read.Rejected, "count"),
            new(dataset, date, "quality_score", quality, "ratio"),
        ], CancellationToken.None);
        CryptoBookMetrics.Record(dataset, date, book.Symbol, day);
        CryptoBookMetrics.WriteJsonLines(MetricsDirectory, dataset, date, book.Symbol, day, watch.Elapsed, peak, _time.GetUtcNow());
        try
        {
            Directory.Delete(staging, recursive: true);
        }
        catch (IOException)
        {
        }

        progress.Phase = "done";
        var message = $"{day.Trades} trades, {day.Deltas} deltas, {day.SnapshotsWritten} snapshots; {q.Snapshots} vendor snapshots: {q.Gaps} gap(s) healed, max mid deviation {q.MaxDeviationTicks.ToString(inv)} ticks, {q.CrossedMessages} crossed"
            + (day.Read.Rejected > 0 ? $"; {day.Read.Rejected} malformed row(s) skipped ({day.Read.FirstRejection})" : string.Empty);
        return new UnitOutcome(date, UnitOutcomeKind.Success, message)
        {
            FilePath = published.Path,
            FileSha256 = published.Sha256,
            Rows = day.Rows,
            FileBytes = published.SizeBytes,
            SubUnits = total,
            SubUnitsResumed = resumed,
            QualityScore = quality,
            RejectedRows = day.Read.Rejected,
        };
    }
}
