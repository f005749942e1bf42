
namespace Backfill.Operations.Metrics;

/// <summary>The validated <c>metrics.*</c> settings (read from the settings by the engine).</summary>
public sealed record MetricsOptions(bool JsonLines, bool Otlp, bool Prometheus, string Directory, Uri OtlpEndpoint, TimeSpan Interval)
{
    /// <summary>The OpenTelemetry Prometheus convention's port, used by processing commands when <c>prometheus</c> is chosen.</summary>
    public const int PrometheusPort = 9464;

    /// <summary>Push to a Prometheus push gateway (<see cref="PushGatewayUrl"/>) every interval and at the end of the command.</summary>
    public bool PushGateway { get; init; }

    public Uri PushGatewayUrl { get; init; } = new("http://127.0.0.1:9091");

    /// <summary>The dataset the command works on: the push gateway groups a run's metrics by it (and by <see cref="Instance"/>).</summary>
    public string? Dataset { get; init; }

    /// <summary>This machine, as the push gateway's <c>instance</c> grouping label.</summary>
    public string Instance { get; init; } = Environment.MachineName;

    public bool Any => JsonLines || Otlp || Prometheus || PushGateway;
}
