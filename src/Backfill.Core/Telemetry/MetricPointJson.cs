using System.Globalization;
using System.Text.Json;
using Backfill.Core.IO;

namespace Backfill.Core.Telemetry;

/// <summary>What every metric line starts with: when, who (resource and scope), what (name, unit, type) and the attributes.</summary>
public sealed record MetricPointHead(
    long TimeUnixNano, string ServiceName, string Scope, string? ScopeVersion, string Name, string Unit, string Type,
    IReadOnlyList<KeyValuePair<string, object?>> Attributes);

/// <summary>
/// One metric point as one OTLP-shaped JSON object a line (<c>timeUnixNano</c> as a string, like OTLP/JSON's int64),
/// and the owner-only files (0600 in a 0700 folder) those lines go to. Shared by the OpenTelemetry JSON-lines exporter
/// and the per-day summaries, so both write the same shape.
/// </summary>
public static class MetricPointJson
{
    public static void Write(Utf8JsonWriter json, MetricPointHead head, long value)
    {
        ArgumentNullException.ThrowIfNull(json);
        WriteHead(json, head);
        json.WriteNumber("value", value);
        json.WriteEndObject();
    }

    public static void Write(Utf8JsonWriter json, MetricPointHead head, double value)
    {
        ArgumentNullException.ThrowIfNull(json);
        WriteHead(json, head);
        if (double.IsFinite(value))
        {
            json.WriteNumber("value", value);
        }
        else
        {
            json.WriteNull("value");
        }

        json.WriteEndObject();
    }

    /// <summary>A histogram point; <paramref name="bounds"/> null leaves the buckets out (exponential histograms).</summary>
    public static void WriteHistogram(Utf8JsonWriter json, MetricPointHead head, long count, double sum, double? min, double? max,
        IEnumerable<double>? bounds, IEnumerable<long>? counts)
    {
        ArgumentNullException.ThrowIfNull(json);
        WriteHead(json, head);
        json.WriteNumber("count", count);
        json.WriteNumber("sum", sum);
        if (min is { } low && max is { } high)
        {
            json.WriteNumber("min", low);
            json.WriteNumber("max", high);
        }

        if (bounds is not null)
        {
            json.WriteStartArray("bucketBounds");
            foreach (var bound in bounds)
            {
                json.WriteNumberValue(bound);
            }

            json.WriteEndArray();
            json.WriteStartArray("bucketCounts");
            foreach (var c in counts ?? [])
            {
                json.WriteNumberValue(c);
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
    }

    /// <summary>Builds a histogram from raw values with explicit upper bounds (a value equal to a bound falls in that bound's bucket).</summary>
    public static void WriteHistogram(Utf8JsonWriter json, MetricPointHead head, IEnumerable<double> values, double[] bounds)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(bounds);
        var counts = new long[bounds.Length + 1];
        long count = 0;
        double sum = 0, min = double.PositiveInfinity, max = double.NegativeInfinity;
        foreach (var v in values)
        {
            var bucket = Array.BinarySearch(bounds, v);
            counts[bucket >= 0 ? bucket : ~bucket]++;
            count++;
            sum += v;
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }

        WriteHistogram(json, head, count, sum, count == 0 ? null : min, count == 0 ? null : max, bounds, counts);
    }

    /// <summary>Writes lines to <paramref name="path"/> (appending or replacing it), creating its folder 0700 and the file 0600.</summary>
    public static void WriteFile(string path, ReadOnlySpan<byte> lines, bool append)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        OwnerOnly.CreateDirectory(folder);

        if (append)
        {
            var created = !File.Exists(path);
            using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
            if (created && !OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            file.Write(lines);
            return;
        }

        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var file = new FileStream(temp, options))
        {
            file.Write(lines);
        }

        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>One attribute: numbers and booleans as JSON numbers and booleans, anything else as its invariant text.</summary>
    public static void WriteAttribute(Utf8JsonWriter json, string key, object? value)
    {
        ArgumentNullException.ThrowIfNull(json);
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

    private static void WriteHead(Utf8JsonWriter json, MetricPointHead head)
    {
        ArgumentNullException.ThrowIfNull(head);
        json.WriteStartObject();
        json.WriteString("timeUnixNano", head.TimeUnixNano.ToString(CultureInfo.InvariantCulture));
        json.WriteStartObject("resource");
        json.WriteString("service.name", head.ServiceName);
        json.WriteEndObject();
        json.WriteStartObject("scope");
        json.WriteString("name", head.Scope);
        if (head.ScopeVersion is { } version)
        {
            json.WriteString("version", version);
        }

        json.WriteEndObject();
        json.WriteString("name", head.Name);
        json.WriteString("unit", head.Unit);
        json.WriteString("type", head.Type);
        json.WriteStartObject("attributes");
        foreach (var (key, value) in head.Attributes)
        {
            WriteAttribute(json, key, value);
        }

        json.WriteEndObject();
    }
}
