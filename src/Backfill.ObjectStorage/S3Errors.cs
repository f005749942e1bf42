using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using Backfill.Core.Errors;
using Backfill.Core.Text;

namespace Backfill.ObjectStorage;

/// <summary>
/// The bucket refused us for good: credentials missing or wrong, no permission, or no such bucket. Never retried;
/// the command exits 3 (environment). The message names the bucket and what to check, never a credential.
/// </summary>
public sealed class ObjectStoreAccessException(string message, Exception? inner = null) : BackfillException(message, inner)
{
    public override ErrorKind Kind => ErrorKind.PermissionDenied;
}

/// <summary>Turns what the SDK and the transport throw into the project's typed errors, which the retry table acts on.</summary>
internal static class S3Errors
{
    private static readonly HashSet<string> AccessCodes = new(StringComparer.Ordinal)
    {
        "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "TokenRefreshRequired",
        "AllAccessDisabled", "AccountProblem", "InvalidSecurity", "NotSignedUp", "AuthorizationHeaderMalformed", "InvalidObjectState",
    };

    private static readonly HashSet<string> ThrottleCodes = new(StringComparer.Ordinal)
    {
        "SlowDown", "Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequests", "RequestThrottled",
    };

    /// <summary>What to check, for a refused request: never a credential value.</summary>
    public static string AccessAdvice(string bucket) =>
        $"Check the credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or the instance role), that they may use bucket '{bucket}', and the region and endpoint (s3.region, s3.endpoint).";

    public static Exception Translate(Exception e, string operation, string bucket, string? key, CancellationToken cancellationToken)
    {
        if (e is BackfillException || (e is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            return e;
        }

        var what = key is null ? $"s3://{bucket}" : $"s3://{bucket}/{VendorText.Sanitize(key, 300)}";
        switch (e)
        {
            case AmazonS3Exception s3:
                return FromService(s3, (int)s3.StatusCode, s3.ErrorCode, operation, bucket, what);
            case AmazonServiceException service when service.StatusCode != 0 && service.InnerException is not (HttpRequestException or IOException or SocketException):
                return FromService(service, (int)service.StatusCode, service.ErrorCode, operation, bucket, what);
            case AmazonClientException client when client.Message.Contains("credentials", StringComparison.OrdinalIgnoreCase):
                return new ObjectStoreAccessException($"No AWS credentials were found for {operation} on {what}. {AccessAdvice(bucket)}", e);
            case HttpRequestException or IOException or SocketException:
            case AmazonServiceException { InnerException: HttpRequestException or IOException or SocketException }:
                return new ConnectionFailedException($"S3 {operation} of {what} failed on the connection: {VendorText.Sanitize(Innermost(e).Message, 200)}", e);
            case OperationCanceledException:
                return new ConnectionFailedException($"S3 {operation} of {what} did not finish in time.", e);
            case AmazonClientException client:
                return new ConnectionFailedException($"S3 {operation} of {what} failed: {VendorText.Sanitize(client.Message, 200)}", e);
            default:
                return e;
        }
    }

    private static Exception FromService(Exception e, int status, string? code, string operation, string bucket, string what)
    {
        code ??= string.Empty;
        if (status is 401 or 403 || AccessCodes.Contains(code))
        {
            // The SDK's message can echo the string to sign; only the code is shown.
            return new ObjectStoreAccessException(
                $"S3 refused {operation} of {what} ({status}{(code.Length > 0 ? " " + code : string.Empty)}). {AccessAdvice(bucket)}", e) { StatusCode = status };
        }

        if (code == "NoSuchBucket")
        {
            return new ObjectStoreAccessException(
                $"S3 has no bucket '{bucket}' ({operation} of {what}). Check the bucket name, s3.region and s3.endpoint.", e) { StatusCode = status };
        }

        if (status == 404)
        {
            return new NoDataException($"S3 has no object at {what}.", e) { StatusCode = status };
        }

        if (status is 429 || ThrottleCodes.Contains(code))
        {
            return new RateLimitedException($"S3 asked to slow down on {operation} of {what} ({status} {code}).", null, e) { StatusCode = status };
        }

        if (code is "RequestTimeout" or "IncompleteBody" or "RequestTimeTooSkewed" || status == 408)
        {
            return new ConnectionFailedException($"S3 {operation} of {what} broke off ({status} {code}).", e) { StatusCode = status };
        }

        if (code is "BadDigest" or "InvalidDigest" or "XAmzContentSHA256Mismatch" || code.Contains("Checksum", StringComparison.Ordinal))
        {
            // The bytes S3 received differ from the file: a transfer fault, worth one more try.
            return new ConnectionFailedException($"S3 received other bytes than were sent for {what} ({code}).", e) { StatusCode = status };
        }

        if (status >= 500)
        {
            return new ServerErrorException($"S3 failed on {operation} of {what} ({status} {code}).", e) { StatusCode = status };
        }

        return new InvalidRequestException($"S3 refused {operation} of {what} ({status} {code}): {VendorText.Sanitize(e.Message, 200)}", e) { StatusCode = status };
    }

    private static Exception Innermost(Exception e)
    {
        while (e.InnerException is not null)
        {
            e = e.InnerException;
        }

        return e;
    }

    /// <summary>Whether the store answered that a feature is not there (a conditional write, multipart listing).</summary>
    public static bool IsNotImplemented(Exception e) =>
        e is AmazonServiceException { StatusCode: HttpStatusCode.NotImplemented } or AmazonServiceException { ErrorCode: "NotImplemented" }
        || e.InnerException is AmazonServiceException { StatusCode: HttpStatusCode.NotImplemented } or AmazonServiceException { ErrorCode: "NotImplemented" };
}
