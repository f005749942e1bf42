using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Backfill.Core.Errors;
using Backfill.Core.Http;
using Backfill.Core.Telemetry;
using Backfill.Core.Text;
using Backfill.Sources.Databento.Dbn;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace Backfill.Sources.Databento.Http;

/// <summary>Decoded result of one <c>get_range</c> call.</summary>
public sealed record DbnBatch(DbnMetadata Metadata, IReadOnlyList<DbnRecord> Records, long BytesReceived);

/// <summary>Counters of what the client did (for metrics and the ledger).</summary>
public sealed class DatabentoClientStats
{
    private long _requests;
    private long _bytes;
    private long _retries;

    public long Requests => Interlocked.Read(ref _requests);

    public long Bytes => Interlocked.Read(ref _bytes);

    public long Retries => Interlocked.Read(ref _retries);

    internal void AddRequest() => Interlocked.Increment(ref _requests);

    internal void AddBytes(long bytes) => Interlocked.Add(ref _bytes, bytes);

    internal void AddRetry() => Interlocked.Increment(ref _retries);
}

/// <summary>
/// Databento historical HTTP API: <c>timeseries.get_range</c> as zstd-compressed DBN, decoded while it streams, and
/// <c>metadata.get_cost</c>. Requests are POSTed form-encoded with the API key as the basic-auth user, like Databento's
/// own clients. Failures become typed errors (<see cref="DatabentoErrors"/>) and are retried per the retry table,
/// honouring Retry-After on 429. The key is never part of a URL, a message or a log line.
/// </summary>
public sealed partial class DatabentoHistoricalClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _ownsHttp;
    private readonly DatabentoClientOptions _options;
    private readonly ResiliencePipeline _retry;
    private const string MetricSource = "databento";

    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="onRetry">Told about every retried failure (error, 0-based attempt, delay).</param>
    /// <param name="logger">Where each request (endpoint, status, time; never the key) is logged at debug level.</param>
    public DatabentoHistoricalClient(
        DatabentoClientOptions options, HttpMessageHandler? handler = null, TimeProvider? time = null,
        Func<BackfillException, int, TimeSpan, ValueTask>? onRetry = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _logger = logger ?? NullLogger.Instance;
        _options = options;
        _time = time ?? TimeProvider.System;
        _ownsHttp = true;
        _http = handler is null ? new HttpClient(new MeteringHandler(new HttpClientHandler()), disposeHandler: true) : new HttpClient(new MeteringHandler(handler), disposeHandler: false);
        _http.BaseAddress = options.BaseAddress;
        _http.Timeout = Timeout.InfiniteTimeSpan;
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue(
            "Basic", Convert.ToBase64String(Encoding.ASCII.GetBytes(options.ApiKey.Reveal() + ":")));
        _http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("backfill", "1.0"));
        _retry = RetryPipeline.Create(options.Retry, async (e, attempt, delay) =>
        {
            Stats.AddRetry();
            BackfillMetrics.RequestRetried(MetricSource, e.Kind);
            Retrying?.Invoke(e, attempt, delay);
            if (onRetry is not null)
            {
                await onRetry(e, attempt, delay);
            }
        });
    }

    /// <summary>
    /// Raised for every failure the client is about to retry (error, 0-based attempt that failed, delay before the next),
    /// on the caller's async flow, so a subscriber can attribute it to the unit of work in progress.
    /// </summary>
    public event Action<BackfillException, int, TimeSpan>? Retrying;

    public DatabentoClientStats Stats { get; } = new();

    /// <summary>Where requests go (for messages).</summary>
    public Uri BaseAddress => _options.BaseAddress;

    /// <summary>
    /// Runs the query and decodes every record <paramref name="keep"/> accepts (all when null), retrying as the
    /// table allows. An empty result is not an error here: callers decide what missing data means.
    /// </summary>
    public Task<DbnBatch> GetRangeAsync(GetRangeRequest request, Func<DbnRecord, bool>? keep = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _retry.ExecuteAsync(async ct => await GetRangeOnceAsync(request, keep, ct), cancellationToken).AsTask();
    }

    /// <summary>The cost of a query in US dollars (<c>metadata.get_cost</c>).</summary>
    public Task<decimal> GetCostAsync(GetRangeRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return _retry.ExecuteAsync(async ct =>
        {
            var body = await SendAsync("/v0/metadata.get_cost", request.FormFields(withEncoding: false), "metadata.get_cost", ct,
                async response => await response.Content.ReadAsStringAsync(ct));
            if (!decimal.TryParse(body.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var cost))
            {
                throw new InvalidResponseException($"Databento metadata.get_cost answered '{VendorText.Sanitize(body, 80)}', not a number.");
            }

            return cost;
        }, cancellationToken).AsTask();
    }

    public void Dispose()
    {
        if (_ownsHttp)
        {
            _http.Dispose();
        }
    }

    private async Task<DbnBatch> GetRangeOnceAsync(GetRangeRequest request, Func<DbnRecord, bool>? keep, CancellationToken cancellationToken)
    {
        return await SendAsync("/v0/timeseries.get_range", request.FormFields(withEncoding: true), "timeseries.get_range " + request, cancellationToken,
            async response =>
            {
                await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                var counting = new CountingStream(body);
                await using var reader = new DbnReader(counting);
                try
                {
                    var metadata = await reader.ReadMetadataAsync(cancellationToken);
                    var records = new List<DbnRecord>();
                    while (await reader.ReadAsync(cancellationToken) is { } record)
                    {
                        if (keep is null || keep(record))
                        {
                            records.Add(record);
                        }
                    }

                    Stats.AddBytes(counting.BytesRead);
                    return new DbnBatch(metadata, records, counting.BytesRead);
                }
                catch (DbnFormatException e)
                {
                    throw new InvalidResponseException($"Databento timeseries.get_range {request}: the DBN body is invalid: {e.Message}", e);
                }
            });
    }

    private async Task<T> SendAsync<T>(
        string path, IReadOnlyList<KeyValuePair<string, string>> form, string what, CancellationToken cancellationToken, Func<HttpResponseMessage, Task<T>> read)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(_options.RequestTimeout);
        Stats.AddRequest();
        BackfillMetrics.RequestSent(MetricSource);
        try
        {
            return await SendOnceAsync(path, form, what, cancellationToken, timeout.Token, read);
        }
        catch (BackfillException e)
        {
            BackfillMetrics.RequestFailed(MetricSource, e.Kind);
            throw;
        }
    }

    private async Task<T> SendOnceAsync<T>(
        string path, IReadOnlyList<KeyValuePair<string, string>> form, string what, CancellationToken cancellationToken, CancellationToken timeoutToken,
        Func<HttpResponseMessage, Task<T>> read)
    {
        try
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(form) };
            var started = _time.GetTimestamp();
            using var response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, timeoutToken);
            LogResponse(_logger, path, what, (int)response.StatusCode, _time.GetElapsedTime(started).TotalMilliseconds);
            if (!response.IsSuccessStatusCode)
            {
                var body = await response.Content.ReadAsStringAsync(timeoutToken);
                throw DatabentoErrors.FromResponse(response.StatusCode, body, response.Headers.RetryAfter, _time.GetUtcNow(), what);
            }

            return await read(response);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ConnectionFailedException($"Databento {what}: no complete answer within {_options.RequestTimeout.TotalSeconds:0} s.", e);
        }
        catch (HttpRequestException e)
        {
            throw new ConnectionFailedException($"Databento {what}: cannot reach {_options.BaseAddress}: {VendorText.Sanitize(e.Message)}", e) { StatusCode = (int?)e.StatusCode };
        }
        catch (IOException e)
        {
            throw new ConnectionFailedException($"Databento {what}: the connection broke: {VendorText.Sanitize(e.Message)}", e);
        }
    }

    /// <summary>Counts compressed bytes as they arrive.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long BytesRead { get; private set; }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            BytesRead += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            BytesRead += n;
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "POST {Path} ({What}) -> {Status} in {LatencyMs:0} ms")]
    private static partial void LogResponse(ILogger logger, string path, string what, int status, double latencyMs);
}
