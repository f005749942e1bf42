using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Backfill.Sources.CryptoLake.Book;

namespace Backfill.Engine.CryptoBook;

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

    /// <summary>Writes the day's points (replacing an earlier file of the same day) and returns its path.</summary>
    public static string WriteJsonLines(string metricsDirectory, string dataset, DateOnly date, string symbol, CryptoBookDayResult day, TimeSpan elapsed, long peakMemoryBytes, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(day);
        Directory.CreateDirectory(metricsDirectory);
        var path = Path.Combine(metricsDirectory, $"{dataset}-{date:yyyy-MM-dd}.jsonl");
        var time = (now - DateTimeOffset.UnixEpoch).Ticks * 100;
        var text = new StringBuilder();
        var attributes = new Dictionary<string, string>
        {
            ["dataset"] = dataset, ["date"] = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), ["symbol"] = symbol,
        };
        void Point(string name, string unit, string type, double value)
        {
            text.Append(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["timeUnixNano"] = time, ["resource"] = new Dictionary<string, string> { ["service.name"] = "backfill" }, ["scope"] = MeterName,
                ["name"] = name, ["unit"] = unit, ["type"] = type, ["attributes"] = attributes, ["value"] = value,
            })).Append('\n');
        }

        void Histogram(string name, string unit, IEnumerable<double> values, double[] bounds)
        {
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

            text.Append(JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["timeUnixNano"] = time, ["resource"] = new Dictionary<string, string> { ["service.name"] = "backfill" }, ["scope"] = MeterName,
                ["name"] = name, ["unit"] = unit, ["type"] = "histogram", ["attributes"] = attributes,
                ["count"] = count, ["sum"] = sum, ["min"] = count == 0 ? 0 : min, ["max"] = count == 0 ? 0 : max,
                ["bucketBounds"] = bounds, ["bucketCounts"] = counts,
            })).Append('\n');
        }

        var q = day.Quality;
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-9);
        Point("backfill.cryptobook.events", "{event}", "sum", day.Rows);
        Point("backfill.cryptobook.trades", "{event}", "sum", day.Trades);
        Point("backfill.cryptobook.book_deltas", "{event}", "sum", day.Deltas);
        Point("backfill.cryptobook.snapshots_written", "{event}", "sum", day.SnapshotsWritten);
        Point("backfill.cryptobook.throughput", "{event}/s", "gauge", day.Rows / seconds);
        Point("backfill.cryptobook.peak_memory", "By", "gauge", peakMemoryBytes);
        Point("backfill.cryptobook.gaps", "{gap}", "sum", q.Gaps);
        Point("backfill.cryptobook.gaps_per_hour", "{gap}/h", "gauge", q.Gaps / 24.0);
        Point("backfill.cryptobook.crossed", "{message}", "sum", q.CrossedMessages);
        Point("backfill.cryptobook.crossed_snapshots", "{snapshot}", "sum", q.CrossedSnapshots);
        Point("backfill.cryptobook.level_mismatches", "{level}", "sum", q.LevelMismatches);
        Point("backfill.cryptobook.out_of_order", "{message}", "sum", q.OutOfOrderMessages);
        Point("backfill.cryptobook.duplicates", "{row}", "sum", q.Duplicates);
        Point("backfill.cryptobook.precision_loss", "{value}", "sum", q.PrecisionLoss + day.TradePrecisionLoss);
        Point("backfill.cryptobook.rejected_rows", "{row}", "sum", day.Read.Rejected);
        Point("backfill.cryptobook.depth", "{level}", "gauge", day.MaxDepth);
        Point("backfill.cryptobook.trade_book_ratio", "1", "gauge", day.Deltas == 0 ? 0 : (double)day.Trades / day.Deltas);
        Point("backfill.cryptobook.mid_deviation.max", "{tick}", "gauge", q.MaxDeviationTicks);
        Point("backfill.cryptobook.mid_deviation.p99", "{tick}", "gauge", BookQuality.Percentile(q.DeviationTicks, 99));
        Histogram("backfill.cryptobook.mid_deviation", "{tick}", q.DeviationTicks, DeviationBounds);
        Histogram("backfill.cryptobook.clock_skew", "us", q.SkewMicros.Select(v => (double)v), SkewBounds);
        var temp = path + ".tmp";
        File.WriteAllText(temp, text.ToString());
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
