using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Sources.ThetaData;
using Backfill.Sources.ThetaData.Greeks;
using Microsoft.Extensions.Logging;

namespace Backfill.Engine.Datasets.Spx;

/// <summary>Builds the option greeks source the settings describe.</summary>
public static class SpxSourceFactory
{
    public static IOptionGreeksSource Create(EffectiveSettings settings, RetryPolicyTable retry, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return ThetaDataClientFactory.Create(SpxOptions.Client(settings, retry), loggers);
    }
}
