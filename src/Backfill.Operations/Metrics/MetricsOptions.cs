
namespace Backfill.Operations.Metrics;

/// <summary>The validated <c>metrics.*</c> settings (read from the settings by the engine).</summary>
public sealed record MetricsOptions(bool JsonLines, bool Otlp, bool Prometheus, string Directory, Uri OtlpEndpoint, TimeSpan Interval)
{
    /// <summary>The OpenTelemetry Prometheus convention's port, used by processing commands when <c>prometheus</c> is chosen.</summary>
    public const int PrometheusPort = 9464;

    public bool Any => JsonLines || Otlp || Prometheus;
}
