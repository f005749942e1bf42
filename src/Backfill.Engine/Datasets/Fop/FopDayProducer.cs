using Backfill.Storage.Parquet;
using System.Collections.Concurrent;
using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Ledger.Model;
using Backfill.Engine.Processing;
using Backfill.Sources.Databento.Cme;

namespace Backfill.Engine.Datasets.Fop;

/// <summary>
/// Produces one trading date of the <c>fop</c> dataset: make sure the selections still alive that date exist (computed
/// once per roll date and cached), fetch the front futures and each active option's settlement (close as fallback),
/// then publish a CSV in the reference layout and a Parquet file beside it (the CSV's SHA-256 in the Parquet
/// metadata). Requests are retried inside the Databento client per the retry table; each retry is logged for the date.
/// </summary>
public sealed class FopDayProducer : IUnitProducer
{
    public const string CsvExtension = ".csv";

    private readonly FopMarketData _data;
    private readonly FopStrategy _strategy;
    private readonly ProcessingOptions _options;
    private readonly bool _ownsClient;

    /// <summary>Retries the client reports while this async flow processes one date (null outside a date).</summary>
    private readonly AsyncLocal<ConcurrentQueue<(BackfillException Error, int Attempt)>?> _retries = new();

    /// <param name="ownsClient">Dispose the Databento client with the producer (true when the dataset built it).</param>
    public FopDayProducer(FopMarketData data, FopStrategy strategy, ProcessingOptions options, bool ownsClient = false)
    {
        _data = data;
        _strategy = strategy;
        _options = options;
        _ownsClient = ownsClient;
        _data.Client.Retrying += (error, attempt, _) => _retries.Value?.Enqueue((error, attempt));
    }

    public long RequestsSent => _data.Client.Stats.Requests;

    public ValueTask DisposeAsync()
    {
        if (_ownsClient)
        {
            _data.Client.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Where roll-date selections are cached.</summary>
    public string SelectionCache => Path.Combine(_options.TempDirectory, _options.Dataset, "selections");

    public async Task<UnitProduct> ProduceAsync(UnitContext unit, CancellationToken stop, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(unit);
        var retries = new ConcurrentQueue<(BackfillException Error, int Attempt)>();
        _retries.Value = retries;
        try
        {
            return await ProduceScopedAsync(unit, abort);
        }
        finally
        {
            // The retries first, then (in the lifecycle) the error that ended the attempt.
            _retries.Value = null;
            await RecordRetriesAsync(unit, retries);
        }
    }

    /// <summary>
    /// Writes each retry the Databento client made for this date to the error log: error type, HTTP status, the 0-based
    /// attempt that failed, and <c>will_retry</c> set (the client tried again). The message never holds the API key.
    /// </summary>
    private static async Task RecordRetriesAsync(UnitContext unit, ConcurrentQueue<(BackfillException Error, int Attempt)> retries)
    {
        while (retries.TryDequeue(out var item))
        {
            await unit.RecordErrorAsync(new ErrorRecord
            {
                Dataset = unit.Dataset, TradeDate = unit.Date, SubUnit = "databento", ErrorType = item.Error.Kind.ToString(),
                Message = item.Error.Message, Attempt = item.Attempt, StatusCode = item.Error.StatusCode, WillRetry = true,
            });
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

    private async Task<UnitProduct> ProduceScopedAsync(UnitContext unit, CancellationToken abort)
    {
        var date = unit.Date;
        var progress = unit.Progress;
        progress.Phase = "selecting and downloading";
        progress.Plan(1, 0);
        var rows = await BuildRowsAsync(date, abort);
        progress.AddRows(rows.Count);

        progress.Phase = "writing csv and parquet";
        var csv = FopOutput.Csv(rows);
        var csvSha = FopOutput.Sha256(csv);
        var layout = FopDataset.OutputLayout;
        var csvFile = await unit.Output.PublishAsync(layout.CompanionKeyFor(date, CsvExtension), (temp, ct) => File.WriteAllTextAsync(temp, csv, ct), null, abort);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ParquetMetadataKeys.Dataset] = unit.Dataset,
            [ParquetMetadataKeys.Date] = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            [ParquetMetadataKeys.Source] = "databento-historical",
            [ParquetMetadataKeys.ApiVersion] = "v0",
            [ParquetMetadataKeys.SchemaVersion] = FopOutput.SchemaVersion,
            [ParquetMetadataKeys.RowCount] = rows.Count.ToString(CultureInfo.InvariantCulture),
            [ParquetMetadataKeys.ContentSha256] = csvSha,
            [FopOutput.CsvSha256Key] = csvFile.Sha256!,
            ["backfill.strategy"] = _strategy.CacheKey,
        };
        var published = await unit.Output.PublishAsync(layout.KeyFor(date), (temp, ct) => Task.Run(() => FopOutput.WriteParquet(temp, rows, metadata), ct), metadata, abort);

        var stats = _data.Client.Stats;
        var priced = rows.Count(r => r.OptionPrice is not null);
        var withOption = rows.Count(r => r.Selection is not null);
        var quality = withOption == 0 ? 1.0 : (double)priced / withOption;
        return new UnitProduct
        {
            Output = published,
            ContentSha256 = csvSha,
            Rows = rows.Count,
            SubUnits = 1,
            QualityScore = quality,
            Message = $"{rows.Count} option(s), {string.Join(" ", rows.Where(r => r.Selection is not null).Select(r => r.Selection!.Symbol))}",
            Metrics =
            [
                ("csv_bytes", csvFile.SizeBytes, "bytes"),
                ("options_active", withOption, "count"),
                ("options_unpriced", withOption - priced, "count"),
                ("api_bytes_total", stats.Bytes, "bytes"),
                ("api_retries_total", stats.Retries, "count"),
            ],
        };
    }
}
