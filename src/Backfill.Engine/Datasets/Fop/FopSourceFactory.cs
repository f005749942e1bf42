using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Sources.Databento.Http;
using Microsoft.Extensions.Logging;

namespace Backfill.Engine.Datasets.Fop;

/// <summary>Builds the Databento client and the <c>fop</c> strategy from settings and the environment.</summary>
public static class FopSourceFactory
{
    /// <summary>The key's variable in Backfill's own scheme (checked first), then Databento's.</summary>
    public const string ApiKeyVariable = "BACKFILL_DATABENTO_APIKEY";

    /// <summary>The API key from <c>BACKFILL_DATABENTO_APIKEY</c> or <c>DATABENTO_API_KEY</c>; a clear error when neither is set.</summary>
    public static DatabentoApiKey ApiKey(Func<string, string?> variable)
    {
        ArgumentNullException.ThrowIfNull(variable);
        var value = variable(ApiKeyVariable) is { } v && !string.IsNullOrWhiteSpace(v) ? v : variable(DatabentoClientOptions.ApiKeyVariable);
        return string.IsNullOrWhiteSpace(value)
            ? throw new InvalidInputException(
                $"The fop dataset needs a Databento API key. Set {DatabentoClientOptions.ApiKeyVariable} (or {ApiKeyVariable}); it is never stored or logged.")
            : new DatabentoApiKey(value);
    }

    public static DatabentoHistoricalClient CreateClient(
        EffectiveSettings settings, Func<string, string?> variable, RetryPolicyTable retry, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var logger = loggers?.CreateLogger("Backfill.Sources.Databento");
        var timeout = int.Parse(settings.Get(FopSettings.DatabentoRequestTimeoutSeconds).Value!, CultureInfo.InvariantCulture);
        return new DatabentoHistoricalClient(new DatabentoClientOptions
        {
            BaseAddress = new Uri(settings.Get(FopSettings.DatabentoBaseUrl).Value!),
            ApiKey = ApiKey(variable),
            RequestTimeout = TimeSpan.FromSeconds(timeout),
            Retry = retry,
        }, onRetry: (e, attempt, delay) =>
        {
            if (logger is not null)
            {
                LogRetry(logger, e.Kind.ToString(), attempt + 1, delay.TotalSeconds, e.Message, null);
            }

            return ValueTask.CompletedTask;
        }, logger: logger);
    }

    private static readonly Action<ILogger, string, int, double, string, Exception?> LogRetry =
        LoggerMessage.Define<string, int, double, string>(LogLevel.Warning, new EventId(1, "DatabentoRetry"),
            "Databento {Kind} on attempt {Attempt}; retrying in {Seconds:0.0} s: {Message}");
}
