namespace Backfill.Core.Errors;

/// <summary>
/// Base of every error the engine acts on. Callers switch on <see cref="Kind"/>, never on the message.
/// Messages must never contain secrets (API keys, encryption keys, credentials in URLs).
/// </summary>
public abstract class BackfillException : Exception
{
    protected BackfillException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }

    public abstract ErrorKind Kind { get; }

    /// <summary>HTTP status (or vendor status code) that caused the error, when there was one.</summary>
    public int? StatusCode { get; init; }
}

public sealed class RateLimitedException(string message, TimeSpan? retryAfter = null, Exception? inner = null)
    : BackfillException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.RateLimited;

    /// <summary>How long the source asked us to wait, when it said so.</summary>
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

public sealed class ConnectionFailedException(string message, Exception? inner = null) : BackfillException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.ConnectionFailed;
}

public sealed class TerminalNotRunningException(string message, Exception? inner = null) : BackfillException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.TerminalNotRunning;
}

public sealed class NoDataException(string message, Exception? inner = null) : BackfillException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.NoData;
}

public sealed class InvalidResponseException(string message, Exception? inner = null) : BackfillException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.InvalidResponse;
}

public sealed class PermissionDeniedException(string message, Exception? inner = null) : BackfillException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.PermissionDenied;
}

public sealed class LargeRequestException(string message, Exception? inner = null) : BackfillException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.LargeRequest;
}

public sealed class InvalidRequestException(string message, Exception? inner = null) : BackfillException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.InvalidRequest;
}

public sealed class ApiVersionGoneException(string message, Exception? inner = null) : BackfillException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.ApiVersionGone;
}

public sealed class FileCorruptionException(string message, Exception? inner = null) : BackfillException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.FileCorruption;
}

public sealed class InsufficientDiskException(string message, long requiredBytes, long availableBytes)
    : BackfillException(message)
{
    public override ErrorKind Kind => ErrorKind.InsufficientDisk;

    public long RequiredBytes { get; } = requiredBytes;

    public long AvailableBytes { get; } = availableBytes;
}

public sealed class ServerErrorException(string message, Exception? inner = null) : BackfillException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.ServerError;
}

public sealed class QuotaExhaustedException(string message, Exception? inner = null) : BackfillException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.QuotaExhausted;
}

/// <summary>
/// Bad input from the user (a date, a range, a config value). The message names the value and the fix;
/// the CLI turns it into exit code 2.
/// </summary>
public sealed class InvalidInputException(string message) : Exception(message);
