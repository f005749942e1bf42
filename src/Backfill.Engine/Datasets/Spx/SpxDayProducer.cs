using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Engine.Datasets.Spx.Parquet;
using Backfill.Engine.Datasets.Spx.Staging;
using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Storage.Disk;
using Backfill.Storage.Layout;

namespace Backfill.Engine.Datasets.Spx;

/// <summary>
/// Produces one trading date of option greeks: discover the expirations quoted on the date (the vendor's contract
/// listing, else its expiration lists), stage each one to NDJSON
/// (resumable: a staged expiration is a checkpoint, retried per the error table), then write one sorted Parquet file
/// and publish it. The unit's ledger bookkeeping is the engine's (<see cref="UnitLifecycle"/>).
/// </summary>
public sealed class SpxDayProducer : IUnitProducer
{
    /// <summary>NDJSON staging bytes per row (measured: about 230) plus Parquet output, for the disk estimate.</summary>
    public const long EstimatedBytesPerRow = 300;

    private readonly IOptionGreeksSource _source;
    private readonly SpxOptions _spx;
    private readonly ProcessingOptions _options;
    private readonly OutputLayout _layout;
    private readonly TimeProvider _time;
    private readonly DiskSpaceGuard _disk;
    private readonly bool _ownsSource;

    /// <param name="ownsSource">Dispose the source with the producer (true when the dataset built it).</param>
    public SpxDayProducer(
        IOptionGreeksSource source, SpxOptions spx, ProcessingOptions options, TimeProvider? time = null, IDiskSpaceProbe? diskProbe = null,
        OutputLayout? layout = null, bool ownsSource = false)
    {
        _source = source;
        _spx = spx;
        _options = options;
        _layout = layout ?? SpxDataset.OutputLayout;
        _time = time ?? TimeProvider.System;
        _disk = diskProbe is null ? new DiskSpaceGuard() : new DiskSpaceGuard(diskProbe);
        _ownsSource = ownsSource;
    }

    public long RequestsSent => _source.Stats.Requests;

    public ValueTask DisposeAsync()
    {
        if (_ownsSource)
        {
            (_source as IDisposable)?.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <param name="stop">Graceful stop: no new expiration starts; those in flight finish; the unit stays resumable.</param>
    /// <param name="abort">Hard stop: everything is cancelled at once (the unit stays resumable).</param>
    public async Task<UnitProduct> ProduceAsync(UnitContext unit, CancellationToken stop, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var date = unit.Date;
        var progress = unit.Progress;
        var staging = unit.CreateStagingDirectory();
        GreeksStaging.DeletePartials(staging);

        progress.Phase = "listing contracts";
        var plan = await DiscoverAsync(unit, abort);
        var subUnits = plan.SubUnits;
        var pending = subUnits.Where(s => !GreeksStaging.IsComplete(staging, s.Name)).ToList();
        progress.Plan(subUnits.Count, subUnits.Count - pending.Count);
        await EnsureDiskSpaceAsync(unit.Ledger, unit.Dataset, pending.Count, subUnits.Count, abort);
        await unit.Ledger.UpdateProgressAsync(unit.Dataset, date, unit.Owner, subUnits.Count, progress.SubUnitsDone, _source.Stats.Requests, abort);

        progress.Phase = "downloading";
        var rejected = new RejectedTotal();
        var (fatal, noData) = await FetchAllAsync(unit, pending, rejected, stop, abort);
        if (fatal is not null)
        {
            throw fatal;
        }

        var stagedFiles = GreeksStaging.ListComplete(staging);
        if (stagedFiles.Count < subUnits.Count)
        {
            var left = subUnits.Count - stagedFiles.Count;
            return UnitProduct.Interrupted(
                $"stopped with {left} of {subUnits.Count} expirations left",
                $"stopped with {stagedFiles.Count}/{subUnits.Count} expirations staged; run the same command again to resume",
                subUnits.Count, progress.SubUnitsResumed);
        }

        progress.Phase = "writing parquet";
        var identity = new SpxFileIdentity(date, _source.Name, _source.Name.EndsWith("v3", StringComparison.Ordinal) ? "v3" : "v2", unit.Dataset);
        SpxParquetWriteResult? written = null;
        var published = await unit.Output.PublishAsync(_layout.KeyFor(date), async (temp, ct) =>
        {
            written = await new SpxParquetWriter(new SpxParquetWriterOptions { ExpectedBarsPerContract = ExpectedBars(date, _spx.IntervalMs) })
                .WriteAsync(stagedFiles, temp, identity, ct);
            progress.Phase = "publishing";
            Backfill.Ledger.CrashPoint.Reach("publish.before-rename");
        }, null, abort);

        var seconds = Math.Max(unit.Elapsed.TotalMilliseconds, 1) / 1000.0;
        return new UnitProduct
        {
            Output = published,
            ContentSha256 = written!.ContentSha256,
            Rows = written.RowCount,
            SubUnits = subUnits.Count,
            SubUnitsResumed = progress.SubUnitsResumed,
            QualityScore = written.Quality.Score,
            DuplicatesDropped = written.DuplicatesDropped,
            RejectedRows = rejected.Value,
            Message = $"{written.RowCount:N0} rows, {published.SizeBytes:N0} bytes",
            Metrics =
            [
                ("rows_per_second", written.RowCount / seconds, "rows/s"),
                ("expirations", subUnits.Count, "count"),
                ("expirations_no_data", noData, "count"),
                ("expirations_listed", plan.Listed, "count"),
                ("expirations_requested", pending.Count, "count"),
                ("expirations_nonempty", subUnits.Count - noData, "count"),
                ("planned_from_contract_listing", plan.FromContractListing ? 1 : 0, "bool"),
                ("rejected_rows", rejected.Value, "rows"),
                ("duplicates_dropped", written.DuplicatesDropped, "rows"),
                ("bars_missing", written.Quality.MissingBars, "bars"),
                ("contracts_short", written.Quality.ShortContracts, "count"),
                ("api_bytes_total", _source.Stats.Bytes, "bytes"),
                ("api_retries_total", _source.Stats.Retries, "count"),
            ],
            AfterCompleted = () =>
            {
                DeleteStaging(staging);
                return Task.CompletedTask;
            },
        };
    }

    /// <summary>What to do about a failed date, appended to its message: retried enough, or never retried and why.</summary>
    public string Advice(Exception error, UnitClaim claim)
    {
        ArgumentNullException.ThrowIfNull(error);
        ArgumentNullException.ThrowIfNull(claim);
        var kind = (error as BackfillException)?.Kind ?? ErrorKind.Unknown;
        if (error.Message.Contains("backfill retry", StringComparison.Ordinal))
        {
            return string.Empty;
        }

        var retry = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{DatasetRegistry.Command(claim.Dataset, "retry")} {claim.TradeDate:yyyy-MM-dd}");
        if (_options.Retry.For(kind).IsRetryable)
        {
            return $" [transient {kind}: gave up after {UnitErrors.Attempts(error)} attempt(s); when the terminal answers normally again run '{retry}']";
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

    /// <summary>
    /// The expirations to request for the date: those the vendor's contract listing shows quoted that day (one request
    /// for all roots), or, when the source has no listing, refuses it or lists nothing, every expiration it lists for
    /// each root (most of which hold nothing for the date). Either way only expirations on or after the date and within
    /// <c>maxDte</c>.
    /// </summary>
    private async Task<Plan> DiscoverAsync(UnitContext unit, CancellationToken abort)
    {
        var date = unit.Date;
        var quoted = await ListQuotedAsync(unit, abort);
        var list = new List<SubUnit>();
        var listed = 0;
        foreach (var root in _spx.Roots)
        {
            IReadOnlyList<DateOnly> expirations;
            if (quoted is not null)
            {
                expirations = quoted.GetValueOrDefault(root) ?? [];
            }
            else
            {
                // The source retries the listing as the table allows; each attempt that failed is logged here.
                var observer = new RequestObserver();
                var step = $"{root} expirations";
                try
                {
                    expirations = await _source.ListExpirationsAsync(root, observer, abort);
                }
                catch (BackfillException e) when (!abort.IsCancellationRequested)
                {
                    await RecordSourceRetriesAsync(unit, step, observer);
                    await RecordFinalErrorAsync(unit, step, e, observer.PriorAttempts);
                    throw;
                }

                await RecordSourceRetriesAsync(unit, step, observer);
            }

            foreach (var expiration in expirations)
            {
                if (expiration < date || (_spx.MaxDte > 0 && expiration.DayNumber - date.DayNumber > _spx.MaxDte))
                {
                    continue;
                }

                listed++;
                list.Add(new SubUnit(root, expiration, GreeksStaging.SubUnitName(root, expiration)));
            }
        }

        if (list.Count == 0)
        {
            throw new NoDataException($"No {string.Join("/", _spx.Roots)} expiration on or after {date:yyyy-MM-dd} is listed by {_source.Name}.");
        }

        return new Plan(list, quoted is not null, listed);
    }

    /// <summary>
    /// The contract listing of the date by root, or null to plan from the expiration lists: the source has none, it
    /// failed after its retries (logged, then planned without it), or it lists nothing of these roots for the date.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, IReadOnlyList<DateOnly>>?> ListQuotedAsync(UnitContext unit, CancellationToken abort)
    {
        if (!_spx.ContractListing)
        {
            return null;
        }

        var observer = new RequestObserver();
        const string step = "contracts";
        try
        {
            var quoted = await _source.ListQuotedExpirationsAsync(_spx.Roots, unit.Date, observer, abort);
            await RecordSourceRetriesAsync(unit, step, observer);
            return quoted is not null && quoted.Values.Any(e => e.Count > 0) ? quoted : null;
        }
        catch (NoDataException)
        {
            await RecordSourceRetriesAsync(unit, step, observer);
            return null;
        }
        catch (ApiVersionGoneException e) when (!abort.IsCancellationRequested)
        {
            // The whole API is gone, not just the listing: nothing else would answer either.
            await RecordSourceRetriesAsync(unit, step, observer);
            await RecordFinalErrorAsync(unit, step, e, observer.PriorAttempts);
            throw;
        }
        catch (BackfillException e) when (!abort.IsCancellationRequested)
        {
            // Not fatal: the date is planned from the expiration lists, as before contract listings existed.
            await RecordSourceRetriesAsync(unit, step, observer);
            await unit.RecordErrorAsync(new ErrorRecord
            {
                Dataset = unit.Dataset, TradeDate = unit.Date, SubUnit = step, ErrorType = e.Kind.ToString(),
                Message = e.Message + " [planned from the expiration lists instead]", Attempt = observer.PriorAttempts, StatusCode = e.StatusCode, WillRetry = false,
            });
            return null;
        }
    }

    /// <summary>What a date asks for: its sub-units, whether they came from the contract listing, and how many were listed.</summary>
    private sealed record Plan(IReadOnlyList<SubUnit> SubUnits, bool FromContractListing, int Listed);

    private async Task<(Exception? Fatal, int NoData)> FetchAllAsync(
        UnitContext unit, IReadOnlyList<SubUnit> pending, RejectedTotal rejected, CancellationToken stop, CancellationToken abort)
    {
        var progress = unit.Progress;
        using var gate = new SemaphoreSlim(_spx.MaxConcurrentSubUnits);
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
                    var (rows, wasEmpty) = await FetchOneAsync(unit, subUnit, rejected, abort);
                    if (wasEmpty)
                    {
                        Interlocked.Increment(ref noData);
                    }

                    await unit.Ledger.MarkSubUnitCompleteAsync(unit.Dataset, unit.Date, subUnit.Name, rows, abort);
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
        await unit.Ledger.UpdateProgressAsync(unit.Dataset, unit.Date, unit.Owner, progress.SubUnitsTotal, progress.SubUnitsDone, _source.Stats.Requests, CancellationToken.None);
        return (fatal, noData);
    }

    /// <summary>Stages one expiration, restarting it after a mid-stream failure as the retry table allows.</summary>
    private async Task<(long Rows, bool Empty)> FetchOneAsync(UnitContext unit, SubUnit subUnit, RejectedTotal total, CancellationToken abort)
    {
        var date = unit.Date;
        var progress = unit.Progress;
        var request = new OptionGreeksRequest(subUnit.Root, subUnit.Expiration, date, _spx.IntervalMs);

        // One attempt count for the expiration, shared with the source's own retries: both layers together stay
        // within the retry table, and a kind the table never retries is never retried.
        var rejected = new RequestObserver();
        while (true)
        {
            long streamed = 0;
            try
            {
                await using var writer = GreeksStagingWriter.Create(unit.StagingDirectory, subUnit.Name);
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
                    await RecordSourceRetriesAsync(unit, subUnit.Name, rejected);
                    return (0, true);
                }

                progress.AddRows(streamed % 4096);
                await writer.CompleteAsync(abort);
                await RecordSourceRetriesAsync(unit, subUnit.Name, rejected);
                total.Add(rejected.RejectedCount - rejectedBefore);
                if (rejected.RejectedCount > rejectedBefore)
                {
                    await unit.Ledger.RecordErrorAsync(new ErrorRecord
                    {
                        Dataset = unit.Dataset, TradeDate = date, SubUnit = subUnit.Name, ErrorType = "InvalidRow",
                        Message = $"{rejected.RejectedCount - rejectedBefore} row(s) rejected and skipped; e.g. {string.Join("; ", rejected.Samples)}",
                        Attempt = rejected.PriorAttempts,
                    }, abort);
                }

                return (writer.RowCount, false);
            }
            catch (BackfillException e)
            {
                await RecordSourceRetriesAsync(unit, subUnit.Name, rejected);
                progress.AddRows(-(streamed - (streamed % 4096)));
                var attempt = rejected.PriorAttempts;
                rejected.AttemptFailed(attempt);
                var retry = _options.Retry.ShouldRetry(e.Kind, attempt) && !abort.IsCancellationRequested;
                if (!retry)
                {
                    await RecordFinalErrorAsync(unit, subUnit.Name, e, attempt);
                    throw;
                }

                await unit.RecordErrorAsync(new ErrorRecord
                {
                    Dataset = unit.Dataset, TradeDate = date, SubUnit = subUnit.Name, ErrorType = e.Kind.ToString(),
                    Message = e.Message, Attempt = attempt, StatusCode = e.StatusCode, WillRetry = true,
                });

                var delay = _options.Retry.DelayBeforeRetry(e.Kind, attempt, (e as RateLimitedException)?.RetryAfter, Random.Shared.NextDouble());
                await Task.Delay(delay, _time, abort);
            }
        }
    }

    /// <summary>Writes the attempts the source retried by itself to the error log.</summary>
    private static async Task RecordSourceRetriesAsync(UnitContext unit, string step, RequestObserver observer)
    {
        foreach (var (error, attempt) in observer.DrainRetries())
        {
            await unit.RecordErrorAsync(new ErrorRecord
            {
                Dataset = unit.Dataset, TradeDate = unit.Date, SubUnit = step, ErrorType = error.Kind.ToString(),
                Message = error.Message, Attempt = attempt, StatusCode = error.StatusCode, WillRetry = true,
            });
        }
    }

    /// <summary>Logs the failure that ends a request (not retried) and marks it so the unit's failure is not logged twice.</summary>
    private async Task RecordFinalErrorAsync(UnitContext unit, string step, BackfillException e, int attempt)
    {
        UnitErrors.MarkLogged(e, attempt + 1);
        await unit.RecordErrorAsync(new ErrorRecord
        {
            Dataset = unit.Dataset, TradeDate = unit.Date, SubUnit = step, ErrorType = e.Kind.ToString(),
            Message = e.Message + Advice(e, unit.Claim), Attempt = attempt, StatusCode = e.StatusCode, WillRetry = false,
        });
    }

    private async Task EnsureDiskSpaceAsync(ILedger ledger, string dataset, int pending, int total, CancellationToken cancellationToken)
    {
        var recent = await ledger.ListUnitsAsync(dataset, null, null, UnitStatus.Success, cancellationToken);
        var rowsPerDay = recent.Count == 0
            ? _spx.DefaultRowsPerDay
            : (long)recent.TakeLast(20).Average(u => (double)(u.RowCount ?? 0));
        var estimate = (long)(rowsPerDay * EstimatedBytesPerRow * (total == 0 ? 1.0 : (double)pending / total));
        _disk.EnsureSpace(_options.TempDirectory, estimate);
        _disk.EnsureSpace(_options.OutputDirectory, rowsPerDay * 40);
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

    /// <summary>Rows rejected across all expirations of the date.</summary>
    private sealed class RejectedTotal
    {
        private long _value;

        public long Value => Interlocked.Read(ref _value);

        public void Add(long rows) => Interlocked.Add(ref _value, rows);
    }

    private sealed record SubUnit(string Root, DateOnly Expiration, string Name);

    /// <summary>
    /// The bars a contract of (root, expiration) should have on <paramref name="date"/>, for the quality score: the
    /// intervals that start in its product's session (<see cref="OptionSessions"/>) before the end of the terminal's
    /// regular hours, 16:00, which is all the terminal returns (rth=true; v3 regular hours by default).
    /// </summary>
    internal static Func<string, DateOnly, int> ExpectedBars(DateOnly date, int intervalMs) =>
        (root, expiration) => OptionSessions.For(root).On(date, expiration) is { } session ? session.Bars(intervalMs, TerminalRegularHoursEnd) : 0;

    /// <summary>The terminal's regular hours end (09:30:00 to 16:00:00 New York time).</summary>
    internal static readonly TimeOnly TerminalRegularHoursEnd = new(16, 0);
}
