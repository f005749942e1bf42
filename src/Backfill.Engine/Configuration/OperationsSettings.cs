using System.Globalization;
using Backfill.Operations.Logging;
using Backfill.Operations.Metrics;

namespace Backfill.Engine.Configuration;

/// <summary>The <c>metrics.*</c> and <c>logging.*</c> settings as the operations layer takes them.</summary>
public static class OperationsSettings
{
    public static MetricsOptions Metrics(EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var exporters = settings.Text(Settings.MetricsExporters).Split(',');
        return new MetricsOptions(
            exporters.Contains("jsonl"),
            exporters.Contains("otlp"),
            exporters.Contains("prometheus"),
            Path.GetFullPath(settings.Text(Settings.MetricsDirectory)),
            new Uri(settings.Text(Settings.MetricsOtlpEndpoint)),
            TimeSpan.FromSeconds(settings.Int(Settings.MetricsIntervalSeconds)))
        {
            PushGateway = exporters.Contains("pushgateway"),
            PushGatewayUrl = new Uri(settings.Text(Settings.MetricsPushgatewayUrl)),
        };
    }

    /// <param name="levelText">The value of <c>BACKFILL_LOG_LEVEL</c>, or null.</param>
    /// <param name="verbose">--verbose: debug when no level is given.</param>
    public static LoggingOptions Logging(EffectiveSettings settings, string? levelText, bool verbose)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return LoggingOptions.Create(
            settings.Text(Settings.LoggingDirectory),
            long.Parse(settings.Text(Settings.LoggingMaxFileBytes), CultureInfo.InvariantCulture),
            settings.Int(Settings.LoggingKeepFiles),
            settings.Text(Settings.LoggingFormat) == "json",
            levelText,
            verbose);
    }
}
