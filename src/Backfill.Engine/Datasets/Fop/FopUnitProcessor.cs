using Backfill.Storage.Parquet;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Ledger;
using Backfill.Ledger.Model;
using Backfill.Engine.Processing;
using Backfill.Sources.Databento.Cme;
using Backfill.Engine.Datasets.Spx.Parquet;
using Backfill.Storage.Publish;

namespace Backfill.Engine.Datasets.Fop;

/// <summary>
/// Processes one trading date of the <c>fop</c> dataset: claim the unit, make sure the selections still alive that date
/// exist (computed once per roll date and cached), fetch the front futures and each active option's settlement (close
/// as fallback), then publish atomically a CSV in the reference layout and a Parquet file beside it, record the
/// Parquet file's SHA-256 (the CSV's is in its metadata) and the metrics in the ledger. Requests are retried inside
/// the Databento client per the retry table (counted in the <c>api_retries_total</c> metric).
/// </summary>
public sealed class FopUnitProcessor : IUnitProcessor
{
    private readonly ILedger _ledger;
    private readonly FopMarketData _data;
    private readonly FopStrategy _strategy;
    private readonly ProcessingOptions _options;
    private readonly TimeProvider _time;
    private readonly string _owner;

    /// <summary>Retries the client reports while this async flow processes one date (null outside a date).</summary>
    private readonly AsyncLocal<ConcurrentQueue<(BackfillException Error, int Attempt)>?> _retries = new();

    public FopUnitProcessor(ILedger ledger, FopMarketData data, FopStrategy strategy, ProcessingOptions options, TimeProvider? time = null, string? owner = null)
    {
        _ledger = ledger;
        _data = data;
        _strategy = strategy;
        _options = options;
        _time = time ?? TimeProvider.System;
        _owner = owner ?? WorkerIdentity.Current;
        _data.Client.Retrying += (error, attempt, _) => _retries.Value?.Enqueue((error, attempt));
    }

    /// <summary>Where roll-date selections are cached.</summary>
    public string SelectionCache => Path.Combine(_options.TempDirectory, _options.Dataset, "selections");

    public async Task<UnitOutcome> ProcessAsync(DateOnly date, UnitProgress progress, CancellationToken stop, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(progress);
        var watch = Stopwatch.StartNew();
        var requestsBefore = _data.Client.Stats.Requests;
        var retries = new ConcurrentQueue<(BackfillException Error, int Attempt)>();
        _retries.Value = retries;
        try
        {
            return await ProcessScopedAsync(date, progress, watch, requestsBefore, stop, abort);
        }
        finally
        {
            _retries.Value = null;
            await RecordRetriesAsync(date, retries);
        }
    }

    private async Task<UnitOutcome> ProcessScopedAsync(
        DateOnly date, UnitProgress progress, Stopwatch watch, long requestsBefore, CancellationToken stop, CancellationToken abort)
    {
        var dataset = _options.Dataset;
        var (claim, skipped) = await UnitLifecycle.ClaimAsync(_ledger, _options, _owner, date, abort);
        if (claim is null)
        {
            return skipped!;
        }

        try
        {
            var outcome = await RunClaimedAsync(date, progress, abort);
            return outcome with { Duration = watch.Elapsed, ApiRequests = _data.Client.Stats.Requests - requestsBefore };
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested || stop.IsCancellationRequested)
        {
            await _ledger.InterruptUnitAsync(dataset, date, _owner, "stopped", CancellationToken.None);
            return new UnitOutcome(date, UnitOutcomeKind.Interrupted, "stopped; run the same command again to resume") { Duration = watch.Elapsed };
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            if (_retries.Value is { } retried)
            {
                await RecordRetriesAsync(date, retried); // the retries first, then the error that ended the attempt
            }

            return await UnitLifecycle.FailAsync(_ledger, claim, e, watch.Elapsed);
        }
    }

    /// <summary>
    /// Writes each retry the Databento client made for this date to the error log: error type, HTTP status, the 0-based
    /// attempt that failed, and <c>will_retry</c> set (the client tried again). The message never holds the API key.
    /// </summary>
    private async Task RecordRetriesAsync(DateOnly date, ConcurrentQueue<(BackfillException Error, int Attempt)> retries)
    {
        while (retries.TryDequeue(out var item))
        {
            await _ledger.RecordErrorAsync(new ErrorRecord
            {
                Dataset = _options.Dataset, TradeDate = date, SubUnit = "databento", ErrorType = item.Error.Kind.ToString(),
                Message = item.Error.Message, Attempt = item.Attempt, StatusCode = item.Error.StatusCode, WillRetry = true,
            }, CancellationToken.None);
        }
    }

    /// <summary>The rows of one date, without touching the ledger or the disk output (also used by tests and the bench).</summary>
    public async Task<IReadOnlyList<FopRow>> BuildRowsAsync(DateOnly date, CancellationToken cancellationToken)
    {
        var selector = new FopSelector(_data, _strategy, SelectionCache);
        var selections = new List<FopSelection>();
        foreach (var (roll, contract) in selector.ActiveRolls(date))
        {
            selections.Add(await selector.SelectAsync(roll, contract, cancellationToken));
        }

        var front = CmeEnergyContracts.FuturesSymbol(FopStrategy.FuturesRoot, CmeEnergyContracts.FrontFutures(date));
        var prices = await _data.DailyPricesAsync([front, .. selections.Select(s => s.Symbol)], date, cancellationToken);
        if (!prices.TryGetValue(front, out var futures))
        {
            throw new NoDataException($"The front futures {front} has no settlement or close on {date:yyyy-MM-dd}.");
        }

        if (selections.Count == 0)
        {
            return [new FopRow(date, front, futures.Price, futures.Source, null, null, null)];
        }

        return [.. selections.Select(s => prices.TryGetValue(s.Symbol, out var p)
            ? new FopRow(date, front, futures.Price, futures.Source, s, p.Price, p.Source)
            : new FopRow(date, front, futures.Price, futures.Source, s, null, null))];
    }

    private async Task<UnitOutcome> RunClaimedAsync(DateOnly date, UnitProgress progress, CancellationToken abort)
    {
        var dataset = _options.Dataset;
        progress.Phase = "selecting and downloading";
        progress.Plan(1, 0);
        var rows = await BuildRowsAsync(date, abort);
        progress.AddRows(rows.Count);

        progress.Phase = "writing csv and parquet";
        var csv = FopOutput.Csv(rows);
        var csvSha = FopOutput.Sha256(csv);
        var parquetPath = EnginePaths.OutputFile(_options.OutputDirectory, dataset, date);
        var csvPath = Path.ChangeExtension(parquetPath, ".csv");
        var publisher = new AtomicFilePublisher(EnginePaths.PublishDirectory(_options.TempDirectory, dataset), _options.OutputDirectory);
        var csvFile = await publisher.PublishAsync(csvPath, (temp, ct) => File.WriteAllTextAsync(temp, csv, ct), abort);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ParquetMetadataKeys.Dataset] = dataset,
            [ParquetMetadataKeys.Date] = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            [ParquetMetadataKeys.Source] = "databento-historical",
            [ParquetMetadataKeys.ApiVersion] = "v0",
            [ParquetMetadataKeys.SchemaVersion] = FopOutput.SchemaVersion,
            [ParquetMetadataKeys.RowCount] = rows.Count.ToString(CultureInfo.InvariantCulture),
            [ParquetMetadataKeys.ContentSha256] = csvSha,
            [FopOutput.CsvSha256Key] = csvFile.Sha256,
            ["backfill.strategy"] = _strategy.CacheKey,
        };
        var published = await publisher.PublishAsync(parquetPath, (temp, ct) => Task.Run(() => FopOutput.WriteParquet(temp, rows, metadata), ct), abort);

        var duration = (long)(_time.GetUtcNow() - progress.StartedAt).TotalMilliseconds;
        using var process = Process.GetCurrentProcess();
        var stats = _data.Client.Stats;
        var priced = rows.Count(r => r.OptionPrice is not null);
        var withOption = rows.Count(r => r.Selection is not null);
        var quality = withOption == 0 ? 1.0 : (double)priced / withOption;
        await _ledger.CompleteUnitAsync(dataset, date, _owner, new UnitSuccess
        {
            FilePath = published.Path,
            FileSize = published.SizeBytes,
            FileSha256 = published.Sha256,
            ContentSha256 = csvSha,
            RowCount = rows.Count,
            SubUnitsTotal = 1,
            ApiRequests = stats.Requests,
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
            new(dataset, date, "csv_bytes", csvFile.SizeBytes, "bytes"),
            new(dataset, date, "options_active", withOption, "count"),
            new(dataset, date, "options_unpriced", withOption - priced, "count"),
            new(dataset, date, "quality_score", quality, "ratio"),
            new(dataset, date, "api_requests_total", stats.Requests, "count"),
            new(dataset, date, "api_bytes_total", stats.Bytes, "bytes"),
            new(dataset, date, "api_retries_total", stats.Retries, "count"),
        ], CancellationToken.None);
        progress.Phase = "done";
        return new UnitOutcome(date, UnitOutcomeKind.Success, $"{rows.Count} option(s), {string.Join(" ", rows.Where(r => r.Selection is not null).Select(r => r.Selection!.Symbol))}")
        {
            FilePath = published.Path,
            FileSha256 = published.Sha256,
            Rows = rows.Count,
            FileBytes = published.SizeBytes,
            SubUnits = 1,
            QualityScore = quality,
        };
    }
}
