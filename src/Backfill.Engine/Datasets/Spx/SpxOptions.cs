using System.Globalization;
using Backfill.Engine.Configuration;

namespace Backfill.Engine.Datasets.Spx;

/// <summary>What the spx producer needs beyond the shared processing options.</summary>
public sealed record SpxOptions
{
    /// <summary>Greeks interval in milliseconds.</summary>
    public int IntervalMs { get; init; } = 60_000;

    /// <summary>Only expirations at most this many days after the trade date; 0 = all.</summary>
    public int MaxDte { get; init; }

    /// <summary>Expirations fetched at once within one date.</summary>
    public int MaxConcurrentSubUnits { get; init; } = 4;

    /// <summary>Roots fetched for each date, in output order.</summary>
    public IReadOnlyList<string> Roots { get; init; } = ["SPX", "SPXW"];

    /// <summary>Plan each date from the vendor's contract listing of the day (false: from the expiration lists only).</summary>
    public bool ContractListing { get; init; } = true;

    /// <summary>Rows a day is assumed to hold before any day was processed (disk estimate).</summary>
    public long DefaultRowsPerDay { get; init; } = 10_000_000;

    public static SpxOptions From(EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new SpxOptions
        {
            IntervalMs = settings.Int(SpxSettings.IntervalMs),
            MaxDte = settings.Int(SpxSettings.MaxDte),
            MaxConcurrentSubUnits = settings.Int(SpxSettings.ThetaMaxConcurrentRequests),
            ContractListing = !string.Equals(settings.Text(SpxSettings.ThetaContractListing), "off", StringComparison.OrdinalIgnoreCase),
        };
    }

    /// <summary>The ThetaData client the settings describe.</summary>
    internal static Sources.ThetaData.ThetaDataClientOptions Client(EffectiveSettings settings, Core.Errors.RetryPolicyTable retry, TimeSpan? timeout = null) => new()
    {
        BaseAddress = new Uri(settings.Text(SpxSettings.ThetaBaseUrl)),
        ApiVersion = string.Equals(settings.Text(SpxSettings.ThetaApiVersion), "v3", StringComparison.OrdinalIgnoreCase)
            ? Sources.ThetaData.ThetaApiVersion.V3 : Sources.ThetaData.ThetaApiVersion.V2,
        MaxConcurrentRequests = settings.Int(SpxSettings.ThetaMaxConcurrentRequests),
        RequestTimeout = timeout ?? TimeSpan.FromSeconds(int.Parse(settings.Text(SpxSettings.ThetaRequestTimeoutSeconds), CultureInfo.InvariantCulture)),
        Retry = retry,
    };
}
