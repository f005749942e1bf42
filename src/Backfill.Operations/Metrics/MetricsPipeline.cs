using Backfill.Core.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Backfill.Operations.Metrics;

/// <summary>
/// Collects the <c>Backfill</c> meters (and every meter named <c>Backfill.*</c>) for one command and exports them as
/// <see cref="MetricsOptions"/> says: periodically, and once more when disposed (the end of the command).
/// </summary>
public static class MetricsPipeline
{
    public const string ServiceName = "backfill";

    /// <summary>Adds the meters, the resource and the exporters other than Prometheus to <paramref name="builder"/>.</summary>
    /// <param name="warn">Told once when the push gateway cannot be reached (the command goes on).</param>
    public static MeterProviderBuilder Configure(MeterProviderBuilder builder, MetricsOptions options, TimeProvider? time = null, Action<string>? warn = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        builder
            .ConfigureResource(r => r.AddService(ServiceName))
            .AddMeter(BackfillMetrics.MeterName, BackfillMetrics.MeterName + ".*");
        var intervalMs = (int)options.Interval.TotalMilliseconds;
        if (options.JsonLines)
        {
            builder.AddReader(new PeriodicExportingMetricReader(new JsonLinesMetricExporter(options.Directory, ServiceName, time), intervalMs));
        }

        if (options.PushGateway)
        {
            builder.AddReader(new PeriodicExportingMetricReader(new PushGatewayExporter(options, warn ?? (_ => { })), intervalMs));
        }

        if (options.Otlp)
        {
            builder.AddOtlpExporter((exporter, reader) =>
            {
                exporter.Protocol = OtlpExportProtocol.HttpProtobuf;
                exporter.Endpoint = OtlpMetricsUri(options.OtlpEndpoint);
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = intervalMs;
            });
        }

        return builder;
    }

    /// <summary>
    /// The provider for a command that is not <c>serve</c>: JSON lines, OTLP and the push gateway as chosen, and with <c>prometheus</c>
    /// a scrape endpoint on http://127.0.0.1:9464/metrics while the command runs. Null when no exporter is chosen.
    /// </summary>
    /// <param name="warn">Told when the Prometheus port is taken (the other exporters still run).</param>
    public static MeterProvider? Start(MetricsOptions options, Action<string> warn)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(warn);
        if (!options.Any)
        {
            return null;
        }

        if (options.Prometheus)
        {
            try
            {
                return Configure(Sdk.CreateMeterProviderBuilder(), options, null, warn)
                    .AddPrometheusHttpListener(o =>
                    {
                        o.Host = "127.0.0.1";
                        o.Port = MetricsOptions.PrometheusPort;
                    })
                    .Build();
            }
            catch (Exception e) when (e is System.Net.HttpListenerException or InvalidOperationException)
            {
                warn($"metrics: cannot serve Prometheus on 127.0.0.1:{MetricsOptions.PrometheusPort} ({e.Message}); " +
                     "the other exporters still run. Use 'backfill serve' for a /metrics endpoint.");
            }
        }

        return options is { JsonLines: false, Otlp: false, PushGateway: false } ? null : Configure(Sdk.CreateMeterProviderBuilder(), options, null, warn).Build();
    }

    /// <summary>An endpoint without a path gets OTLP/HTTP's <c>/v1/metrics</c>.</summary>
    public static Uri OtlpMetricsUri(Uri endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        return endpoint.AbsolutePath is "" or "/" ? new Uri(endpoint, "/v1/metrics") : endpoint;
    }
}
