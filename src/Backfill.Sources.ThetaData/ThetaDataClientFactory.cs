using Backfill.Sources.ThetaData.Greeks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Backfill.Sources.ThetaData;

/// <summary>Creates the client for the configured API version.</summary>
public static class ThetaDataClientFactory
{
    /// <param name="handler">Optional HTTP handler (tests, proxies); the client owns a default one otherwise.</param>
    public static IOptionGreeksSource Create(ThetaDataClientOptions options, ILoggerFactory? loggerFactory = null, HttpMessageHandler? handler = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var factory = loggerFactory ?? NullLoggerFactory.Instance;
        return options.ApiVersion == ThetaApiVersion.V3
            ? new ThetaDataV3Client(options, factory.CreateLogger<ThetaDataV3Client>(), handler)
            : new ThetaDataV2Client(options, factory.CreateLogger<ThetaDataV2Client>(), handler);
    }
}
