using System.Diagnostics;
using System.Diagnostics.Metrics;
using Backfill.Core.Errors;

namespace Backfill.Core.Telemetry;

/// <summary>
/// The instruments of the meter <c>Backfill</c>. Code records through these methods at its natural points (a source's
/// request, a unit's end, a gap analysis); nothing is collected unless an exporter listens (see <c>metrics.exporters</c>).
/// </summary>
public static class BackfillMetrics
{
    /// <summary>The meter's name; exporters also pick up every meter whose name starts with it.</summary>
    public const string MeterName = "Backfill";

    private static readonly Meter Meter = new(MeterName, "1.0");

    private static readonly Counter<long> Requests = Meter.CreateCounter<long>(
        "backfill.requests", "{request}", "HTTP requests sent to a source (retries included).");

    private static readonly Counter<long> Errors = Meter.CreateCounter<long>(
        "backfill.errors", "{error}", "Failed source requests, by error kind.");

    private static readonly Counter<long> Retries = Meter.CreateCounter<long>(
        "backfill.retries", "{retry}", "Source requests retried after an error, by error kind.");

    private static readonly Counter<long> Rows = Meter.CreateCounter<long>(
        "backfill.rows", "{row}", "Rows written by units that completed.");

    private static readonly Gauge<double> RowsPerSecond = Meter.CreateGauge<double>(
        "backfill.rows_per_second", "{row}/s", "Rows per second of the last unit that completed.");

    private static readonly Counter<long> BytesWritten = Meter.CreateCounter<long>(
        "backfill.bytes_written", "By", "Bytes of the output files units published.");

    private static readonly Counter<long> Units = Meter.CreateCounter<long>(
        "backfill.units", "{unit}", "Units (dataset dates) finished, by outcome: done, failed, interrupted, skipped.");

    private static readonly Histogram<double> UnitDuration = Meter.CreateHistogram<double>(
        "backfill.unit.duration", "s", "Time a unit took from claim to its outcome.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600] });

    private static readonly Gauge<long> Gaps = Meter.CreateGauge<long>(
        "backfill.gaps", "{session}", "Sessions without verified output at the last gap analysis.");

    static BackfillMetrics()
    {
        Meter.CreateObservableGauge(
            "backfill.process.memory", () => new Measurement<long>(Environment.WorkingSet, new KeyValuePair<string, object?>("memory.type", "working_set")),
            "By", "Working set of the backfill process.");
        Meter.CreateObservableGauge(
            "backfill.process.managed_memory", () => GC.GetTotalMemory(false), "By", "Managed heap in use.");
    }

    /// <param name="source">The vendor client: thetadata, databento, alphavantage.</param>
    public static void RequestSent(string source) => Requests.Add(1, new KeyValuePair<string, object?>("source", source));

    public static void RequestFailed(string source, ErrorKind kind) =>
        Errors.Add(1, new KeyValuePair<string, object?>("source", source), new KeyValuePair<string, object?>("error.kind", kind.ToString()));

    public static void RequestRetried(string source, ErrorKind kind) =>
        Retries.Add(1, new KeyValuePair<string, object?>("source", source), new KeyValuePair<string, object?>("error.kind", kind.ToString()));

    /// <summary>One unit's end. <paramref name="outcome"/> is done, failed, interrupted or skipped.</summary>
    public static void UnitFinished(string dataset, string outcome, TimeSpan duration, long rows, long bytes, string? errorKind)
    {
        var tags = new TagList { { "dataset", dataset }, { "outcome", outcome } };
        if (errorKind is not null)
        {
            tags.Add("error.kind", errorKind);
        }

        Units.Add(1, tags);
        if (outcome == "skipped")
        {
            return;
        }

        UnitDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("dataset", dataset), new KeyValuePair<string, object?>("outcome", outcome));
        if (outcome != "done")
        {
            return;
        }

        var dataTag = new KeyValuePair<string, object?>("dataset", dataset);
        Rows.Add(rows, dataTag);
        BytesWritten.Add(bytes, dataTag);
        if (duration > TimeSpan.Zero)
        {
            RowsPerSecond.Record(rows / duration.TotalSeconds, dataTag);
        }
    }

    public static void GapsCounted(string dataset, int gaps) => Gaps.Record(gaps, new KeyValuePair<string, object?>("dataset", dataset));
}
