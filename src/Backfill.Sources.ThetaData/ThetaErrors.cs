using System.Net.Sockets;
using Backfill.Core.Errors;
using Backfill.Core.Text;

namespace Backfill.Sources.ThetaData;

/// <summary>
/// Maps ThetaData status codes and transport failures onto the typed errors the engine acts on. Whatever the terminal
/// or the transport said (an error body, a header field, a socket message) goes into a message only through
/// <see cref="VendorText.Sanitize"/>.
/// </summary>
internal static class ThetaErrors
{
    public const string V3Hint = "set thetadata.apiVersion to v3 and thetadata.baseUrl to http://127.0.0.1:25503";

    public static BackfillException FromStatus(int status, string what, string? detail, TimeSpan? retryAfter)
    {
        var text = string.IsNullOrWhiteSpace(detail) ? string.Empty : ": " + VendorText.Sanitize(detail);
        BackfillException e = status switch
        {
            429 => new RateLimitedException($"ThetaData throttled {what} (429 OS_LIMIT){text}", retryAfter) { StatusCode = status },
            474 => new ConnectionFailedException($"The terminal lost its connection to ThetaData's servers on {what} (474 DISCONNECTED){text}") { StatusCode = status },
            571 => new TerminalNotRunningException($"The Theta Terminal is restarting (571 SERVER_STARTING) on {what}{text}") { StatusCode = status },
            472 => new NoDataException($"ThetaData has no data for {what} (472 NO_DATA){text}") { StatusCode = status },
            471 => new PermissionDeniedException($"The ThetaData account lacks the subscription for {what} (471 PERMISSION){text}") { StatusCode = status },
            570 => new LargeRequestException($"ThetaData refused {what} as too large (570 LARGE_REQUEST){text}") { StatusCode = status },
            410 => new ApiVersionGoneException($"The terminal answered 410 Gone for the v2 API on {what}: {V3Hint}{text}") { StatusCode = status },
            473 or 475 or 404 or 400 or 422 => new InvalidRequestException($"ThetaData rejected {what} as invalid ({status} {Name(status)}){text}") { StatusCode = status },
            477 => new ServerErrorException($"ThetaData discarded a page of {what} before it was read (477 NO_PAGE_FOUND){text}") { StatusCode = status },
            _ when status >= 500 || status is 470 or 476 or 478 => new ServerErrorException($"ThetaData failed on {what} ({status} {Name(status)}){text}") { StatusCode = status },
            _ => new InvalidRequestException($"ThetaData answered {status} for {what}{text}") { StatusCode = status },
        };
        return e;
    }

    /// <summary>An error type from a v2 header that came with status 200.</summary>
    public static BackfillException FromErrorType(string errorType, string what, string? message) => errorType.ToUpperInvariant() switch
    {
        "NO_DATA" => FromStatus(472, what, message, null),
        "PERMISSION" => FromStatus(471, what, message, null),
        "INVALID_PARAMS" => FromStatus(473, what, message, null),
        "DISCONNECTED" => FromStatus(474, what, message, null),
        "LARGE_REQUEST" => FromStatus(570, what, message, null),
        "SERVER_STARTING" => FromStatus(571, what, message, null),
        "OS_LIMIT" => FromStatus(429, what, message, null),
        _ => new ServerErrorException($"ThetaData reported {VendorText.Sanitize(errorType, 64)} for {what}: {VendorText.Sanitize(message)}") { StatusCode = 200 },
    };

    public static BackfillException FromTransport(Exception e, Uri baseAddress, string what)
    {
        if (FindSocketError(e) is SocketError.ConnectionRefused or SocketError.AddressNotAvailable or SocketError.HostUnreachable)
        {
            return new TerminalNotRunningException(
                $"Could not connect to {baseAddress} for {what}: connection refused. Is the Theta Terminal running on {baseAddress}?", e);
        }

        return new ConnectionFailedException($"The connection failed during {what}: {VendorText.Sanitize(e.Message)}", e);
    }

    public static BackfillException BodyFailed(Exception e, string what, long bytes) =>
        new ConnectionFailedException($"The response to {what} broke off after {bytes} bytes: {VendorText.Sanitize(e.Message)}", e);

    public static BackfillException Truncated(string what, long bytes) =>
        new InvalidResponseException($"The response to {what} ended after {bytes} bytes before the JSON was complete (truncated).");

    /// <summary>The body is not what was expected; <paramref name="detail"/> may quote the body, so it is sanitized here.</summary>
    public static BackfillException Malformed(string what, string detail, Exception? inner = null) =>
        new InvalidResponseException($"The response to {what} is not the expected JSON: {VendorText.Sanitize(detail)}", inner);

    private static SocketError? FindSocketError(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is SocketException s)
            {
                return s.SocketErrorCode;
            }
        }

        return null;
    }

    private static string Name(int status) => status switch
    {
        404 => "NO_IMPL",
        470 => "GENERAL",
        473 => "INVALID_PARAMS",
        475 => "TERMINAL_PARSE",
        476 => "WRONG_IP",
        478 => "INVALID_SESSION_ID",
        572 => "UNCAUGHT_ERROR",
        _ => "ERROR",
    };
}
