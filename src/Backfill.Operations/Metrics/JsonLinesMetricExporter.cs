using System.Globalization;
using System.Text.Json;
using Backfill.Core.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;

namespace Backfill.Operations.Metrics;

/// <summary>
/// Writes each metric point as one OTLP-shaped JSON object a line, appended to <c>metrics-YYYY-MM-DD.jsonl</c>
/// (UTC day of the export) in <paramref name="directory"/>: readable with jq, DuckDB or any log shipper.
/// </summary>
internal sealed class JsonLinesMetricExporter(string directory, string serviceName, TimeProvider? time = null) : BaseExporter<Metric>
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _write = new();

    public static string FileFor(string directory, DateTimeOffset utc) =>
        Path.Combine(directory, $"metrics-{utc.UtcDateTime:yyyy-MM-dd}.jsonl");

    public override ExportResult Export(in Batch<Metric> batch)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = false }))
        {
            foreach (var metric in batch)
            {
                foreach (ref readonly var point in metric.GetMetricPoints())
                {
                    json.Reset(buffer);
                    Write(json, metric, in point);
                    json.Flush();
                    buffer.WriteByte((byte)'\n');
                }
            }
        }

        if (buffer.Length == 0)
        {
            return ExportResult.Success;
        }

        try
        {
            lock (_write)
            {
                MetricPointJson.WriteFile(FileFor(directory, _time.GetUtcNow()), buffer.GetBuffer().AsSpan(0, (int)buffer.Length), append: true);
            }

            return ExportResult.Success;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return ExportResult.Failure;
        }
    }

    private void Write(Utf8JsonWriter json, Metric metric, in MetricPoint point)
    {
        var attributes = new List<KeyValuePair<string, object?>>();
        foreach (var tag in point.Tags)
        {
            attributes.Add(tag);
        }

        var head = new MetricPointHead(point.EndTime.ToUnixTimeMilliseconds() * 1_000_000L, serviceName, metric.MeterName, metric.MeterVersion,
            metric.Name, metric.Unit ?? string.Empty, TypeName(metric.MetricType), attributes);
        switch (metric.MetricType)
        {
            case MetricType.LongSum or MetricType.LongSumNonMonotonic:
                MetricPointJson.Write(json, head, point.GetSumLong());
                break;
            case MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic:
                MetricPointJson.Write(json, head, point.GetSumDouble());
                break;
            case MetricType.LongGauge:
                MetricPointJson.Write(json, head, point.GetGaugeLastValueLong());
                break;
            case MetricType.DoubleGauge:
                MetricPointJson.Write(json, head, point.GetGaugeLastValueDouble());
                break;
            case MetricType.Histogram:
                var bounds = new List<double>();
                var counts = new List<long>();
                foreach (var bucket in point.GetHistogramBuckets())
                {
                    if (!double.IsPositiveInfinity(bucket.ExplicitBound))
                    {
                        bounds.Add(bucket.ExplicitBound);
                    }

                    counts.Add(bucket.BucketCount);
                }

                var hasRange = point.TryGetHistogramMinMaxValues(out var min, out var max);
                MetricPointJson.WriteHistogram(json, head, point.GetHistogramCount(), point.GetHistogramSum(),
                    hasRange ? min : null, hasRange ? max : null, bounds, counts);
                break;
            default:
                MetricPointJson.WriteHistogram(json, head, point.GetHistogramCount(), point.GetHistogramSum(), null, null, null, null);
                break;
        }
    }

    private static string TypeName(MetricType type) => type switch
    {
        MetricType.LongSum or MetricType.DoubleSum or MetricType.LongSumNonMonotonic or MetricType.DoubleSumNonMonotonic => "sum",
        MetricType.LongGauge or MetricType.DoubleGauge => "gauge",
        _ => "histogram",
    };
}
