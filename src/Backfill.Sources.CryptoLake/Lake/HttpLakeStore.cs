using System.Net;
using System.Xml;
using Backfill.Core.Errors;
using Backfill.Core.Http;
using Backfill.Core.IO;
using Backfill.Core.Text;
using Backfill.Core.Time;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;

namespace Backfill.Sources.CryptoLake.Lake;

/// <summary>
/// Crypto Lake over HTTP(S): partitions are listed with S3's ListObjectsV2 (<c>GET /?list-type=2&amp;prefix=…</c>, paged
/// by continuation token) and each object is streamed to a scratch file whose length must match both the listing and
/// <c>Content-Length</c>. Transient failures are retried by the shared retry table. Listed names and the messages of
/// the transport and the XML reader reach a message only through <see cref="VendorText.Sanitize"/>.
/// </summary>
internal sealed partial class HttpLakeStore : LakeStore
{
    private readonly HttpClient _http;
    private readonly Uri _root;
    private readonly string _keyPrefix;
    private readonly ResiliencePipeline _retry;
    private readonly ILogger _logger;
    private int _requests;
    private int _retries;

    public HttpLakeStore(Uri baseUri, HttpMessageHandler? handler, TimeSpan timeout, RetryPolicyTable? retry = null, ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _root = new Uri(baseUri.GetLeftPart(UriPartial.Authority) + "/");
        var path = Uri.UnescapeDataString(baseUri.AbsolutePath).Trim('/');
        _keyPrefix = path.Length == 0 ? string.Empty : path + "/";
        _http = handler is null ? new HttpClient(new MeteringHandler(new HttpClientHandler()), disposeHandler: true) : new HttpClient(new MeteringHandler(handler), disposeHandler: false);
        _http.Timeout = timeout;
        _retry = RetryPipeline.Create(retry ?? RetryPolicyTable.Default, (e, attempt, delay) =>
        {
            Interlocked.Increment(ref _retries);
            LogRetry(_logger, e.Kind, attempt + 1, delay.TotalMilliseconds, e.Message);
            return ValueTask.CompletedTask;
        });
    }

    public override string Description => DateInput.Printable(_root + _keyPrefix);

    public override int Requests => _requests;

    public override int Retries => _retries;

    public override async Task<IReadOnlyList<string>> ListAsync(LakePartition partition, CancellationToken cancellationToken)
    {
        var prefix = _keyPrefix + partition.RelativePrefix;
        var names = new List<string>();
        string? token = null;
        do
        {
            var query = "?list-type=2&prefix=" + Uri.EscapeDataString(prefix) + (token is null ? string.Empty : "&continuation-token=" + Uri.EscapeDataString(token));
            var page = await _retry.ExecuteAsync(async ct =>
            {
                using var response = await SendAsync(new Uri(_root, query), ct);
                await using var body = await response.Content.ReadAsStreamAsync(ct);
                return await ParseListingAsync(body, ct);
            }, cancellationToken);
            foreach (var key in page.Keys)
            {
                if (key.StartsWith(prefix, StringComparison.Ordinal) && key.EndsWith(".parquet", StringComparison.Ordinal))
                {
                    names.Add(CheckName(key[prefix.Length..]));
                }
            }

            token = page.NextToken;
        }
        while (token is not null);

        names.Sort(StringComparer.Ordinal);
        return names.Count == 0
            ? throw new NoDataException($"Crypto Lake has no {LakePartition.TableName(partition.Table)} files for {partition.Exchange} {partition.Symbol} {partition.Date:yyyy-MM-dd} at {Description}.")
            : names;
    }

    public override async Task<LakeFile> FetchAsync(LakePartition partition, string name, string scratchDirectory, CancellationToken cancellationToken)
    {
        OwnerOnly.CreateDirectory(scratchDirectory);
        var key = _keyPrefix + partition.RelativePrefix + CheckName(name);
        var uri = new Uri(_root, string.Join('/', key.Split('/').Select(Uri.EscapeDataString)));
        var path = Path.Combine(scratchDirectory, $"{Guid.NewGuid():N}.parquet.part");
        try
        {
            var bytes = await _retry.ExecuteAsync(async ct =>
            {
                using var response = await SendAsync(uri, ct);
                var expected = response.Content.Headers.ContentLength;
                long written;
                await using (var body = await response.Content.ReadAsStreamAsync(ct))
                await using (var file = new FileStream(path, OwnerOnly.WriteOptions(FileMode.Create, FileOptions.Asynchronous, 1 << 16)))
                {
                    try
                    {
                        await body.CopyToAsync(file, 1 << 16, ct);
                    }
                    catch (Exception e) when (e is HttpRequestException or IOException && !ct.IsCancellationRequested)
                    {
                        throw new ConnectionFailedException($"The body of {VendorText.Sanitize(name)} broke off: {VendorText.Sanitize(e.Message)}", e);
                    }

                    written = file.Length;
                }

                return expected is { } length && length != written
                    ? throw new ConnectionFailedException($"The body of {VendorText.Sanitize(name)} ended early: {written} of {length} bytes.")
                    : written;
            }, cancellationToken);
            return new LakeFile(name, path, bytes, temporary: true);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _http.Dispose();
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Uri uri, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _requests);
        var started = TimeProvider.System.GetTimestamp();
        HttpResponseMessage response;
        try
        {
            response = await _http.GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            LogResponse(_logger, DateInput.Printable(uri.PathAndQuery), (int)response.StatusCode, TimeProvider.System.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (HttpRequestException e)
        {
            throw new ConnectionFailedException($"Crypto Lake at {Description} cannot be reached: {VendorText.Sanitize(e.Message)}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ConnectionFailedException($"Crypto Lake at {Description} did not answer within {_http.Timeout.TotalSeconds:0} s.", e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        var status = (int)response.StatusCode;
        var what = DateInput.Printable(uri.AbsolutePath);
        response.Dispose();
        throw response.StatusCode switch
        {
            HttpStatusCode.NotFound => new NoDataException($"Crypto Lake answered 404 for {what}."),
            HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized => new PermissionDeniedException($"Crypto Lake refused {what} ({status}): the bucket needs credentials or the plan does not cover it.") { StatusCode = status },
            HttpStatusCode.TooManyRequests => new RateLimitedException($"Crypto Lake rate-limited {what} (429).", response.Headers.RetryAfter?.Delta) { StatusCode = status },
            _ when status >= 500 => new ServerErrorException($"Crypto Lake failed on {what} ({status}).") { StatusCode = status },
            _ => new InvalidRequestException($"Crypto Lake refused {what} ({status}).") { StatusCode = status },
        };
    }

    private static async Task<(List<string> Keys, string? NextToken)> ParseListingAsync(Stream body, CancellationToken cancellationToken)
    {
        var keys = new List<string>();
        string? next = null;
        var truncated = false;
        try
        {
            using var reader = XmlReader.Create(body, new XmlReaderSettings { Async = true, DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
            while (await reader.ReadAsync())
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (reader.NodeType != XmlNodeType.Element)
                {
                    continue;
                }

                switch (reader.LocalName)
                {
                    case "Key":
                        keys.Add(await reader.ReadElementContentAsStringAsync());
                        break;
                    case "IsTruncated":
                        truncated = string.Equals(await reader.ReadElementContentAsStringAsync(), "true", StringComparison.OrdinalIgnoreCase);
                        break;
                    case "NextContinuationToken":
                        next = await reader.ReadElementContentAsStringAsync();
                        break;
                }
            }
        }
        catch (XmlException e)
        {
            throw new InvalidResponseException($"Crypto Lake's listing is not valid S3 ListObjectsV2 XML: {VendorText.Sanitize(e.Message)}", e);
        }

        return (keys, truncated ? next ?? throw new InvalidResponseException("Crypto Lake's listing is truncated but gives no NextContinuationToken.") : null);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "GET {Path} -> {Status} in {LatencyMs:0} ms")]
    private static partial void LogResponse(ILogger logger, string path, int status, double latencyMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Retrying after {Kind} (attempt {Attempt}) in {DelayMs:0} ms: {Message}")]
    private static partial void LogRetry(ILogger logger, ErrorKind kind, int attempt, double delayMs, string message);
}
