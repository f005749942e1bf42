using Backfill.Engine.Processing;
using System.Diagnostics;
using Backfill.Core.Calendars;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Storage.Disk;
using Backfill.Engine.Datasets.Spx.Parquet;
using Backfill.Storage.Publish;
using Backfill.Engine.Datasets.Spx.Staging;

namespace Backfill.Engine.Datasets.Spx;

/// <summary>
/// Processes one trading date of the <c>spx</c> dataset: claim the unit, discover the expirations that trade
/// that day, stage each one to NDJSON (resumable, retried per the error table), then write one sorted Parquet
/// file, publish it atomically with its SHA-256, and record everything in the ledger.
/// </summary>
public sealed class SpxUnitProcessor : IUnitProcessor
{
    /// <summary>NDJSON staging bytes per row (measured: about 230) plus Parquet output, for the disk estimate.</summary>
    private const long EstimatedBytesPerRow = 300;

    private readonly ILedger _ledger;
    private readonly IOptionGreeksSource _source;
    private readonly ITradingCalendar _calendar;
    private readonly ProcessingOptions _options;
    private readonly TimeProvider _time;
    private readonly DiskSpaceGuard _disk;
    private readonly string _owner;

    public SpxUnitProcessor(
        ILedger ledger,
        IOptionGreeksSource source,
        ITradingCalendar calendar,
        ProcessingOptions options,
        TimeProvider? time = null,
        IDiskSpaceProbe? diskProbe = null,
        string? owner = null)
    {
        _ledger = ledger;
        _source = source;
        _calendar = calendar;
        _options = options;
        _time = time ?? TimeProvider.System;
        _disk = diskProbe is null ? new DiskSpaceGuard() : new DiskSpaceGuard(diskProbe);
        _owner = owner ?? WorkerIdentity.Current;
    }

    /// <param name="date">A session of the dataset's calendar (validated by the caller).</param>
    /// <param name="progress">Live counters for the display.</param>
    /// <param name="stop">Graceful stop: no new expiration starts; those in flight finish; the unit stays resumable.</param>
    /// <param name="abort">Hard stop: everything is cancelled at once (the unit stays resumable).</param>
    public async Task<UnitOutcome> ProcessAsync(DateOnly date, UnitProgress progress, CancellationToken stop, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var dataset = _options.Dataset;
        var watch = Stopwatch.StartNew();
        var requestsBefore = _source.Stats.Requests;
        var (claim, skipped) = await UnitLifecycle.ClaimAsync(_ledger, _options, _owner, date, abort);
        if (claim is null)
        {
            return skipped!;
        }

        using var leaseStop = CancellationTokenSource.CreateLinkedTokenSource(abort);
        var renewal = RenewLeaseAsync(leaseStop.Token);
        try
        {
            var outcome = await RunClaimedAsync(date, progress, stop, abort);
            return outcome with
            {
                Duration = watch.Elapsed,
                ApiRequests = _source.Stats.Requests - requestsBefore,
            };
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            await _ledger.InterruptUnitAsync(dataset, date, _owner, "aborted", CancellationToken.None);
            return new UnitOutcome(date, UnitOutcomeKind.Interrupted, "aborted; run the same command again to resume") { Duration = watch.Elapsed };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var kind = e is BackfillException b ? b.Kind.ToString() : nameof(ErrorKind.Unknown);
            var message = (e is BackfillException ? e.Message : $"{e.GetType().Name}: {e.Message}") + Advice(e, date);
            if (!IsLogged(e))
            {
                // Errors of a request were logged where they happened, with their attempt; this is everything else.
                await _ledger.RecordErrorAsync(new ErrorRecord
                {
                    Dataset = dataset, TradeDate = date, ErrorType = kind, Message = message, Attempt = 0,
                    StatusCode = (e as BackfillException)?.StatusCode, WillRetry = false,
                }, CancellationToken.None);
            }

            await _ledger.FailUnitAsync(dataset, date, _owner, kind, message, CancellationToken.None);
            return new UnitOutcome(date, UnitOutcomeKind.Failed, message) { ErrorType = kind, Duration = watch.Elapsed };
        }
        finally
        {
            await leaseStop.CancelAsync();
            await renewal;
        }
    }

    private async Task<UnitOutcome> RunClaimedAsync(DateOnly date, UnitProgress progress, CancellationToken stop, CancellationToken abort)
    {
        var dataset = _options.Dataset;
        var staging = EnginePaths.StagingDirectory(_options.TempDirectory, dataset, date);
        SecureDirectory.Create(staging);
        GreeksStaging.DeletePartials(staging);

        progress.Phase = "listing expirations";
        var subUnits = await DiscoverAsync(date, abort);
        var pending = subUnits.Where(s => !GreeksStaging.IsComplete(staging, s.Name)).ToList();
        progress.Plan(subUnits.Count, subUnits.Count - pending.Count);
        await EnsureDiskSpaceAsync(pending.Count, subUnits.Count, abort);
        await _ledger.UpdateProgressAsync(dataset, date, _owner, subUnits.Count, progress.SubUnitsDone, _source.Stats.Requests, abort);

        progress.Phase = "downloading";
        var rejected = new RejectedTotal();
        var (fatal, noData) = await FetchAllAsync(date, staging, pending, progress, rejected, stop, abort);
        if (fatal is not null)
        {
            throw fatal;
        }

        var stagedFiles = GreeksStaging.ListComplete(staging);
        if (stagedFiles.Count < subUnits.Count)
        {
            var left = subUnits.Count - stagedFiles.Count;
            await _ledger.InterruptUnitAsync(dataset, date, _owner, $"stopped with {left} of {subUnits.Count} expirations left", CancellationToken.None);
            return new UnitOutcome(date, UnitOutcomeKind.Interrupted,
                $"stopped with {stagedFiles.Count}/{subUnits.Count} expirations staged; run the same command again to resume")
            {
                SubUnits = subUnits.Count,
                SubUnitsResumed = progress.SubUnitsResumed,
            };
        }

        progress.Phase = "writing parquet";
        var final = EnginePaths.OutputFile(_options.OutputDirectory, dataset, date);
        var publishDirectory = EnginePaths.PublishDirectory(_options.TempDirectory, dataset);
        DeleteStalePublishTemps(publishDirectory, final);
        var publisher = new AtomicFilePublisher(publishDirectory, _options.OutputDirectory);
        var identity = new SpxFileIdentity(date, _source.Name, _source.Name.EndsWith("v3", StringComparison.Ordinal) ? "v3" : "v2");
        SpxParquetWriteResult? written = null;
        var published = await publisher.PublishAsync(final, async (temp, ct) =>
        {
            written = await new SpxParquetWriter().WriteAsync(stagedFiles, temp, identity, ct);
            CrashPoint.Reach("publish.before-rename");
        }, abort);
        CrashPoint.Reach("publish.after-rename");

        var peak = PeakMemory();
        var duration = (long)(_time.GetUtcNow() - progress.StartedAt).TotalMilliseconds;
        await _ledger.CompleteUnitAsync(dataset, date, _owner, new UnitSuccess
        {
            FilePath = published.Path,
            FileSize = published.SizeBytes,
            FileSha256 = published.Sha256,
            ContentSha256 = written!.ContentSha256,
            RowCount = written.RowCount,
            SubUnitsTotal = subUnits.Count,
            ApiRequests = _source.Stats.Requests,
            DurationMs = duration,
            PeakMemoryBytes = peak,
            QualityScore = written.Quality.Score,
            DuplicatesDropped = written.DuplicatesDropped,
        }, CancellationToken.None);
        await RecordMetricsAsync(date, written, published, subUnits.Count, noData, rejected.Value, duration, peak);
        DeleteStaging(staging);
        progress.Phase = "done";
        return new UnitOutcome(date, UnitOutcomeKind.Success, $"{written.RowCount:N0} rows, {published.SizeBytes:N0} bytes")
        {
            FilePath = published.Path,
            FileSha256 = published.Sha256,
            Rows = written.RowCount,
            FileBytes = published.SizeBytes,
            SubUnits = subUnits.Count,
            SubUnitsResumed = progress.SubUnitsResumed,
            QualityScore = written.Quality.Score,
            DuplicatesDropped = written.DuplicatesDropped,
            RejectedRows = rejected.Value,
        };
    }

    private async Task<IReadOnlyList<SubUnit>> DiscoverAsync(DateOnly date, CancellationToken abort)
    {
        var list = new List<SubUnit>();
        foreach (var root in _options.Roots)
        {
            // The source retries the listing as the table allows; each attempt that failed is logged here.
            var observer = new RequestObserver();
            var step = $"{root} expirations";
            IReadOnlyList<DateOnly> expirations;
            try
            {
                expirations = await _source.ListExpirationsAsync(root, observer, abort);
            }
            catch (BackfillException e) when (!abort.IsCancellationRequested)
            {
                await RecordSourceRetriesAsync(date, step, observer);
                await RecordFinalErrorAsync(date, step, e, observer.PriorAttempts);
                throw;
            }

            await RecordSourceRetriesAsync(date, step, observer);
            foreach (var expiration in expirations)
            {
                if (expiration < date || (_options.MaxDte > 0 && expiration.DayNumber - date.DayNumber > _options.MaxDte))
                {
                    continue;
                }

                list.Add(new SubUnit(root, expiration, GreeksStaging.SubUnitName(root, expiration)));
            }
        }

        if (list.Count == 0)
        {
            throw new NoDataException($"No {string.Join("/", _options.Roots)} expiration on or after {date:yyyy-MM-dd} is listed by {_source.Name}.");
        }

        return list;
    }

    private async Task<(Exception? Fatal, int NoData)> FetchAllAsync(
        DateOnly date, string staging, IReadOnlyList<SubUnit> pending, UnitProgress progress, RejectedTotal rejected,
        CancellationToken stop, CancellationToken abort)
    {
        using var gate = new SemaphoreSlim(_options.MaxConcurrentSubUnits);
        using var failed = CancellationTokenSource.CreateLinkedTokenSource(stop);
        Exception? fatal = null;
        var noData = 0;
        var tasks = new List<Task>(pending.Count);
        foreach (var subUnit in pending)
        {
            try
            {
                await gate.WaitAsync(failed.Token);
            }
            catch (OperationCanceledException) when (!abort.IsCancellationRequested)
            {
                break;
            }

            if (failed.IsCancellationRequested)
            {
                // The slot was released by an expiration that failed (or a stop) and may have been handed to this
                // wait before its cancellation landed: start no further request.
                gate.Release();
                break;
            }

            tasks.Add(Task.Run(async () =>
            {
                progress.Begin(subUnit.Name);
                var completed = false;
                try
                {
                    var (rows, wasEmpty) = await FetchOneAsync(date, staging, subUnit, progress, rejected, abort);
                    if (wasEmpty)
                    {
                        Interlocked.Increment(ref noData);
                    }

                    await _ledger.MarkSubUnitCompleteAsync(_options.Dataset, date, subUnit.Name, rows, abort);
                    completed = true;
                }
                catch (Exception e) when (e is not OperationCanceledException || !abort.IsCancellationRequested)
                {
                    Interlocked.CompareExchange(ref fatal, e, null);
                    await failed.CancelAsync();
                }
                finally
                {
                    progress.End(subUnit.Name, completed);
                    gate.Release();
                }
            }, CancellationToken.None));
        }

        await Task.WhenAll(tasks);
        abort.ThrowIfCancellationRequested();
        await _ledger.UpdateProgressAsync(_options.Dataset, date, _owner, progress.SubUnitsTotal, progress.SubUnitsDone, _source.Stats.Requests, CancellationToken.None);
        return (fatal, noData);
    }

    /// <summary>Stages one expiration, restarting it after a mid-stream failure as the retry table allows.</summary>
    private async Task<(long Rows, bool Empty)> FetchOneAsync(
        DateOnly date, string staging, SubUnit subUnit, UnitProgress progress, RejectedTotal total, CancellationToken abort)
    {
        var request = new OptionGreeksRequest(subUnit.Root, subUnit.Expiration, date, _options.IntervalMs);

        // One attempt count for the expiration, shared with the source's own retries: both layers together stay
        // within the retry table, and a kind the table never retries is never retried.
        var rejected = new RequestObserver();
        while (true)
        {
            long streamed = 0;
            try
            {
                await using var writer = GreeksStagingWriter.Create(staging, subUnit.Name);
                var rejectedBefore = rejected.RejectedCount;
                try
                {
                    await foreach (var row in _source.StreamGreeksAsync(request, rejected, abort))
                    {
                        await writer.WriteAsync(row, abort);
                        if (++streamed % 4096 == 0)
                        {
                            progress.AddRows(4096);
                        }
                    }
                }
                catch (NoDataException)
                {
                    // No data for this expiration on this date (not listed yet, or no quotes): an empty, complete sub-unit.
                    progress.AddRows(streamed % 4096);
                    await writer.CompleteAsync(abort);
                    await RecordSourceRetriesAsync(date, subUnit.Name, rejected);
                    return (0, true);
                }

                progress.AddRows(streamed % 4096);
                await writer.CompleteAsync(abort);
                await RecordSourceRetriesAsync(date, subUnit.Name, rejected);
                total.Add(rejected.RejectedCount - rejectedBefore);
                if (rejected.RejectedCount > rejectedBefore)
                {
                    await _ledger.RecordErrorAsync(new ErrorRecord
                    {
                        Dataset = _options.Dataset, TradeDate = date, SubUnit = subUnit.Name, ErrorType = "InvalidRow",
                        Message = $"{rejected.RejectedCount - rejectedBefore} row(s) rejected and skipped; e.g. {string.Join("; ", rejected.Samples)}",
                        Attempt = rejected.PriorAttempts,
                    }, abort);
                }

                return (writer.RowCount, false);
            }
            catch (BackfillException e)
            {
                await RecordSourceRetriesAsync(date, subUnit.Name, rejected);
                progress.AddRows(-(streamed - (streamed % 4096)));
                var attempt = rejected.PriorAttempts;
                rejected.AttemptFailed(attempt);
                var retry = _options.Retry.ShouldRetry(e.Kind, attempt) && !abort.IsCancellationRequested;
                if (!retry)
                {
                    await RecordFinalErrorAsync(date, subUnit.Name, e, attempt);
                    throw;
                }

                await _ledger.RecordErrorAsync(new ErrorRecord
                {
                    Dataset = _options.Dataset, TradeDate = date, SubUnit = subUnit.Name, ErrorType = e.Kind.ToString(),
                    Message = e.Message, Attempt = attempt, StatusCode = e.StatusCode, WillRetry = true,
                }, CancellationToken.None);

                var delay = _options.Retry.DelayBeforeRetry(e.Kind, attempt, (e as RateLimitedException)?.RetryAfter, Random.Shared.NextDouble());
                await Task.Delay(delay, _time, abort);
            }
        }
    }

    /// <summary>Writes the attempts the source retried by itself to the error log.</summary>
    private async Task RecordSourceRetriesAsync(DateOnly date, string step, RequestObserver observer)
    {
        foreach (var (error, attempt) in observer.DrainRetries())
        {
            await _ledger.RecordErrorAsync(new ErrorRecord
            {
                Dataset = _options.Dataset, TradeDate = date, SubUnit = step, ErrorType = error.Kind.ToString(),
                Message = error.Message, Attempt = attempt, StatusCode = error.StatusCode, WillRetry = true,
            }, CancellationToken.None);
        }
    }

    /// <summary>Logs the failure that ends a request (not retried) and marks it so the unit's failure is not logged twice.</summary>
    private async Task RecordFinalErrorAsync(DateOnly date, string step, BackfillException e, int attempt)
    {
        e.Data[AttemptsKey] = attempt + 1;
        await _ledger.RecordErrorAsync(new ErrorRecord
        {
            Dataset = _options.Dataset, TradeDate = date, SubUnit = step, ErrorType = e.Kind.ToString(),
            Message = e.Message + Advice(e, date), Attempt = attempt, StatusCode = e.StatusCode, WillRetry = false,
        }, CancellationToken.None);
        e.Data[LoggedKey] = true;
    }

    private static bool IsLogged(Exception e) => e.Data[LoggedKey] is true;

    /// <summary>What to do about a failed date, appended to its message: retried enough, or never retried and why.</summary>
    private string Advice(Exception e, DateOnly date)
    {
        var kind = (e as BackfillException)?.Kind ?? ErrorKind.Unknown;
        if (e.Message.Contains("backfill retry", StringComparison.Ordinal))
        {
            return string.Empty;
        }

        var retry = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"backfill retry {date:yyyy-MM-dd}");
        if (_options.Retry.For(kind).IsRetryable)
        {
            var attempts = e.Data[AttemptsKey] is int n ? n : 1;
            return $" [transient {kind}: gave up after {attempts} attempt(s); when the terminal answers normally again run '{retry}']";
        }

        return kind switch
        {
            ErrorKind.PermissionDenied => $" [permanent, not retried: check that the ThetaData subscription covers this data, then run '{retry}']",
            ErrorKind.ApiVersionGone => " [permanent, not retried: switch the API version as described]",
            ErrorKind.InsufficientDisk => $" [not retried: free disk space or move processing.tempDirectory/outputDirectory, then run '{retry}']",
            ErrorKind.NoData => " [no data for this date at the source]",
            _ => $" [permanent {kind}, not retried: fix the cause, then run '{retry} --force']",
        };
    }

    private async Task EnsureDiskSpaceAsync(int pending, int total, CancellationToken cancellationToken)
    {
        var recent = await _ledger.ListUnitsAsync(_options.Dataset, null, null, UnitStatus.Success, cancellationToken);
        var rowsPerDay = recent.Count == 0
            ? _options.DefaultRowsPerDay
            : (long)recent.TakeLast(20).Average(u => (double)(u.RowCount ?? 0));
        var estimate = (long)(rowsPerDay * EstimatedBytesPerRow * (total == 0 ? 1.0 : (double)pending / total));
        _disk.EnsureSpace(_options.TempDirectory, estimate);
        _disk.EnsureSpace(_options.OutputDirectory, rowsPerDay * 40);
    }

    private async Task RecordMetricsAsync(DateOnly date, SpxParquetWriteResult written, PublishedFile file, int subUnits, int noData, long rejected, long durationMs, long peak)
    {
        var d = _options.Dataset;
        var seconds = Math.Max(durationMs, 1) / 1000.0;
        await _ledger.RecordMetricsAsync(
        [
            new(d, date, "rows", written.RowCount, "rows"),
            new(d, date, "rows_per_second", written.RowCount / seconds, "rows/s"),
            new(d, date, "duration_ms", durationMs, "ms"),
            new(d, date, "file_bytes", file.SizeBytes, "bytes"),
            new(d, date, "expirations", subUnits, "count"),
            new(d, date, "expirations_no_data", noData, "count"),
            new(d, date, "rejected_rows", rejected, "rows"),
            new(d, date, "duplicates_dropped", written.DuplicatesDropped, "rows"),
            new(d, date, "quality_score", written.Quality.Score, "ratio"),
            new(d, date, "api_requests_total", _source.Stats.Requests, "count"),
            new(d, date, "api_bytes_total", _source.Stats.Bytes, "bytes"),
            new(d, date, "api_retries_total", _source.Stats.Retries, "count"),
            new(d, date, "peak_memory_bytes", peak, "bytes"),
        ], CancellationToken.None);
    }

    private async Task RenewLeaseAsync(CancellationToken cancellationToken)
    {
        var every = TimeSpan.FromTicks(Math.Max(_options.Lease.Ticks / 3, TimeSpan.FromMilliseconds(100).Ticks));
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(every, _time, cancellationToken);
                await _ledger.RenewLeaseAsync(_owner, _options.Lease, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void DeleteStaging(string staging)
    {
        try
        {
            Directory.Delete(staging, recursive: true);
        }
        catch (IOException)
        {
            // Left for 'backfill cleanup --temp-files'; the published file is already safe.
        }
    }

    /// <summary>
    /// Removes temp files a killed earlier attempt of this date left in the publish folder (each is as large as the
    /// output file, so repeated crashes would otherwise fill the disk). Only this date's files: this worker holds its
    /// claim, so no live worker can be publishing it; other dates' temps may belong to live workers.
    /// </summary>
    private static void DeleteStalePublishTemps(string publishDirectory, string finalPath)
    {
        if (!Directory.Exists(publishDirectory))
        {
            return;
        }

        foreach (var stale in Directory.EnumerateFiles(publishDirectory, "." + Path.GetFileName(finalPath) + ".*.tmp"))
        {
            try
            {
                File.Delete(stale);
            }
            catch (IOException)
            {
                // Left for 'backfill cleanup --temp-files'.
            }
        }
    }

    private const string LoggedKey = "backfill.logged";
    private const string AttemptsKey = "backfill.attempts";

    private static long PeakMemory()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }

    /// <summary>Rows rejected across all expirations of the date.</summary>
    private sealed class RejectedTotal
    {
        private long _value;

        public long Value => Interlocked.Read(ref _value);

        public void Add(long rows) => Interlocked.Add(ref _value, rows);
    }

    private sealed record SubUnit(string Root, DateOnly Expiration, string Name);
}
