namespace Backfill.Core.Errors;

/// <summary>The kinds of failure the engine acts on differently. Stored by name in <c>error_log.error_type</c>.</summary>
public enum ErrorKind
{
    /// <summary>The source asked us to slow down (HTTP 429, ThetaData 429/474-like throttling).</summary>
    RateLimited,

    /// <summary>The connection failed, was reset, or the body ended early.</summary>
    ConnectionFailed,

    /// <summary>The local terminal is not listening, or is restarting (ThetaData 571, 474).</summary>
    TerminalNotRunning,

    /// <summary>The source has no data for the request (ThetaData 472). Recorded, not a failure of the unit.</summary>
    NoData,

    /// <summary>The response did not match the expected schema (truncated or malformed JSON).</summary>
    InvalidResponse,

    /// <summary>The account lacks the subscription for the request (ThetaData 471). Permanent.</summary>
    PermissionDenied,

    /// <summary>The request asks for too much data at once (ThetaData 570). Permanent for the same request.</summary>
    LargeRequest,

    /// <summary>The request itself is wrong (ThetaData 473, 475, 404; HTTP 400/422). Permanent.</summary>
    InvalidRequest,

    /// <summary>The API version is gone (HTTP 410 on v2). Permanent: switch the API version.</summary>
    ApiVersionGone,

    /// <summary>A file failed its checksum or could not be read back. Never retried.</summary>
    FileCorruption,

    /// <summary>Not enough free disk for the estimated output. Never retried.</summary>
    InsufficientDisk,

    /// <summary>The source failed in a way we do not classify (5xx with a body, 470, 572).</summary>
    ServerError,

    /// <summary>Anything else.</summary>
    Unknown,

    /// <summary>The account's daily request budget is spent (Alpha Vantage's 25 a day). Stop until the budget resets.</summary>
    QuotaExhausted,
}
