using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using Backfill.Core.Telemetry;
using System.Text.Json;
using Backfill.Sources.CryptoLake.Book;

namespace Backfill.Engine.Datasets.CryptoBook;

/// <summary>
/// The <c>crypto-book</c> metrics: System.Diagnostics.Metrics instruments on the meter <c>Backfill.CryptoBook</c> (for any
/// listener or OpenTelemetry exporter), and a per-day summary written as OpenTelemetry-shaped JSON lines to
/// <c>{data}/metrics/crypto-book-YYYY-MM-DD.jsonl</c>, one metric point per line. Kept in this one file so a
/// general exporter can replace the writer later.
/// </summary>
public static class CryptoBookMetrics
{
    public const string MeterName = "Backfill.CryptoBook";
    private static readonly Meter Meter = new(MeterName);
    private static readonly Counter<long> Events = Meter.CreateCounter<long>("backfill.cryptobook.events", "{event}", "Events written (trades, book deltas, snapshots).");
    private static readonly Counter<long> Gaps = Meter.CreateCounter<long>("backfill.cryptobook.gaps", "{gap}", "Snapshots that disagreed with the rebuilt book.");
    private static readonly Counter<long> Crossed = Meter.CreateCounter<long>("backfill.cryptobook.crossed", "{message}", "Messages after which the book was crossed.");
    private static readonly Histogram<double> Deviation = Meter.CreateHistogram<double>("backfill.cryptobook.mid_deviation", "{tick}", "|rebuilt mid - snapshot mid| per snapshot.");
    private static readonly Histogram<long> Depth = Meter.CreateHistogram<long>("backfill.cryptobook.depth", "{level}", "Largest side of the rebuilt book, per day.");
    private static readonly Histogram<double> TradeRatio = Meter.CreateHistogram<double>("backfill.cryptobook.trade_book_ratio", "1", "Trades per book delta, per day.");

    /// <summary>Bucket bounds of the deviation histogram, in ticks.</summary>
    public static readonly double[] DeviationBounds = [0, 0.5, 1, 2, 5, 10, 50, 100, 1000];

    /// <summary>Bucket bounds of the clock-skew histogram, in microseconds.</summary>
    public static readonly double[] SkewBounds = [-1000, 0, 1000, 5000, 10000, 25000, 50000, 100000, 1000000];

    public static void Record(string dataset, DateOnly date, string symbol, CryptoBookDayResult day)
    {
        ArgumentNullException.ThrowIfNull(day);
        var tags = new TagList { { "dataset", dataset }, { "date", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) }, { "symbol", symbol } };
        Events.Add(day.Rows, tags);
        Gaps.Add(day.Quality.Gaps, tags);
        Crossed.Add(day.Quality.CrossedMessages, tags);
        foreach (var d in day.Quality.DeviationTicks)
        {
            Deviation.Record(d, tags);
        }

        Depth.Record(day.MaxDepth, tags);
        TradeRatio.Record(day.Deltas == 0 ? 0 : (double)day.Trades / day.Deltas, tags);
    }

    /// <summary>
    /// Writes the day's points (replacing an earlier file of the same day; 0600 in a 0700 folder) through the same line
    /// serializer as the OpenTelemetry JSON-lines exporter, and returns its path. Gaps are given per UTC hour (attribute
    /// <c>hour</c>, 0-23) as well as for the day.
    /// </summary>
    public static string WriteJsonLines(string metricsDirectory, string dataset, DateOnly date, string symbol, CryptoBookDayResult day, TimeSpan elapsed, long peakMemoryBytes, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(day);
        var path = Path.Combine(metricsDirectory, $"{dataset}-{date:yyyy-MM-dd}.jsonl");
        var time = (now - DateTimeOffset.UnixEpoch).Ticks * 100;
        using var buffer = new MemoryStream();
        using var json = new Utf8JsonWriter(buffer);
        KeyValuePair<string, object?>[] attributes =
        [
            new("dataset", dataset), new("date", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)), new("symbol", symbol),
        ];
        MetricPointHead Head(string name, string unit, string type, IReadOnlyList<KeyValuePair<string, object?>>? extra = null) =>
            new(time, "backfill", MeterName, null, name, unit, type, extra is null ? attributes : [.. attributes, .. extra]);
        void EndLine()
        {
            json.Flush();
            buffer.WriteByte((byte)'\n');
            json.Reset(buffer);
        }

        void Point(string name, string unit, string type, double value)
        {
            MetricPointJson.Write(json, Head(name, unit, type), value);
            EndLine();
        }

        void Count(string name, string unit, long value, IReadOnlyList<KeyValuePair<string, object?>>? extra = null)
        {
            MetricPointJson.Write(json, Head(name, unit, "sum", extra), value);
            EndLine();
        }

        void Histogram(string name, string unit, IEnumerable<double> values, double[] bounds)
        {
            MetricPointJson.WriteHistogram(json, Head(name, unit, "histogram"), values, bounds);
            EndLine();
        }

        var q = day.Quality;
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        Count("backfill.cryptobook.events", "{event}", day.Rows);
        Count("backfill.cryptobook.trades", "{event}", day.Trades);
        Count("backfill.cryptobook.book_deltas", "{event}", day.Deltas);
        Count("backfill.cryptobook.snapshots_written", "{event}", day.SnapshotsWritten);
        Point("backfill.cryptobook.throughput", "{event}/s", "gauge", day.Rows / seconds);
        Point("backfill.cryptobook.peak_memory", "By", "gauge", peakMemoryBytes);
        Count("backfill.cryptobook.messages", "{message}", q.Messages);
        Count("backfill.cryptobook.snapshots_compared", "{snapshot}", q.DeviationTicks.Count);
        Count("backfill.cryptobook.gaps", "{gap}", q.Gaps);
        for (var hour = 0; hour < q.GapsPerHour.Count; hour++)
        {
            Count("backfill.cryptobook.gaps_by_hour", "{gap}", q.GapsPerHour[hour], [new("hour", hour)]);
        }

        Count("backfill.cryptobook.crossed", "{message}", q.CrossedMessages);
        Count("backfill.cryptobook.crossed_snapshots", "{snapshot}", q.CrossedSnapshots);
        Count("backfill.cryptobook.level_mismatches", "{level}", q.LevelMismatches);
        Count("backfill.cryptobook.out_of_order", "{message}", q.OutOfOrderMessages);
        Count("backfill.cryptobook.duplicates", "{row}", q.Duplicates);
        Count("backfill.cryptobook.precision_loss", "{value}", q.PrecisionLoss + day.TradePrecisionLoss);
        Count("backfill.cryptobook.rejected_rows", "{row}", day.Read.Rejected);
        Point("backfill.cryptobook.depth", "{level}", "gauge", day.MaxDepth);
        Point("backfill.cryptobook.trade_book_ratio", "1", "gauge", day.Deltas == 0 ? 0 : (double)day.Trades / day.Deltas);
        Point("backfill.cryptobook.mid_deviation.max", "{tick}", "gauge", q.MaxDeviationTicks);
        Point("backfill.cryptobook.mid_deviation.p99", "{tick}", "gauge", BookQuality.Percentile(q.DeviationTicks, 99));
        Histogram("backfill.cryptobook.mid_deviation", "{tick}", q.DeviationTicks, DeviationBounds);
        Histogram("backfill.cryptobook.clock_skew", "us", q.SkewMicros.Select(v => (double)v), SkewBounds);
        MetricPointJson.WriteFile(path, buffer.GetBuffer().AsSpan(0, (int)buffer.Length), append: false);
        return path;
    }
}
