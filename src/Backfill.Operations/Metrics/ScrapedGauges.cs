using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Backfill.Operations.Metrics;

/// <summary>One gauge family of the Prometheus exposition: its full name (<c>backfill_units</c>), help text and samples.</summary>
public sealed record GaugeFamily(string Name, string Help, IReadOnlyList<GaugeSample> Samples);

/// <summary>One sample of a gauge: its labels and value.</summary>
public sealed record GaugeSample(IReadOnlyList<KeyValuePair<string, string>> Labels, double Value)
{
    public GaugeSample(double value, params (string Name, string Value)[] labels)
        : this([.. labels.Select(l => new KeyValuePair<string, string>(l.Name, l.Value))], value)
    {
    }
}

/// <summary>Gauges read when <c>/metrics</c> is scraped (the engine reads them from the ledger and the machine).</summary>
public interface IGaugeSource
{
    Task<IReadOnlyList<GaugeFamily>> ReadGaugesAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Adds an <see cref="IGaugeSource"/>'s gauges to the OpenTelemetry exposition of <c>/metrics</c>. The source is read at
/// most once per <see cref="MaxAge"/> (a scrape within that time gets the cached families), and the exposition is the
/// Prometheus text format 0.0.4, which Prometheus accepts whatever it asks for first.
/// </summary>
public sealed class ScrapedGauges(IGaugeSource source, TimeProvider time)
{
    /// <summary>How long one read of the source serves further scrapes.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);

    private readonly SemaphoreSlim _reading = new(1, 1);
    private (DateTimeOffset At, string Text)? _cached;

    /// <summary>The families as text, from the cache when it is fresh.</summary>
    public async Task<string> TextAsync(CancellationToken cancellationToken)
    {
        if (_cached is { } fresh && time.GetUtcNow() - fresh.At < MaxAge)
        {
            return fresh.Text;
        }

        await _reading.WaitAsync(cancellationToken);
        try
        {
            if (_cached is { } other && time.GetUtcNow() - other.At < MaxAge)
            {
                return other.Text;
            }

            var text = PrometheusText.Write(await source.ReadGaugesAsync(cancellationToken));
            _cached = (time.GetUtcNow(), text);
            return text;
        }
        finally
        {
            _reading.Release();
        }
    }

    /// <summary>
    /// Middleware for <c>/metrics</c>: asks the OpenTelemetry endpoint for the uncompressed text format, then appends the
    /// gauges. The families' names differ from every OpenTelemetry instrument's the server exports.
    /// </summary>
    public async Task AppendAsync(HttpContext context, RequestDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var gauges = TextAsync(context.RequestAborted);
        context.Request.Headers.Accept = "text/plain; version=0.0.4";

        // The exporter compresses when asked; the gauges are appended to its text, so it is asked for plain text.
        context.Request.Headers.Remove("Accept-Encoding");
        var body = context.Response.Body;
        using var buffer = new MemoryStream();
        context.Response.Body = buffer;
        try
        {
            await next(context);
        }
        finally
        {
            context.Response.Body = body;
        }

        var text = context.Response.StatusCode == StatusCodes.Status200OK ? await gauges : string.Empty;
        context.Response.ContentLength = null;
        buffer.Position = 0;
        await buffer.CopyToAsync(body, context.RequestAborted);
        if (text.Length > 0)
        {
            await body.WriteAsync(Encoding.UTF8.GetBytes(text), context.RequestAborted);
        }
    }
}

/// <summary>The Prometheus text exposition format (0.0.4) for gauge families: HELP and TYPE lines, escaped labels.</summary>
public static class PrometheusText
{
    public static string Write(IEnumerable<GaugeFamily> families)
    {
        ArgumentNullException.ThrowIfNull(families);
        var text = new StringBuilder();
        foreach (var family in families)
        {
            text.Append("# HELP ").Append(family.Name).Append(' ').Append(EscapeHelp(family.Help)).Append('\n');
            text.Append("# TYPE ").Append(family.Name).Append(" gauge\n");
            foreach (var sample in family.Samples)
            {
                Sample(text, family.Name, sample.Labels, sample.Value);
            }
        }

        return text.ToString();
    }

    /// <summary>One sample line: <c>name{a="x",b="y"} value</c>.</summary>
    public static void Sample(StringBuilder text, string name, IEnumerable<KeyValuePair<string, string>> labels, double value)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(labels);
        text.Append(name);
        var first = true;
        foreach (var (key, labelValue) in labels)
        {
            text.Append(first ? '{' : ',').Append(key).Append("=\"").Append(EscapeLabel(labelValue)).Append('"');
            first = false;
        }

        text.Append(first ? " " : "} ").Append(Number(value)).Append('\n');
    }

    public static string Number(double value) =>
        double.IsNaN(value) ? "NaN"
        : double.IsPositiveInfinity(value) ? "+Inf"
        : double.IsNegativeInfinity(value) ? "-Inf"
        : value.ToString("R", CultureInfo.InvariantCulture);

    public static string EscapeLabel(string value) =>
        (value ?? string.Empty).Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    private static string EscapeHelp(string help) =>
        help.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}

/// <summary>The instruments whose Prometheus names the scraped gauges take over in <c>serve</c>.</summary>
public static class ScrapedGaugeNames
{
    /// <summary>
    /// <c>backfill.gaps</c> (the last gap analysis the process ran, which in <c>serve</c> is whatever range the status page
    /// asked for) would be exported as <c>backfill_gaps</c> beside the ledger's own gauge of that name: it is dropped.
    /// </summary>
    public static Func<System.Diagnostics.Metrics.Instrument, OpenTelemetry.Metrics.MetricStreamConfiguration?> DropShadowed(bool scraped) =>
        instrument => scraped && instrument.Meter.Name == Core.Telemetry.BackfillMetrics.MeterName && instrument.Name == "backfill.gaps"
            ? OpenTelemetry.Metrics.MetricStreamConfiguration.Drop
            : null;
}
