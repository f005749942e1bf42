using Backfill.Engine.Configuration;

namespace Backfill.Engine.Datasets.Spx;

/// <summary>The settings of the <c>spx</c> dataset.</summary>
public static class SpxSettings
{
    public const string ThetaBaseUrl = "thetadata.baseUrl";
    public const string ThetaApiVersion = "thetadata.apiVersion";
    public const string ThetaMaxConcurrentRequests = "thetadata.maxConcurrentRequests";
    public const string ThetaRequestTimeoutSeconds = "thetadata.requestTimeoutSeconds";
    public const string IntervalMs = "processing.intervalMs";
    public const string MaxDte = "processing.maxDte";
    public const string ThetaContractListing = "thetadata.contractListing";

    public static IReadOnlyList<SettingDefinition> All { get; } =
    [
        new(ThetaBaseUrl, SettingKind.HttpUrl, "http://127.0.0.1:25510",
            "Base URL of the local Theta Terminal (v2 listens on 25510, v3 on 25503).", "http://127.0.0.1:25510"),
        new(ThetaApiVersion, SettingKind.Choice, "v2",
            "Theta Terminal API version.", "v3", Choices: ["v2", "v3"]),
        new(ThetaMaxConcurrentRequests, SettingKind.PositiveInt, "4",
            "Requests in flight at once across all dates; match the terminal's HTTP_CONCURRENCY and your tier.", "4", Max: 64),
        new(ThetaRequestTimeoutSeconds, SettingKind.PositiveInt, "300",
            "Seconds one request may take before it is abandoned and retried.", "300", Max: 3600),
        new(IntervalMs, SettingKind.PositiveInt, "60000",
            "Bar interval of the greeks in milliseconds (60000 = 1 minute).", "60000", Min: 1000, Max: 3_600_000),
        new(MaxDte, SettingKind.NonNegativeInt, "0",
            "Only expirations at most this many calendar days after the trade date (0 = all).", "45", Min: 0, Max: 36_500),
        new(ThetaContractListing, SettingKind.Choice, "on",
            "Plan each date from the terminal's list of contracts quoted that day (Value tier and up), asking only for expirations with data; off: ask for every listed expiration.",
            "off", Choices: ["on", "off"]),
    ];
}
