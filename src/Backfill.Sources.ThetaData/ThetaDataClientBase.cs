using System.Diagnostics;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;
using Backfill.Core.Http;
using Backfill.Core.Telemetry;
using Microsoft.Extensions.Logging;

namespace Backfill.Sources.ThetaData;

/// <summary>
/// What both API versions share: one HTTP client, a global concurrency gate held for a whole body (pages
/// included), retries from the table around whole requests, status mapping, stats and Debug logging.
/// Attempts are numbered per logical request, continuing from the caller's <see cref="ISourceRequestObserver.PriorAttempts"/>,
/// so the caller's restarts and the client's own retries together stay within the retry table, and an error kind
/// the table never retries (a permanent one) is never retried here.
/// </summary>
public abstract partial class ThetaDataClientBase : IOptionGreeksSource, IDisposable
{
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _gate;

    private protected ThetaDataClientBase(ThetaDataClientOptions options, ILogger logger, HttpMessageHandler? handler)
    {
        options.Validate();
        Options = options;
        Logger = logger;
        _http = new HttpClient(new MeteringHandler(handler ?? new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            AutomaticDecompression = DecompressionMethods.All,
            MaxConnectionsPerServer = options.MaxConcurrentRequests + 2,
        }), disposeHandler: handler is null)
        {
            BaseAddress = options.BaseAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _gate = new SemaphoreSlim(options.MaxConcurrentRequests, options.MaxConcurrentRequests);
    }

    public abstract string Name { get; }

    public OptionSourceStats Stats { get; } = new();

    private protected ThetaDataClientOptions Options { get; }

    private protected ILogger Logger { get; }

    private const string MetricSource = "thetadata";

    public Task<IReadOnlyList<DateOnly>> ListExpirationsAsync(string root, CancellationToken cancellationToken) =>
        ListExpirationsAsync(root, null, cancellationToken);

    public abstract Task<IReadOnlyList<DateOnly>> ListExpirationsAsync(string root, ISourceRequestObserver? observer, CancellationToken cancellationToken);

    public abstract Task<IReadOnlyDictionary<string, IReadOnlyList<DateOnly>>?> ListQuotedExpirationsAsync(
        IReadOnlyList<string> roots, DateOnly date, ISourceRequestObserver? observer, CancellationToken cancellationToken);

    /// <summary>Expirations per root from (root, expiration) pairs of a contract listing, each root in <paramref name="roots"/> present.</summary>
    private protected static IReadOnlyDictionary<string, IReadOnlyList<DateOnly>> ByRoot(IReadOnlyList<string> roots, IEnumerable<(string Root, DateOnly Expiration)> contracts)
    {
        var sets = roots.ToDictionary(r => r, _ => new SortedSet<DateOnly>(), StringComparer.Ordinal);
        foreach (var (root, expiration) in contracts)
        {
            if (sets.TryGetValue(root, out var set))
            {
                set.Add(expiration);
            }
        }

        return sets.ToDictionary(p => p.Key, p => (IReadOnlyList<DateOnly>)[.. p.Value], StringComparer.Ordinal);
    }

    public async IAsyncEnumerable<OptionGreeksRow> StreamGreeksAsync(
        OptionGreeksRequest request, ISourceRequestObserver? rejected, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ValidateRequest(request);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var url = GreeksUrl(request);
            var what = $"{request.Root} {request.Expiration:yyyy-MM-dd} on {request.TradeDate:yyyy-MM-dd}";
            var yielded = false;
            long rowNumber = 0;
            var batch = new List<OptionGreeksRow>(1024);
            var visited = new HashSet<string>(StringComparer.Ordinal);
            while (url is not null)
            {
                if (!visited.Add(url.AbsoluteUri))
                {
                    // A page that names an already read page as the next one would be read forever.
                    throw ThetaErrors.Malformed(what, $"next_page {Redact(url)} was already read; the pages loop");
                }

                var pageUrl = url;
                async ValueTask<PageReader> Open(CancellationToken ct)
                {
                    var response = await SendAsync(pageUrl, what, ct).ConfigureAwait(false);
                    var stream = await response.Content.ReadAsStreamAsync(ct).ConfigureAwait(false);
                    var reader = new PageReader(response, CreateParser(stream, what, rejected, rowNumber));
                    try
                    {
                        batch.Clear();
                        reader.HasMore = await reader.Parser.ReadBatchAsync(batch, ct).ConfigureAwait(false);
                        return reader;
                    }
                    catch
                    {
                        reader.Dispose();
                        throw;
                    }
                }

                // Before any row went out, the whole request (or page) is retried; after, a failure propagates.
                var page = yielded
                    ? await Open(cancellationToken).ConfigureAwait(false)
                    : await WithRetriesAsync(Open, rejected, cancellationToken).ConfigureAwait(false);
                using (page)
                {
                    var started = Stopwatch.GetTimestamp();
                    long pageRows = 0;
                    while (true)
                    {
                        foreach (var row in batch)
                        {
                            yielded = true;
                            yield return row;
                        }

                        pageRows += batch.Count;
                        Stats.AddRows(batch.Count);
                        batch.Clear();
                        if (!page.HasMore)
                        {
                            break;
                        }

                        page.HasMore = await page.Parser.ReadBatchAsync(batch, cancellationToken).ConfigureAwait(false);
                    }

                    LogBody(Logger, Redact(pageUrl), pageRows, page.Parser.BytesRead, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    rowNumber = RowNumberAfter(page.Parser);
                    url = OnTerminal(NextPage(page.Parser), what);
                }
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    public abstract Task<SourceHealth> CheckTerminalAsync(CancellationToken cancellationToken);

    public void Dispose()
    {
        _http.Dispose();
        _gate.Dispose();
        GC.SuppressFinalize(this);
    }

    private protected abstract Uri GreeksUrl(OptionGreeksRequest request);

    private protected abstract ChunkedJsonParser CreateParser(Stream body, string what, ISourceRequestObserver? rejected, long firstRowNumber);

    private protected abstract Uri? NextPage(ChunkedJsonParser parser);

    private protected abstract long RowNumberAfter(ChunkedJsonParser parser);

    private protected virtual void ValidateRequest(OptionGreeksRequest request)
    {
        if (string.IsNullOrWhiteSpace(request.Root))
        {
            throw new InvalidInputException("The option root must not be empty.");
        }

        if (request.IntervalMs <= 0)
        {
            throw new InvalidInputException($"The interval must be positive milliseconds, got {request.IntervalMs}.");
        }
    }

    /// <summary>A small JSON call (a list), retried as a whole, under the concurrency gate.</summary>
    private protected Task<T> GetJsonAsync<T>(Uri url, string what, Func<JsonDocument, T> read, CancellationToken cancellationToken) =>
        GetJsonAsync(url, what, read, null, cancellationToken);

    /// <summary>A small JSON call (a list), retried as a whole, under the concurrency gate; retries are told to <paramref name="observer"/>.</summary>
    private protected Task<T> GetJsonAsync<T>(Uri url, string what, Func<JsonDocument, T> read, ISourceRequestObserver? observer, CancellationToken cancellationToken) =>
        WithRetriesAsync(
            async ct =>
            {
                await _gate.WaitAsync(ct).ConfigureAwait(false);
                try
                {
                    using var response = await SendAsync(url, what, ct).ConfigureAwait(false);
                    var body = await ReadBodyAsync(response, what, ct).ConfigureAwait(false);
                    Stats.AddBytes(body.Length);
                    var trimmed = body.AsSpan().TrimStart(" \r\n\t"u8);
                    if (trimmed.Length > 0 && trimmed[0] != (byte)'{' && System.Text.Encoding.UTF8.GetString(trimmed).Contains("no data", StringComparison.OrdinalIgnoreCase))
                    {
                        throw new NoDataException($"ThetaData has no data for {what}.") { StatusCode = 200 };
                    }

                    JsonDocument doc;
                    try
                    {
                        doc = JsonDocument.Parse(body);
                    }
                    catch (JsonException e)
                    {
                        throw ThetaErrors.Malformed(what, e.Message, e);
                    }

                    using (doc)
                    {
                        try
                        {
                            return read(doc);
                        }
                        catch (Exception e) when (e is InvalidOperationException or KeyNotFoundException or FormatException)
                        {
                            throw ThetaErrors.Malformed(what, e.Message, e);
                        }
                    }
                }
                finally
                {
                    _gate.Release();
                }
            },
            observer,
            cancellationToken).AsTask();

    /// <summary>
    /// Runs <paramref name="action"/> until it succeeds or the retry table says stop. Attempt numbers continue from
    /// the observer's <see cref="ISourceRequestObserver.PriorAttempts"/>; each retried failure is reported to it.
    /// </summary>
    private async ValueTask<T> WithRetriesAsync<T>(Func<CancellationToken, ValueTask<T>> action, ISourceRequestObserver? observer, CancellationToken cancellationToken)
    {
        for (var attempt = Math.Max(0, observer?.PriorAttempts ?? 0); ; attempt++)
        {
            try
            {
                return await action(cancellationToken).ConfigureAwait(false);
            }
            catch (BackfillException e)
            {
                BackfillMetrics.RequestFailed(MetricSource, e.Kind);
                if (!Options.Retry.ShouldRetry(e.Kind, attempt) || cancellationToken.IsCancellationRequested)
                {
                    throw;
                }

                BackfillMetrics.RequestRetried(MetricSource, e.Kind);
                var delay = Options.Retry.DelayBeforeRetry(e.Kind, attempt, (e as RateLimitedException)?.RetryAfter, Random.Shared.NextDouble());
                Stats.AddRetry();
                observer?.OnRetrying(e, attempt);
                RequestTally.ReportRetry(e, attempt, delay);
                LogRetry(Logger, e.Kind, attempt + 1, delay.TotalMilliseconds, e.Message);
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends a GET and returns a successful response with its body unread; maps every failure.</summary>
    private protected async Task<HttpResponseMessage> SendAsync(Uri url, string what, CancellationToken cancellationToken)
    {
        Stats.AddRequest();
        BackfillMetrics.RequestSent(MetricSource);
        var started = Stopwatch.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Options.RequestTimeout);
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ConnectionFailedException($"No response to {what} within {Options.RequestTimeout.TotalSeconds:0.#} s from {Options.BaseAddress}.", e);
        }
        catch (HttpRequestException e)
        {
            throw ThetaErrors.FromTransport(e, Options.BaseAddress, what);
        }

        var status = (int)response.StatusCode;
        LogResponse(Logger, Redact(url), status, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        if (status is >= 200 and < 300)
        {
            return response;
        }

        using (response)
        {
            string? detail = null;
            try
            {
                var bytes = await ReadBodyAsync(response, what, timeout.Token).ConfigureAwait(false);
                detail = ErrorDetail(bytes);
            }
            catch (BackfillException)
            {
                // The status says enough.
            }

            throw ThetaErrors.FromStatus(status, what, detail, RetryAfter(response));
        }
    }

    private static async Task<byte[]> ReadBodyAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        try
        {
            return await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            throw ThetaErrors.BodyFailed(e, what, 0);
        }
    }

    /// <summary>v2 errors carry <c>header.error_msg</c>; v3 errors are plain text. Returned raw: <see cref="ThetaErrors.FromStatus"/> sanitizes it.</summary>
    private static string? ErrorDetail(byte[] body)
    {
        if (body.Length == 0)
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("header", out var header)
                && header.TryGetProperty("error_msg", out var msg) && msg.ValueKind == JsonValueKind.String)
            {
                return msg.GetString();
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // Plain text, or a message that is not valid UTF-8.
        }

        return System.Text.Encoding.UTF8.GetString(body);
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - DateTimeOffset.UtcNow;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }

    /// <summary>Terminal URLs carry no secrets, but never log user info should a proxy URL hold some.</summary>
    private protected static string Redact(Uri url) =>
        string.IsNullOrEmpty(url.UserInfo) ? url.PathAndQuery : url.PathAndQuery + " (credentials hidden)";

    private protected Uri Relative(string pathAndQuery) => new(Options.BaseAddress, pathAndQuery);

    /// <summary>
    /// A <c>next_page</c> URL comes from the response body: only its path and query are followed, on the configured
    /// terminal, so a damaged or hostile body can never send a request to another host or through another scheme.
    /// </summary>
    private Uri? OnTerminal(Uri? next, string what)
    {
        if (next is null)
        {
            return null;
        }

        if ((next.Scheme != Uri.UriSchemeHttp && next.Scheme != Uri.UriSchemeHttps) || !next.AbsolutePath.StartsWith('/'))
        {
            throw ThetaErrors.Malformed(what, $"next_page '{next.OriginalString}' is not an http(s) URL of the terminal");
        }

        return new Uri(Options.BaseAddress, next.PathAndQuery);
    }

    private sealed class PageReader(HttpResponseMessage response, ChunkedJsonParser parser) : IDisposable
    {
        public ChunkedJsonParser Parser { get; } = parser;

        public bool HasMore { get; set; }

        public void Dispose()
        {
            Parser.Dispose();
            response.Dispose();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "GET {Url} -> {Status} in {LatencyMs:0} ms")]
    private static partial void LogResponse(ILogger logger, string url, int status, double latencyMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "GET {Url} body: {Rows} rows, {Bytes} bytes in {ElapsedMs:0} ms")]
    private static partial void LogBody(ILogger logger, string url, long rows, long bytes, double elapsedMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Retrying after {Kind} (attempt {Attempt}) in {DelayMs:0} ms: {Message}")]
    private static partial void LogRetry(ILogger logger, ErrorKind kind, int attempt, double delayMs, string message);
}
