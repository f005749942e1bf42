using Backfill.Engine.Processing;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Sources.ThetaData;
using Microsoft.Extensions.Logging;

namespace Backfill.Engine.Datasets.Spx;

/// <summary>Builds the option greeks source the settings describe.</summary>
public static class SpxSourceFactory
{
    public static IOptionGreeksSource Create(EffectiveSettings settings, RetryPolicyTable retry, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return ThetaDataClientFactory.Create(new ThetaDataClientOptions
        {
            BaseAddress = settings.ThetaBaseUrl,
            ApiVersion = settings.ThetaApiVersion == "v3" ? ThetaApiVersion.V3 : ThetaApiVersion.V2,
            MaxConcurrentRequests = settings.ThetaMaxConcurrentRequests,
            RequestTimeout = settings.ThetaRequestTimeout,
            Retry = retry,
        }, loggers);
    }

    /// <summary>The processing options the settings describe.</summary>
    public static ProcessingOptions Options(EffectiveSettings settings, string dataset, RetryPolicyTable retry)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ProcessingOptions
        {
            Dataset = dataset,
            OutputDirectory = settings.OutputDirectory,
            TempDirectory = settings.TempDirectory,
            IntervalMs = settings.IntervalMs,
            MaxDte = settings.MaxDte,
            MaxConcurrentSubUnits = settings.ThetaMaxConcurrentRequests,
            MaxConcurrentDates = settings.MaxConcurrentDates,
            RetryLimit = settings.RetryLimit,
            Retry = retry,
        };
    }
}
