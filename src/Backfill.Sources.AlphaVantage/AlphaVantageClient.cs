using System.Globalization;
using System.Net;
using Backfill.Core.Errors;
using Backfill.Core.Http;
using Backfill.Core.Telemetry;
using Backfill.Core.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace Backfill.Sources.AlphaVantage;

/// <summary>The API key: sent as the <c>apikey</c> query parameter, never printed (ToString is redacted).</summary>
public sealed record AlphaVantageApiKey(string Value)
{
    public const string Variable = "ALPHA_VANTAGE_API_KEY";

    public override string ToString() => "[redacted]";
}

public sealed record AlphaVantageClientOptions
{
    public Uri BaseAddress { get; init; } = new("https://www.alphavantage.co/");

    public required AlphaVantageApiKey ApiKey { get; init; }

    /// <summary>Least time between two requests (the free tier allows about one a second).</summary>
    public TimeSpan MinInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Requests this client may send before it refuses with <see cref="QuotaExhaustedException"/> (free tier: 25 a day).</summary>
    public int RequestBudget { get; init; } = 25;

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public RetryPolicyTable Retry { get; init; } = RetryPolicyTable.Default;

    /// <summary>A budget shared beyond this client (the day's count kept in the ledger, across runs), taken before each request.</summary>
    public IRequestBudget? SharedBudget { get; init; }

    /// <summary>Largest body accepted (a full adjusted series is a few MB).</summary>
    public long MaxBodyBytes { get; init; } = 32L << 20;
}

/// <summary>
/// Alpha Vantage's <c>query</c> API for daily series. Requests are paced (one per <see cref="AlphaVantageClientOptions.MinInterval"/>)
/// and counted against a budget; errors in HTTP 200 bodies become typed errors (<see cref="AlphaVantageErrors"/>), retried per
/// the retry table (a burst limit waits and retries; a spent daily quota, a bad key or an unknown symbol do not).
/// Nothing this client logs or throws contains the API key.
/// </summary>
public sealed partial class AlphaVantageClient : IDisposable
{
    private const string MetricSource = "alphavantage";

    private readonly AlphaVantageClientOptions _options;
    private readonly HttpClient _http;
    private readonly ResiliencePipeline _pipeline;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _pace = new(1, 1);
    private DateTimeOffset _lastRequest = DateTimeOffset.MinValue;
    private int _sent;
    private int _retries;

    /// <param name="logger">Where requests (path and query, never the key) and retries are logged at debug level.</param>
    public AlphaVantageClient(AlphaVantageClientOptions options, HttpMessageHandler? handler = null, TimeProvider? time = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _logger = logger ?? NullLogger.Instance;
        _time = time ?? TimeProvider.System;
        _http = new HttpClient(MeteringHandler.Wrap(handler), disposeHandler: true)
        {
            BaseAddress = options.BaseAddress,
            Timeout = options.RequestTimeout,
        };
        _pipeline = RetryPipeline.Create(options.Retry, (e, attempt, delay) =>
        {
            Interlocked.Increment(ref _retries);
            LogRetry(_logger, e.Kind, attempt + 1, delay.TotalMilliseconds, e.Message);
            BackfillMetrics.RequestRetried(MetricSource, e.Kind);
            return ValueTask.CompletedTask;
        });
    }

    /// <summary>Requests sent (retries included).</summary>
    public int RequestsSent => Volatile.Read(ref _sent);

    public int Retries => Volatile.Read(ref _retries);

    public async Task<DailySeries> GetDailyAsync(
        TickerSymbol symbol, DailyFunction function, OutputSize size, DataType dataType, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        return await _pipeline.ExecuteAsync(async ct => await MeteredGetAsync(symbol, function, size, dataType, ct), cancellationToken);
    }

    private async Task<DailySeries> MeteredGetAsync(TickerSymbol symbol, DailyFunction function, OutputSize size, DataType dataType, CancellationToken ct)
    {
        BackfillMetrics.RequestSent(MetricSource);
        try
        {
            return await GetOnceAsync(symbol, function, size, dataType, ct);
        }
        catch (BackfillException e)
        {
            BackfillMetrics.RequestFailed(MetricSource, e.Kind);
            throw;
        }
    }

    /// <summary>The request path and query; the key is added separately so that this string can be shown.</summary>
    public static string Query(TickerSymbol symbol, DailyFunction function, OutputSize size, DataType dataType)
    {
        ArgumentNullException.ThrowIfNull(symbol);
        var name = function == DailyFunction.DailyAdjusted ? "TIME_SERIES_DAILY_ADJUSTED" : "TIME_SERIES_DAILY";
        return string.Create(CultureInfo.InvariantCulture,
            $"query?function={name}&symbol={Uri.EscapeDataString(symbol.Value)}&outputsize={(size == OutputSize.Full ? "full" : "compact")}&datatype={(dataType == DataType.Csv ? "csv" : "json")}");
    }

    private async Task<DailySeries> GetOnceAsync(TickerSymbol symbol, DailyFunction function, OutputSize size, DataType dataType, CancellationToken ct)
    {
        await PaceAsync(ct);
        var shown = Query(symbol, function, size, dataType);
        var url = shown + "&apikey=" + Uri.EscapeDataString(_options.ApiKey.Value);
        var started = _time.GetTimestamp();
        byte[] body;
        try
        {
            using var response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
            LogResponse(_logger, shown, (int)response.StatusCode, _time.GetElapsedTime(started).TotalMilliseconds);
            if (response.StatusCode == HttpStatusCode.TooManyRequests)
            {
                throw new RateLimitedException($"Alpha Vantage answered 429 for {symbol}.", response.Headers.RetryAfter?.Delta ?? _options.MinInterval) { StatusCode = 429 };
            }

            if ((int)response.StatusCode >= 500)
            {
                throw new ServerErrorException($"Alpha Vantage answered {(int)response.StatusCode} for {symbol}.") { StatusCode = (int)response.StatusCode };
            }

            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidRequestException($"Alpha Vantage answered {(int)response.StatusCode} for {symbol}.") { StatusCode = (int)response.StatusCode };
            }

            if (response.Content.Headers.ContentLength > _options.MaxBodyBytes)
            {
                throw new LargeRequestException($"Alpha Vantage's answer for {symbol} is over {_options.MaxBodyBytes} bytes.");
            }

            body = await ReadBoundedAsync(response.Content, symbol, ct);
            LogBody(_logger, shown, body.LongLength, _time.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (HttpRequestException e)
        {
            // The exception text may carry the URL, and so the key: never pass it on.
            throw new ConnectionFailedException($"Cannot reach Alpha Vantage at {_options.BaseAddress.GetLeftPart(UriPartial.Authority)} for {symbol} ({e.HttpRequestError}).");
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            throw new ConnectionFailedException($"Alpha Vantage did not answer within {_options.RequestTimeout.TotalSeconds:0} s for {symbol}.");
        }
        catch (IOException e)
        {
            throw new ConnectionFailedException($"The connection to Alpha Vantage broke while reading {symbol}: {VendorText.Sanitize(AlphaVantageErrors.Redact(e.Message, _options.ApiKey.Value))}");
        }

        return AlphaVantageParser.Parse(body, symbol, function, _options.ApiKey.Value, _options.MinInterval);
    }

    private async Task<byte[]> ReadBoundedAsync(HttpContent content, TickerSymbol symbol, CancellationToken ct)
    {
        await using var stream = await content.ReadAsStreamAsync(ct);
        using var buffer = new MemoryStream();
        var chunk = new byte[1 << 16];
        int read;
        while ((read = await stream.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > _options.MaxBodyBytes)
            {
                throw new LargeRequestException($"Alpha Vantage's answer for {symbol} is over {_options.MaxBodyBytes} bytes.");
            }
        }

        return buffer.ToArray();
    }

    /// <summary>Waits until the pacing interval has passed since the last request, and spends one unit of budget.</summary>
    private async Task PaceAsync(CancellationToken ct)
    {
        await _pace.WaitAsync(ct);
        try
        {
            if (_sent >= _options.RequestBudget)
            {
                throw new QuotaExhaustedException(
                    $"The request budget of this run ({_options.RequestBudget}, alphavantage.dailyBudget) is spent; run again later or raise it on a premium plan.");
            }

            if (_options.SharedBudget is { } shared)
            {
                await shared.TakeAsync(ct);
            }

            var wait = _lastRequest + _options.MinInterval - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, _time, ct);
            }

            _lastRequest = _time.GetUtcNow();
            Interlocked.Increment(ref _sent);
        }
        finally
        {
            _pace.Release();
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _pace.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "GET {Query} -> {Status} in {LatencyMs:0} ms")]
    private static partial void LogResponse(ILogger logger, string query, int status, double latencyMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "GET {Query} body: {Bytes} bytes in {ElapsedMs:0} ms")]
    private static partial void LogBody(ILogger logger, string query, long bytes, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Retrying after {Kind} (attempt {Attempt}) in {DelayMs:0} ms: {Message}")]
    private static partial void LogRetry(ILogger logger, ErrorKind kind, int attempt, double delayMs, string message);
}
