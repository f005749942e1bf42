using System.Globalization;
using System.Text.Json;
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
                SecureFolder.Create(directory);
                var path = FileFor(directory, _time.GetUtcNow());
                var created = !File.Exists(path);
                using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
                if (created && !OperatingSystem.IsWindows())
                {
                    File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                }

                buffer.Position = 0;
                buffer.CopyTo(file);
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
        json.WriteStartObject();
        json.WriteString("timeUnixNano", (point.EndTime.ToUnixTimeMilliseconds() * 1_000_000L).ToString(CultureInfo.InvariantCulture));
        json.WriteStartObject("resource");
        json.WriteString("service.name", serviceName);
        json.WriteEndObject();
        json.WriteStartObject("scope");
        json.WriteString("name", metric.MeterName);
        if (metric.MeterVersion is { } version)
        {
            json.WriteString("version", version);
        }

        json.WriteEndObject();
        json.WriteString("name", metric.Name);
        json.WriteString("unit", metric.Unit ?? string.Empty);
        json.WriteString("type", TypeName(metric.MetricType));
        json.WriteStartObject("attributes");
        foreach (var tag in point.Tags)
        {
            WriteValue(json, tag.Key, tag.Value);
        }

        json.WriteEndObject();
        switch (metric.MetricType)
        {
            case MetricType.LongSum or MetricType.LongSumNonMonotonic:
                json.WriteNumber("value", point.GetSumLong());
                break;
            case MetricType.DoubleSum or MetricType.DoubleSumNonMonotonic:
                json.WriteNumber("value", point.GetSumDouble());
                break;
            case MetricType.LongGauge:
                json.WriteNumber("value", point.GetGaugeLastValueLong());
                break;
            case MetricType.DoubleGauge:
                json.WriteNumber("value", point.GetGaugeLastValueDouble());
                break;
            case MetricType.Histogram:
                json.WriteNumber("count", point.GetHistogramCount());
                json.WriteNumber("sum", point.GetHistogramSum());
                if (point.TryGetHistogramMinMaxValues(out var min, out var max))
                {
                    json.WriteNumber("min", min);
                    json.WriteNumber("max", max);
                }

                json.WriteStartArray("bucketBounds");
                foreach (var bucket in point.GetHistogramBuckets())
                {
                    if (!double.IsPositiveInfinity(bucket.ExplicitBound))
                    {
                        json.WriteNumberValue(bucket.ExplicitBound);
                    }
                }

                json.WriteEndArray();
                json.WriteStartArray("bucketCounts");
                foreach (var bucket in point.GetHistogramBuckets())
                {
                    json.WriteNumberValue(bucket.BucketCount);
                }

                json.WriteEndArray();
                break;
            default:
                json.WriteNumber("count", point.GetHistogramCount());
                json.WriteNumber("sum", point.GetHistogramSum());
                break;
        }

        json.WriteEndObject();
    }

    private static string TypeName(MetricType type) => type switch
    {
        MetricType.LongSum or MetricType.DoubleSum or MetricType.LongSumNonMonotonic or MetricType.DoubleSumNonMonotonic => "sum",
        MetricType.LongGauge or MetricType.DoubleGauge => "gauge",
        _ => "histogram",
    };

    private static void WriteValue(Utf8JsonWriter json, string key, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNull(key);
                break;
            case bool b:
                json.WriteBoolean(key, b);
                break;
            case int or long or short or byte:
                json.WriteNumber(key, Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case double or float:
                json.WriteNumber(key, Convert.ToDouble(value, CultureInfo.InvariantCulture));
                break;
            default:
                json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }
}
