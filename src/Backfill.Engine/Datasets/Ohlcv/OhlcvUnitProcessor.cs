using System.Collections.Concurrent;
using System.Diagnostics;
using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Encryption;
using Backfill.Engine.Processing;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Sources.AlphaVantage;
using Backfill.Storage.Publish;

namespace Backfill.Engine.Datasets.Ohlcv;

/// <summary>
/// Processes one NYSE date of the <c>ohlcv</c> dataset: claim the unit, cut each configured symbol's daily series
/// (fetched at most once per run, kept in memory only) at that date, build the CSV in memory, encrypt it with the
/// active key, publish the ciphertext atomically (0600 in 0700 directories), and record in the ledger the SHA-256 of
/// the decrypted content (what <c>verify</c> checks; the ciphertext's hash changes with every key rotation).
/// </summary>
public sealed class OhlcvUnitProcessor : IUnitProcessor
{
    /// <summary>Alpha Vantage's <c>compact</c> size: the latest 100 bars.</summary>
    public const int CompactSessions = 100;

    private readonly ILedger _ledger;
    private readonly AlphaVantageClient _client;
    private readonly IReadOnlyList<TickerSymbol> _symbols;
    private readonly bool _adjusted;
    private readonly KeyStore _keys;
    private readonly ProcessingOptions _options;
    private readonly TimeProvider _time;
    private readonly string _owner;
    private readonly ConcurrentDictionary<string, Lazy<Task<DailySeries>>> _series = new(StringComparer.Ordinal);
    private volatile bool _quotaSpent;

    public OhlcvUnitProcessor(
        ILedger ledger, AlphaVantageClient client, IReadOnlyList<TickerSymbol> symbols, bool adjusted, KeyStore keys,
        ProcessingOptions options, TimeProvider? time = null, string? owner = null)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        if (symbols.Count == 0)
        {
            throw new ArgumentException("At least one symbol is needed.", nameof(symbols));
        }

        _ledger = ledger;
        _client = client;
        _symbols = symbols;
        _adjusted = adjusted;
        _keys = keys;
        _options = options;
        _time = time ?? TimeProvider.System;
        _owner = owner ?? WorkerIdentity.Current;
    }

    /// <summary>The series size this run asks for (set by <see cref="Plan"/>; compact until then).</summary>
    public OutputSize Size { get; private set; } = OutputSize.Compact;

    /// <summary>Requests sent to Alpha Vantage by this run.</summary>
    public int RequestsSent => _client.RequestsSent;

    /// <summary>
    /// Chooses the smallest series that covers the dates of this run: <c>compact</c> when the oldest lies within the
    /// last <see cref="CompactSessions"/> sessions up to <paramref name="latestSession"/>, <c>full</c> otherwise.
    /// </summary>
    public OutputSize Plan(IReadOnlyCollection<DateOnly> dates, DateOnly latestSession, ITradingCalendar calendar)
    {
        ArgumentNullException.ThrowIfNull(dates);
        ArgumentNullException.ThrowIfNull(calendar);
        Size = dates.Count == 0 || calendar.CountSessions(dates.Min(), latestSession) <= CompactSessions
            ? OutputSize.Compact
            : OutputSize.Full;
        return Size;
    }

    public async Task<UnitOutcome> ProcessAsync(DateOnly date, UnitProgress progress, CancellationToken stop, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var watch = Stopwatch.StartNew();
        var requestsBefore = _client.RequestsSent;
        var dataset = _options.Dataset;
        if (_quotaSpent)
        {
            // Once the budget or the vendor's quota is spent, later dates are not claimed: they stay as they were, for the next run.
            return new UnitOutcome(date, UnitOutcomeKind.Skipped,
                "not attempted: the Alpha Vantage request budget or daily quota is spent; run the same command again after it resets");
        }

        var (claim, skipped) = await UnitLifecycle.ClaimAsync(_ledger, _options, _owner, date, abort);
        if (claim is null)
        {
            return skipped!;
        }

        try
        {
            var outcome = await RunClaimedAsync(date, progress, abort);
            return outcome with { Duration = watch.Elapsed, ApiRequests = _client.RequestsSent - requestsBefore };
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested || stop.IsCancellationRequested)
        {
            await _ledger.InterruptUnitAsync(dataset, date, _owner, "stopped", CancellationToken.None);
            return new UnitOutcome(date, UnitOutcomeKind.Interrupted, "stopped; run the same command again to resume") { Duration = watch.Elapsed };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _quotaSpent |= e is QuotaExhaustedException;
            return await UnitLifecycle.FailAsync(_ledger, claim, e, watch.Elapsed);
        }
    }

    /// <summary>One symbol's series: fetched on first use, then shared by every date of the run (a failure too, so a refused symbol is asked once).</summary>
    private Task<DailySeries> SeriesAsync(TickerSymbol symbol) =>
        _series.GetOrAdd(symbol.Value, _ => new Lazy<Task<DailySeries>>(
            () => _client.GetDailyAsync(symbol, _adjusted ? DailyFunction.DailyAdjusted : DailyFunction.Daily, Size, DataType.Json, CancellationToken.None))).Value;

    /// <summary>The rows of one date in symbol order, and the symbols without a bar that date.</summary>
    public async Task<(IReadOnlyList<OhlcvRow> Rows, IReadOnlyList<string> Missing)> BuildRowsAsync(DateOnly date, CancellationToken cancellationToken)
    {
        var rows = new List<OhlcvRow>();
        var missing = new List<string>();
        foreach (var symbol in _symbols)
        {
            var series = await SeriesAsync(symbol).WaitAsync(cancellationToken);
            var bar = series.Bars.FirstOrDefault(b => b.Date == date);
            if (bar is null)
            {
                missing.Add(symbol.Value);
            }
            else
            {
                rows.Add(new OhlcvRow(symbol, bar));
            }
        }

        return (rows, missing);
    }

    private async Task<UnitOutcome> RunClaimedAsync(DateOnly date, UnitProgress progress, CancellationToken abort)
    {
        var dataset = _options.Dataset;
        progress.Phase = "downloading";
        progress.Plan(_symbols.Count, 0);
        var (rows, missing) = await BuildRowsAsync(date, abort);
        if (rows.Count == 0)
        {
            throw new NoDataException(
                $"None of the {_symbols.Count} symbol(s) has a bar on {date:yyyy-MM-dd} in the {Size.ToString().ToLowerInvariant()} series.");
        }

        progress.AddRows(rows.Count);
        progress.Phase = "encrypting and writing";
        var plaintext = OhlcvOutput.Csv(rows, _adjusted);
        string contentSha;
        byte[] ciphertext;
        try
        {
            contentSha = OhlcvOutput.Sha256(plaintext);
            ciphertext = EncryptedFile.Encrypt(plaintext, _keys.ActiveKey);
        }
        finally
        {
            Array.Clear(plaintext);
        }

        var path = EnginePaths.OutputFile(_options.OutputDirectory, dataset, date);
        var publisher = new AtomicFilePublisher(EnginePaths.PublishDirectory(_options.TempDirectory, dataset), _options.OutputDirectory);
        var published = await publisher.PublishAsync(path, (temp, ct) => File.WriteAllBytesAsync(temp, ciphertext, ct), abort);

        var duration = (long)(_time.GetUtcNow() - progress.StartedAt).TotalMilliseconds;
        using var process = Process.GetCurrentProcess();
        var quality = (double)rows.Count / _symbols.Count;
        await _ledger.CompleteUnitAsync(dataset, date, _owner, new UnitSuccess
        {
            FilePath = published.Path,
            FileSize = published.SizeBytes,
            FileSha256 = published.Sha256,
            ContentSha256 = contentSha,
            RowCount = rows.Count,
            SubUnitsTotal = _symbols.Count,
            ApiRequests = _client.RequestsSent,
            DurationMs = duration,
            PeakMemoryBytes = process.PeakWorkingSet64,
            QualityScore = quality,
            DuplicatesDropped = 0,
        }, CancellationToken.None);
        await _ledger.RecordMetricsAsync(
        [
            new(dataset, date, "rows", rows.Count, "rows"),
            new(dataset, date, "duration_ms", duration, "ms"),
            new(dataset, date, "file_bytes", published.SizeBytes, "bytes"),
            new(dataset, date, "symbols_missing", missing.Count, "count"),
            new(dataset, date, "quality_score", quality, "ratio"),
            new(dataset, date, "api_requests_total", _client.RequestsSent, "count"),
            new(dataset, date, "api_retries_total", _client.Retries, "count"),
        ], CancellationToken.None);
        progress.Phase = "done";
        var message = $"{rows.Count} symbol(s), key {_keys.ActiveKey.Id}" + (missing.Count > 0 ? $"; no bar for {string.Join(" ", missing)}" : string.Empty);
        return new UnitOutcome(date, UnitOutcomeKind.Success, message)
        {
            FilePath = published.Path,
            FileSha256 = published.Sha256,
            Rows = rows.Count,
            FileBytes = published.SizeBytes,
            SubUnits = _symbols.Count,
            QualityScore = quality,
        };
    }
}
