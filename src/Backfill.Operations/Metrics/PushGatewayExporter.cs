using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Backfill.Operations.Metrics;

/// <summary>
/// Pushes a command's metrics to a Prometheus push gateway in the text exposition format: a PUT to
/// <c>/metrics/job/backfill/dataset/{dataset}/instance/{instance}</c> each export, so the group always holds the run's
/// latest (cumulative) values. A gateway that cannot be reached is said once; the command goes on.
/// </summary>
internal sealed class PushGatewayExporter(MetricsOptions options, Action<string> warn) : BaseExporter<Metric>
{
    public const string Job = "backfill";

    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };
    private int _warned;

    public Uri GroupUrl { get; } = GroupUrlOf(options);

    public static Uri GroupUrlOf(MetricsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var path = new StringBuilder("metrics/job/").Append(Job);
        if (options.Dataset is { } dataset)
        {
            path.Append(Segment("dataset", dataset));
        }

        path.Append(Segment("instance", options.Instance));
        return new Uri(new Uri(options.PushGatewayUrl.AbsoluteUri.TrimEnd('/') + "/"), path.ToString());
    }

    // A value with a slash (or an empty one) is written base64url-encoded, as the push gateway's URL scheme allows.
    private static string Segment(string label, string value) =>
        value.Length == 0 || value.Contains('/', StringComparison.Ordinal)
            ? $"/{label}@base64/{Convert.ToBase64String(Encoding.UTF8.GetBytes(value)).TrimEnd('=').Replace('+', '-').Replace('/', '_')}"
            : $"/{label}/{Uri.EscapeDataString(value)}";

    public override ExportResult Export(in Batch<Metric> batch)
    {
        var text = new StringBuilder();
        foreach (var metric in batch)
        {
            PrometheusMetricText.Append(text, metric);
        }

        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, GroupUrl) { Content = new StringContent(text.ToString(), Encoding.UTF8) };
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("text/plain; version=0.0.4; charset=utf-8");
            using var response = Http.Send(request);
            if (response.IsSuccessStatusCode)
            {
                return ExportResult.Success;
            }

            using var reader = new StreamReader(response.Content.ReadAsStream());
            Warn($"the push gateway at {options.PushGatewayUrl.GetLeftPart(UriPartial.Authority)} refused the metrics: HTTP {(int)response.StatusCode} {Core.Time.DateInput.Printable(reader.ReadToEnd().Trim(), 300)}");
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            Warn($"the push gateway at {options.PushGatewayUrl.GetLeftPart(UriPartial.Authority)} cannot be reached ({e.GetBaseException().Message.TrimEnd('.')}); the run goes on without pushing.");
        }

        return ExportResult.Failure;
    }

    private void Warn(string message)
    {
        if (Interlocked.Exchange(ref _warned, 1) == 0)
        {
            warn("metrics: " + message);
        }
    }
}

/// <summary>
/// OpenTelemetry metrics in the Prometheus text format, named as the Prometheus exporter names them: dots become
/// underscores, the unit is a suffix (<c>By</c> → <c>_bytes</c>, <c>s</c> → <c>_seconds</c>, annotations in braces are
/// dropped) and a monotonic sum ends in <c>_total</c>.
/// </summary>
internal static class PrometheusMetricText
{
    public static string Name(Metric metric)
    {
        ArgumentNullException.ThrowIfNull(metric);
        var name = Sanitize(metric.Name);
        var unit = metric.Unit switch
        {
            "By" => "bytes",
            "s" => "seconds",
            "ms" => "milliseconds",
            "1" => metric.MetricType is MetricType.LongGauge or MetricType.DoubleGauge ? "ratio" : null,
            _ => null,
        };
        if (unit is not null && !name.EndsWith("_" + unit, StringComparison.Ordinal))
        {
            name += "_" + unit;
        }

        return metric.MetricType is MetricType.LongSum or MetricType.DoubleSum && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
    }

    public static void Append(StringBuilder text, Metric metric)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(metric);
        var name = Name(metric);
        var type = metric.MetricType switch
        {
            MetricType.LongSum or MetricType.DoubleSum => "counter",
            MetricType.Histogram => "histogram",
            MetricType.LongGauge or MetricType.DoubleGauge or MetricType.LongSumNonMonotonic or MetricType.DoubleSumNonMonotonic => "gauge",
            _ => null,
        };
        if (type is null)
        {
            return;
        }

        var body = new StringBuilder();
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            var labels = new List<KeyValuePair<string, string>>();
            foreach (var tag in point.Tags)
            {
                labels.Add(new(Sanitize(tag.Key), Convert.ToString(tag.Value, CultureInfo.InvariantCulture) ?? string.Empty));
            }

            switch (metric.MetricType)
            {
                case MetricType.LongSum or MetricType.LongSumNonMonotonic:
                    PrometheusText.Sample(body, name, labels, point.GetSumLong());
                    break;
                case MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic:
                    PrometheusText.Sample(body, name, labels, point.GetSumDouble());
                    break;
                case MetricType.LongGauge:
                    PrometheusText.Sample(body, name, labels, point.GetGaugeLastValueLong());
                    break;
                case MetricType.DoubleGauge:
                    PrometheusText.Sample(body, name, labels, point.GetGaugeLastValueDouble());
                    break;
                case MetricType.Histogram:
                    long cumulative = 0;
                    foreach (var bucket in point.GetHistogramBuckets())
                    {
                        cumulative += bucket.BucketCount;
                        var le = double.IsPositiveInfinity(bucket.ExplicitBound) ? "+Inf" : PrometheusText.Number(bucket.ExplicitBound);
                        PrometheusText.Sample(body, name + "_bucket", [.. labels, new("le", le)], cumulative);
                    }

                    PrometheusText.Sample(body, name + "_sum", labels, point.GetHistogramSum());
                    PrometheusText.Sample(body, name + "_count", labels, point.GetHistogramCount());
                    break;
            }
        }

        if (body.Length == 0)
        {
            return;
        }

        text.Append("# HELP ").Append(name).Append(' ').Append((metric.Description ?? string.Empty).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal)).Append('\n');
        text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
        text.Append(body);
    }

    private static string Sanitize(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_').ToArray();
        return chars.Length > 0 && char.IsAsciiDigit(chars[0]) ? "_" + new string(chars) : new string(chars);
    }
}
