using Backfill.Core.Errors;

namespace Backfill.ObjectStorage;

/// <summary>
/// How to reach S3 or an S3-compatible store. Credentials are never here: the AWS SDK's standard chain finds them
/// (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY[/AWS_SESSION_TOKEN], AWS_PROFILE and the shared config files, the
/// container or instance role).
/// </summary>
/// <param name="Endpoint">An S3-compatible endpoint (MinIO, Ceph, a test server); null for AWS S3.</param>
/// <param name="Region">The bucket's region; null for the SDK's own chain (AWS_REGION, the profile), else us-east-1.</param>
/// <param name="ForcePathStyle">Address buckets as <c>endpoint/bucket/key</c> instead of <c>bucket.endpoint/key</c> (most S3-compatible stores need it).</param>
public sealed record S3ConnectionOptions(Uri? Endpoint = null, string? Region = null, bool ForcePathStyle = false)
{
    /// <summary>
    /// Credentials given by a host that manages them itself (tests); null, always in the CLI: the SDK's standard chain.
    /// Never read from settings, never written anywhere.
    /// </summary>
    public Amazon.Runtime.AWSCredentials? Credentials { get; init; }

    /// <summary>Retries of throttling, resets and server errors; the SDK's own retries are off.</summary>
    public RetryPolicyTable Retry { get; init; } = RetryPolicyTable.Default;

    /// <summary>How long one request may take before it counts as a connection failure.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Keys asked for per ListObjectsV2 page (S3's maximum is 1000).</summary>
    public int ListPageSize { get; init; } = 1000;


    /// <summary>Size of one part of a multipart upload (S3's minimum is 5 MiB, except for the last part).</summary>
    public long PartSize { get; init; } = 64L << 20;

    /// <summary>
    /// The standard AWS variables, for when no setting says otherwise: <c>AWS_ENDPOINT_URL_S3</c> or
    /// <c>AWS_ENDPOINT_URL</c>, <c>AWS_REGION</c> or <c>AWS_DEFAULT_REGION</c>, and <c>BACKFILL_S3_FORCEPATHSTYLE=true</c>.
    /// </summary>
    public static S3ConnectionOptions FromEnvironment()
    {
        var endpoint = Variable("AWS_ENDPOINT_URL_S3") ?? Variable("AWS_ENDPOINT_URL");
        return new S3ConnectionOptions(
            endpoint is not null && Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) ? uri : null,
            Variable("AWS_REGION") ?? Variable("AWS_DEFAULT_REGION"),
            string.Equals(Variable("BACKFILL_S3_FORCEPATHSTYLE"), "true", StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Where requests go, safe to print.</summary>
    public string Describe() => Endpoint is null ? $"AWS S3 ({Region ?? "default region"})" : $"{Endpoint.GetLeftPart(UriPartial.Authority)}{(ForcePathStyle ? " (path-style)" : string.Empty)}";

    private static string? Variable(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value ? value.Trim() : null;
}
