using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Backfill.Core.Errors;
using Backfill.Core.Text;

namespace Backfill.Sources.Databento.Http;

/// <summary>Maps Databento HTTP failures onto the engine's typed errors (docs: databento.com/docs/api-historical/basics/errors).</summary>
public static class DatabentoErrors
{
    /// <summary>The typed error for a non-success response; <paramref name="body"/> is the (JSON) error body.</summary>
    public static BackfillException FromResponse(HttpStatusCode status, string body, RetryConditionHeaderValue? retryAfter, DateTimeOffset now, string what)
    {
        var code = (int)status;
        var detail = Detail(body);
        var message = $"Databento {what}: HTTP {code}{(detail.Length > 0 ? ": " + detail : string.Empty)}";
        BackfillException error = code switch
        {
            401 => new PermissionDeniedException(message + ". Check the API key (databento.apiKey or DATABENTO_API_KEY).") { StatusCode = code },
            402 or 403 => new PermissionDeniedException(message + ". The account lacks the license or credit for this dataset.") { StatusCode = code },
            400 or 404 or 409 or 422 => new InvalidRequestException(message) { StatusCode = code },
            408 => new ConnectionFailedException(message) { StatusCode = code },
            429 => new RateLimitedException(message, RetryAfter(retryAfter, now)) { StatusCode = code },
            >= 500 => new ServerErrorException(message) { StatusCode = code },
            _ => new InvalidResponseException(message) { StatusCode = code },
        };
        return error;
    }

    /// <summary>
    /// The <c>detail</c> of an error body (<c>{"detail": "text"}</c> or <c>{"detail": {"case": ..., "message": ...}}</c>),
    /// else the body itself; sanitized, as it goes into messages.
    /// </summary>
    public static string Detail(string body)
    {
        var (text, @case) = DetailParts(body);
        return @case is null ? VendorText.Sanitize(text) : $"{VendorText.Sanitize(text)} ({VendorText.Sanitize(@case, 80)})";
    }

    private static (string Text, string? Case) DetailParts(string body)
    {
        if (string.IsNullOrWhiteSpace(body))
        {
            return (string.Empty, null);
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("detail", out var detail))
            {
                if (detail.ValueKind == JsonValueKind.String)
                {
                    return (detail.GetString() ?? string.Empty, null);
                }

                if (detail.ValueKind == JsonValueKind.Object)
                {
                    var text = detail.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                    var @case = detail.TryGetProperty("case", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                    return @case is null ? (text ?? detail.GetRawText(), null) : (text ?? string.Empty, @case);
                }
            }
        }
        catch (JsonException)
        {
        }

        return (body, null);
    }

    /// <summary>Retry-After as seconds or an HTTP date.</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, DateTimeOffset now)
    {
        if (header?.Delta is { } delta)
        {
            return delta;
        }

        if (header?.Date is { } date)
        {
            var wait = date - now;
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }

        return null;
    }
}
