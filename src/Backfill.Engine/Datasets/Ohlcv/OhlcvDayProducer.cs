using System.Collections.Concurrent;
using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Encryption;
using Backfill.Engine.Processing;
using Backfill.Sources.AlphaVantage;

namespace Backfill.Engine.Datasets.Ohlcv;

/// <summary>
/// Produces one NYSE date of the <c>ohlcv</c> dataset: cut each configured symbol's daily series (fetched at most once
/// per run, kept in memory only) at that date, build the CSV in memory, encrypt it with the active key and publish the
/// ciphertext; the content SHA-256 of the decrypted CSV is what the ledger keeps for <c>verify</c> (the ciphertext's
/// hash changes with every key rotation).
/// </summary>
public sealed class OhlcvDayProducer : IUnitProducer
{
    /// <summary>Alpha Vantage's <c>compact</c> size: the latest 100 bars.</summary>
    public const int CompactSessions = 100;

    private readonly AlphaVantageClient _client;
    private readonly IReadOnlyList<TickerSymbol> _symbols;
    private readonly bool _adjusted;
    private readonly KeyStore _keys;
    private readonly ITradingCalendar _calendar;
    private readonly TimeProvider _time;
    private readonly bool _ownsClient;
    private readonly ConcurrentDictionary<string, Lazy<Task<DailySeries>>> _series = new(StringComparer.Ordinal);
    private volatile bool _quotaSpent;

    /// <param name="ownsClient">Dispose the client with the producer (true when the dataset built it).</param>
    public OhlcvDayProducer(
        AlphaVantageClient client, IReadOnlyList<TickerSymbol> symbols, bool adjusted, KeyStore keys, ITradingCalendar calendar,
        TimeProvider? time = null, bool ownsClient = false)
    {
        ArgumentNullException.ThrowIfNull(symbols);
        if (symbols.Count == 0)
        {
            throw new ArgumentException("At least one symbol is needed.", nameof(symbols));
        }

        _client = client;
        _symbols = symbols;
        _adjusted = adjusted;
        _keys = keys;
        _calendar = calendar;
        _time = time ?? TimeProvider.System;
        _ownsClient = ownsClient;
    }

    public long RequestsSent => _client.RequestsSent;

    /// <summary>Once the budget or the vendor's quota is spent, later dates are not claimed: they stay as they were, for the next run.</summary>
    public string? RefusesNewUnits => _quotaSpent
        ? "not attempted: the Alpha Vantage request budget or daily quota is spent; run the same command again after it resets"
        : null;

    public ValueTask DisposeAsync()
    {
        if (_ownsClient)
        {
            _client.Dispose();
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Sizes the series by the dates still missing (done dates are skipped before any request).</summary>
    public Task PrepareAsync(IReadOnlyList<DateOnly> dates, CancellationToken cancellationToken)
    {
        Plan([.. dates], GapLatest(), _calendar);
        return Task.CompletedTask;
    }

    private DateOnly GapLatest() => Gaps.GapAnalyzer.LatestCompleteSession(_calendar, _time.GetUtcNow());

    /// <summary>The series size this run asks for (set by <see cref="Plan"/>; compact until then).</summary>
    public OutputSize Size { get; private set; } = OutputSize.Compact;

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

    public async Task<UnitProduct> ProduceAsync(UnitContext unit, CancellationToken stop, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(unit);
        try
        {
            return await ProduceCoreAsync(unit, abort);
        }
        catch (QuotaExhaustedException)
        {
            _quotaSpent = true;
            throw;
        }
    }

    private async Task<UnitProduct> ProduceCoreAsync(UnitContext unit, CancellationToken abort)
    {
        var date = unit.Date;
        var progress = unit.Progress;
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

        var published = await unit.Output.PublishAsync(OhlcvDataset.OutputLayout.KeyFor(date), (temp, ct) => File.WriteAllBytesAsync(temp, ciphertext, ct), null, abort);
        var quality = (double)rows.Count / _symbols.Count;
        return new UnitProduct
        {
            Output = published,
            ContentSha256 = contentSha,
            Rows = rows.Count,
            SubUnits = _symbols.Count,
            QualityScore = quality,
            Message = $"{rows.Count} symbol(s), key {_keys.ActiveKey.Id}" + (missing.Count > 0 ? $"; no bar for {string.Join(" ", missing)}" : string.Empty),
            Metrics =
            [
                ("symbols_missing", missing.Count, "count"),
                ("api_retries_total", _client.Retries, "count"),
            ],
        };
    }
}
