using Backfill.Core.Errors;

namespace Backfill.Sources.Databento.Http;

/// <summary>How to reach the Databento historical API.</summary>
public sealed record DatabentoClientOptions
{
    /// <summary>The public historical gateway.</summary>
    public static readonly Uri PublicGateway = new("https://hist.databento.com");

    /// <summary>Environment variable Databento's own clients read the key from.</summary>
    public const string ApiKeyVariable = "DATABENTO_API_KEY";

    public Uri BaseAddress { get; init; } = PublicGateway;

    /// <summary>The API key (sent as the basic-auth user with an empty password). Never logged or put in messages.</summary>
    public required DatabentoApiKey ApiKey { get; init; }

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(100);

    /// <summary>Retries of one request, per error kind.</summary>
    public RetryPolicyTable Retry { get; init; } = RetryPolicyTable.Default;
}

/// <summary>An API key that prints as <c>db-…XXXX</c> (last four characters) everywhere, so it cannot leak through logs.</summary>
public sealed class DatabentoApiKey
{
    private readonly string _value;

    public DatabentoApiKey(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        _value = value.Trim();
    }

    /// <summary>The secret itself; only the HTTP layer reads it.</summary>
    internal string Reveal() => _value;

    /// <summary>A redacted form for messages.</summary>
    public string Redacted => _value.Length <= 8 ? "****" : _value[..3] + "…" + _value[^4..];

    public override string ToString() => Redacted;
}
