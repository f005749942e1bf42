using System.Globalization;
using Backfill.Engine.Configuration;

namespace Backfill.Operations.Metrics;

/// <summary>The validated <c>metrics.*</c> settings.</summary>
public sealed record MetricsOptions(bool JsonLines, bool Otlp, bool Prometheus, string Directory, Uri OtlpEndpoint, TimeSpan Interval)
{
    /// <summary>The OpenTelemetry Prometheus convention's port, used by processing commands when <c>prometheus</c> is chosen.</summary>
    public const int PrometheusPort = 9464;

    public bool Any => JsonLines || Otlp || Prometheus;

    public static MetricsOptions From(EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var exporters = settings.Get(Settings.MetricsExporters).Value!.Split(',');
        return new MetricsOptions(
            exporters.Contains("jsonl"),
            exporters.Contains("otlp"),
            exporters.Contains("prometheus"),
            Path.GetFullPath(settings.Get(Settings.MetricsDirectory).Value!),
            new Uri(settings.Get(Settings.MetricsOtlpEndpoint).Value!),
            TimeSpan.FromSeconds(int.Parse(settings.Get(Settings.MetricsIntervalSeconds).Value!, CultureInfo.InvariantCulture)));
    }
}
