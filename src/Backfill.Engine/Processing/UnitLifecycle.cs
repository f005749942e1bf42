using System.Diagnostics;
using Backfill.Core.Errors;
using Backfill.Core.Http;
using Backfill.Engine.Datasets;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Storage.Outputs;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backfill.Engine.Processing;

/// <summary>
/// The life of one unit, the same for every dataset: claim the date with a lease (releasing a dead local worker's
/// claim, refusing a date past its retry limit), renew the lease every third of it while the producer works, give a
/// date that failed on a transient error a second pass after a cool-down, turn a
/// stop into a resumable interruption and any failure into a typed ledger failure with its error row, record the
/// published output with its checksums, rows, quality and metrics, and measure durations on the injected clock.
/// </summary>
public sealed class UnitLifecycle : IUnitProcessor
{
    private readonly ILedger _ledger;
    private readonly IUnitProducer _producer;
    private readonly IOutputStore _output;
    private readonly ProcessingOptions _options;
    private readonly TimeProvider _time;
    private readonly string _owner;
    private readonly ILogger _log;

    /// <param name="log">Where each unit's start, end, failed attempts, retries and request summary are logged.</param>
    public UnitLifecycle(
        ILedger ledger, IUnitProducer producer, IOutputStore output, ProcessingOptions options, TimeProvider? time = null, string? owner = null, ILogger? log = null)
    {
        _log = log ?? NullLogger.Instance;
        _ledger = ledger;
        _producer = producer;
        _output = output;
        _options = options;
        _time = time ?? TimeProvider.System;
        _owner = owner ?? WorkerIdentity.Current;
    }

    /// <summary>The lifecycle around <paramref name="producer"/>, publishing to the output store <paramref name="options"/> names.</summary>
    public static UnitLifecycle For(ILedger ledger, IUnitProducer producer, ProcessingOptions options, TimeProvider? time = null, string? owner = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new UnitLifecycle(ledger, producer, EnginePaths.OutputStore(options), options, time, owner);
    }

    public async Task<UnitOutcome> ProcessAsync(DateOnly date, UnitProgress progress, CancellationToken stop, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var tally = UnitLog.Tally(_log, _options.Dataset, date, _time);
        UnitOutcome outcome;
        using (RequestTally.Begin(tally))
        {
            outcome = await RunAsync(date, progress, stop, abort);
        }

        UnitLog.Finished(_log, _options.Dataset, outcome, tally);
        return outcome;
    }

    private async Task<UnitOutcome> RunAsync(DateOnly date, UnitProgress progress, CancellationToken stop, CancellationToken abort)
    {
        if (_producer.RefusesNewUnits is { } refusal)
        {
            return new UnitOutcome(date, UnitOutcomeKind.Skipped, refusal);
        }

        var started = _time.GetTimestamp();
        var requestsBefore = _producer.RequestsSent;
        var (claim, skipped) = await ClaimAsync(date, abort);
        if (claim is null)
        {
            return skipped!;
        }

        UnitLog.Start(_log, claim.Dataset, UnitLog.Day(date), claim.Attempt, _owner);

        using var leaseStop = CancellationTokenSource.CreateLinkedTokenSource(abort);
        using var leaseLost = CancellationTokenSource.CreateLinkedTokenSource(abort);
        var lease = new LeaseWatch(claim, leaseLost);
        var renewal = RenewLeaseAsync(lease, leaseStop.Token);
        try
        {
            var staging = EnginePaths.StagingDirectory(_options.TempDirectory, claim.Dataset, date);
            var context = new UnitContext(claim, progress, _ledger, _output, staging, _options.TempDirectory, _time);
            var product = await ProduceWithSecondPassAsync(context, stop, leaseLost.Token);
            var elapsed = _time.GetElapsedTime(started);
            var requests = _producer.RequestsSent - requestsBefore;
            if (product.IsInterrupted && await lease.ConfirmLostAsync(_ledger, _owner))
            {
                return LeaseLost();
            }

            if (product.IsInterrupted)
            {
                await _ledger.InterruptUnitAsync(claim.Dataset, date, _owner, product.InterruptedReason!, CancellationToken.None);
                return new UnitOutcome(date, UnitOutcomeKind.Interrupted, product.Message)
                {
                    SubUnits = product.SubUnits, SubUnitsResumed = product.SubUnitsResumed, Duration = elapsed, ApiRequests = requests,
                };
            }

            CrashPoint.Reach("publish.after-rename");
            await CompleteAsync(claim, product, elapsed, requests);
            lease.Completed = true;
            if (product.AfterCompleted is { } after)
            {
                await after();
            }

            progress.Phase = "done";
            return new UnitOutcome(date, UnitOutcomeKind.Success, product.Message)
            {
                FilePath = product.Output!.Location,
                FileSha256 = product.Output.Sha256,
                Rows = product.Rows,
                FileBytes = product.Output.SizeBytes,
                SubUnits = product.SubUnits,
                SubUnitsResumed = product.SubUnitsResumed,
                ApiRequests = requests,
                Duration = elapsed,
                QualityScore = product.QualityScore,
                DuplicatesDropped = product.DuplicatesDropped,
                RejectedRows = product.RejectedRows,
            };
        }
        catch (Exception e)
        {
            if (await lease.ConfirmLostAsync(_ledger, _owner))
            {
                return LeaseLost();
            }

            if (e is OperationCanceledException && (abort.IsCancellationRequested || stop.IsCancellationRequested))
            {
                var how = abort.IsCancellationRequested ? "aborted" : "stopped";
                await _ledger.InterruptUnitAsync(claim.Dataset, date, _owner, how, CancellationToken.None);
                return new UnitOutcome(date, UnitOutcomeKind.Interrupted, $"{how}; completed work is kept, run the same command again to resume")
                {
                    Duration = _time.GetElapsedTime(started), ApiRequests = _producer.RequestsSent - requestsBefore,
                };
            }

            if (e is OperationCanceledException)
            {
                throw;
            }

            return await FailAsync(claim, e, _time.GetElapsedTime(started), _producer.RequestsSent - requestsBefore);
        }
        finally
        {
            await leaseStop.CancelAsync();
            await renewal;
        }

        // Another worker holds the date now: its row is not ours to end, and whatever this attempt staged or published
        // is redone by the new holder. Say so plainly instead of failing on a file the holder cleaned up.
        UnitOutcome LeaseLost()
        {
            var message = $"lease lost: this worker's {_options.Lease.TotalSeconds:0.#} s lease lapsed before it was renewed (a paused process or a slow ledger) " +
                $"and {lease.LostTo} took the date over; this attempt stopped and left the date to it";
            UnitLog.AttemptFailed(_log, claim.Dataset, UnitLog.Day(date), "LeaseLost", claim.Attempt, message);
            return new UnitOutcome(date, UnitOutcomeKind.Skipped, message)
            {
                Duration = _time.GetElapsedTime(started), ApiRequests = _producer.RequestsSent - requestsBefore,
            };
        }
    }

    /// <summary>
    /// Runs the producer; when it fails on a transient error (its sub-unit ran out of the retry table's attempts: a
    /// burst of server errors, a dropped connection), waits a cool-down and runs it once more. The producer resumes
    /// from what it completed (staged sub-units), so the second pass asks only for what failed or never started. A
    /// permanent error, a stop or a second failure ends the date as before.
    /// </summary>
    private async Task<UnitProduct> ProduceWithSecondPassAsync(UnitContext context, CancellationToken stop, CancellationToken abort)
    {
        try
        {
            return await _producer.ProduceAsync(context, stop, abort);
        }
        catch (BackfillException e) when (_options.SecondPassDelay is { } cool && _options.Retry.For(e.Kind).IsRetryable
            && !stop.IsCancellationRequested && !abort.IsCancellationRequested)
        {
            var wait = _options.Retry.Scaled(cool);
            UnitLog.SecondPass(_log, context.Dataset, UnitLog.Day(context.Date), e.Kind.ToString(), wait.TotalSeconds, Core.Text.VendorText.Sanitize(e.Message));
            context.Progress.Phase = "cool-down";
            await Task.Delay(wait, _time, stop);
            context.Progress.Phase = "second pass";
            return await _producer.ProduceAsync(context, stop, abort);
        }
    }

    /// <summary>
    /// Releases a date a dead local worker left in processing, refuses a date past its retry limit, then claims the
    /// date with a lease — or says why it is skipped.
    /// </summary>
    private async Task<(UnitClaim? Claim, UnitOutcome? Skipped)> ClaimAsync(DateOnly date, CancellationToken abort)
    {
        var dataset = _options.Dataset;
        var existing = await _ledger.GetUnitAsync(dataset, date, abort);
        if (existing is { Status: UnitStatus.Processing } && WorkerIdentity.IsDeadLocalOwner(existing.Owner))
        {
            await _ledger.InterruptUnitAsync(dataset, date, existing.Owner!, "the worker process died; resumed by a new run", abort);
            existing = await _ledger.GetUnitAsync(dataset, date, abort);
        }

        var retry = DatasetRegistry.Command(dataset, "retry");
        if (existing is { Status: UnitStatus.Failed } && existing.AttemptCount >= _options.RetryLimit && !_options.IgnoreRetryLimit)
        {
            return (null, new UnitOutcome(date, UnitOutcomeKind.Skipped,
                $"retry limit reached ({existing.AttemptCount} attempts, last {existing.LastErrorType}); run '{retry} {date:yyyy-MM-dd} --force' to try again"));
        }

        var claim = await _ledger.TryClaimUnitAsync(dataset, date, _owner, _options.Lease, _options.AllowSuccessful, abort);
        if (claim is not null)
        {
            return (claim, null);
        }

        return (null, existing is { Status: UnitStatus.Success }
            ? new UnitOutcome(date, UnitOutcomeKind.Skipped, $"already done (use '{retry} DATE --force' to redo it)") { FilePath = existing.FilePath }
            : new UnitOutcome(date, UnitOutcomeKind.Skipped, $"another worker is processing it ({existing?.Owner}, lease until {existing?.LeaseExpiresAt:u})"));
    }

    /// <summary>
    /// Records the output, its checksums and the date's metrics. Ledger writes are not cancellable: a published file
    /// must be recorded even when stopping.
    /// </summary>
    private async Task CompleteAsync(UnitClaim claim, UnitProduct product, TimeSpan elapsed, long requests)
    {
        var output = product.Output ?? throw new InvalidOperationException("A finished unit must name its published output.");
        var durationMs = (long)elapsed.TotalMilliseconds;
        long peak;
        using (var process = Process.GetCurrentProcess())
        {
            peak = process.PeakWorkingSet64;
        }

        await _ledger.CompleteUnitAsync(claim.Dataset, claim.TradeDate, _owner, new UnitSuccess
        {
            FilePath = output.Location,
            FileSize = output.SizeBytes,
            FileSha256 = output.Sha256 ?? throw new InvalidOperationException("A published output must carry its SHA-256."),
            ContentSha256 = product.ContentSha256,
            RowCount = product.Rows,
            SubUnitsTotal = product.SubUnits,
            ApiRequests = requests,
            DurationMs = durationMs,
            PeakMemoryBytes = peak,
            QualityScore = product.QualityScore,
            DuplicatesDropped = product.DuplicatesDropped,
        }, CancellationToken.None);

        var d = claim.Dataset;
        var date = claim.TradeDate;
        var metrics = new List<MetricRecord>
        {
            new(d, date, "rows", product.Rows, "rows"),
            new(d, date, "duration_ms", durationMs, "ms"),
            new(d, date, "file_bytes", output.SizeBytes, "bytes"),
            new(d, date, "api_requests_total", requests, "count"),
            new(d, date, "peak_memory_bytes", peak, "bytes"),
        };
        if (product.QualityScore is { } quality)
        {
            metrics.Add(new(d, date, "quality_score", quality, "ratio"));
        }

        metrics.AddRange(product.Metrics.Select(m => new MetricRecord(d, date, m.Name, m.Value, m.Unit)));
        await _ledger.RecordMetricsAsync(metrics, CancellationToken.None);
    }

    /// <summary>
    /// Records a claimed date's failure: one <c>error_log</c> row for the attempt (unless the request that ended it
    /// was logged where it happened) and the date marked failed. Not cancellable: the failure must be recorded even
    /// when stopping.
    /// </summary>
    private async Task<UnitOutcome> FailAsync(UnitClaim claim, Exception error, TimeSpan elapsed, long requests)
    {
        var kind = error is BackfillException b ? b.Kind.ToString() : nameof(ErrorKind.Unknown);
        var message = (error is BackfillException ? error.Message : $"{error.GetType().Name}: {error.Message}") + _producer.Advice(error, claim);
        UnitLog.AttemptFailed(_log, claim.Dataset, UnitLog.Day(claim.TradeDate), kind, claim.Attempt, Backfill.Core.Text.VendorText.Sanitize(message));
        if (!UnitErrors.IsLogged(error))
        {
            await _ledger.RecordErrorAsync(new ErrorRecord
            {
                Dataset = claim.Dataset, TradeDate = claim.TradeDate, ErrorType = kind, Message = message, Attempt = claim.Attempt - 1,
                StatusCode = (error as BackfillException)?.StatusCode, WillRetry = false,
            }, CancellationToken.None);
        }

        await _ledger.FailUnitAsync(claim.Dataset, claim.TradeDate, claim.Owner, kind, message, CancellationToken.None);
        return new UnitOutcome(claim.TradeDate, UnitOutcomeKind.Failed, message) { ErrorType = kind, Duration = elapsed, ApiRequests = requests };
    }

    /// <summary>
    /// Renews the lease every third of it, so a unit that outlives its lease is never taken over while it runs. When a
    /// renewal finds the date held by another worker (this one's lease lapsed first: a paused process, a slow ledger),
    /// the producer is cancelled at once: two workers must not publish the same date.
    /// </summary>
    private async Task RenewLeaseAsync(LeaseWatch lease, CancellationToken cancellationToken)
    {
        var every = TimeSpan.FromTicks(Math.Max(_options.Lease.Ticks / 3, TimeSpan.FromMilliseconds(100).Ticks));
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(every, _time, cancellationToken);
                await _ledger.RenewLeaseAsync(_owner, _options.Lease, cancellationToken);
                if (await lease.ConfirmLostAsync(_ledger, _owner, cancellationToken))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>Whether the claimed date is still this worker's, and who took it when it is not.</summary>
    private sealed class LeaseWatch(UnitClaim claim, CancellationTokenSource onLost)
    {
        public string? LostTo { get; private set; }

        /// <summary>Set once the date is recorded done by this worker: from then on the row is no longer held by anyone.</summary>
        public bool Completed { get; set; }

        /// <summary>Reads the date's row; when another worker holds it, records who and cancels the producer.</summary>
        public async Task<bool> ConfirmLostAsync(ILedger ledger, string owner, CancellationToken cancellationToken = default)
        {
            if (LostTo is not null)
            {
                return true;
            }

            if (Completed)
            {
                return false;
            }

            UnitRecord? row;
            try
            {
                row = await ledger.GetUnitAsync(claim.Dataset, claim.TradeDate, cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                return false; // the ledger is unreachable: the next renewal tries again; nothing proves the lease lost
            }

            if (row is null || (row.Status == UnitStatus.Processing && string.Equals(row.Owner, owner, StringComparison.Ordinal)))
            {
                return false;
            }

            if (row.Status != UnitStatus.Processing || row.Owner is null)
            {
                // Not processing any more and not by us: someone released or ended it (a takeover that already finished).
                LostTo = row.Owner ?? $"another worker (the date is now {row.Status.ToDb()})";
            }
            else
            {
                LostTo = row.Owner;
            }

            await onLost.CancelAsync();
            return true;
        }
    }
}
