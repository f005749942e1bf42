using Backfill.Core.Errors;

namespace Backfill.Sources.ThetaData;

public enum ThetaApiVersion
{
    /// <summary>Legacy REST on the terminal's port 25510 (<c>/v2/...</c>), paged.</summary>
    V2,

    /// <summary>Current REST on port 25503 (<c>/v3/...</c>), unpaged.</summary>
    V3,
}

/// <summary>How to reach the Theta Terminal. Call <see cref="Validate"/> (the factory does) before use.</summary>
public sealed record ThetaDataClientOptions
{
    public static readonly Uri DefaultV2Address = new("http://127.0.0.1:25510");

    public static readonly Uri DefaultV3Address = new("http://127.0.0.1:25503");

    public Uri BaseAddress { get; init; } = DefaultV2Address;

    public ThetaApiVersion ApiVersion { get; init; } = ThetaApiVersion.V2;

    /// <summary>Requests in flight at once across this client, pages included (the terminal's HTTP_CONCURRENCY).</summary>
    public int MaxConcurrentRequests { get; init; } = 4;

    /// <summary>Longest wait for the response headers, and for each read of the body.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public RetryPolicyTable Retry { get; init; } = RetryPolicyTable.Default;

    /// <summary>Throws <see cref="InvalidInputException"/> naming the setting and the fix.</summary>
    public void Validate()
    {
        if (BaseAddress is null || !BaseAddress.IsAbsoluteUri || (BaseAddress.Scheme != Uri.UriSchemeHttp && BaseAddress.Scheme != Uri.UriSchemeHttps))
        {
            throw new InvalidInputException($"thetadata.baseUrl must be an absolute http(s) URL such as {DefaultV2Address}, got '{BaseAddress}'.");
        }

        if (!string.IsNullOrEmpty(BaseAddress.Query) || !string.IsNullOrEmpty(BaseAddress.UserInfo))
        {
            throw new InvalidInputException("thetadata.baseUrl must not carry a query string or credentials.");
        }

        if (!Enum.IsDefined(ApiVersion))
        {
            throw new InvalidInputException($"thetadata.apiVersion must be v2 or v3, got '{ApiVersion}'.");
        }

        if (MaxConcurrentRequests is < 1 or > 128)
        {
            throw new InvalidInputException($"thetadata.maxConcurrentRequests must be between 1 and 128 (the terminal's HTTP_CONCURRENCY, default 4), got {MaxConcurrentRequests}.");
        }

        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > TimeSpan.FromHours(1))
        {
            throw new InvalidInputException($"thetadata.requestTimeout must be above zero and at most one hour, got {RequestTimeout}.");
        }

        if (Retry is null)
        {
            throw new InvalidInputException("thetadata retry table must be set.");
        }
    }
}
