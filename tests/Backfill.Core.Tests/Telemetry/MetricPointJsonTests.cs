using System.Text;
using System.Text.Json;
using Backfill.Core.Telemetry;

namespace Backfill.Core.Tests.Telemetry;

public sealed class MetricPointJsonTests
{
    private static readonly MetricPointHead Head = new(1_700_000_000_000_000_000, "backfill", "Backfill.Test", "1.0", "backfill.test", "{tick}", "histogram",
        [new("dataset", "crypto-book"), new("hour", 7), new("ok", true)]);

    private static JsonElement Line(Action<Utf8JsonWriter> write)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            write(json);
        }

        var text = Encoding.UTF8.GetString(buffer.ToArray());
        Assert.DoesNotContain('\n', text);
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    [Fact]
    public void A_histogram_of_raw_values_puts_a_value_equal_to_a_bound_in_that_bounds_bucket()
    {
        var point = Line(json => MetricPointJson.WriteHistogram(json, Head, [0, 0.5, 1, 3, 2000], [0, 1, 5]));

        Assert.Equal("1700000000000000000", point.GetProperty("timeUnixNano").GetString());
        Assert.Equal("Backfill.Test", point.GetProperty("scope").GetProperty("name").GetString());
        Assert.Equal("1.0", point.GetProperty("scope").GetProperty("version").GetString());
        Assert.Equal(7, point.GetProperty("attributes").GetProperty("hour").GetInt32());
        Assert.True(point.GetProperty("attributes").GetProperty("ok").GetBoolean());
        Assert.Equal(5, point.GetProperty("count").GetInt64());
        Assert.Equal(2004.5, point.GetProperty("sum").GetDouble());
        Assert.Equal(2000, point.GetProperty("max").GetDouble());
        Assert.Equal([0.0, 1, 5], point.GetProperty("bucketBounds").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal([1L, 2, 1, 1], point.GetProperty("bucketCounts").EnumerateArray().Select(e => e.GetInt64()));
    }

    [Fact]
    public void An_empty_histogram_has_no_range_and_a_non_finite_value_is_null_not_a_guess()
    {
        var empty = Line(json => MetricPointJson.WriteHistogram(json, Head, [], [1.0]));
        Assert.False(empty.TryGetProperty("min", out _));
        Assert.Equal([0L, 0], empty.GetProperty("bucketCounts").EnumerateArray().Select(e => e.GetInt64()));

        var nan = Line(json => MetricPointJson.Write(json, Head with { Type = "gauge" }, double.NaN));
        Assert.Equal(JsonValueKind.Null, nan.GetProperty("value").ValueKind);
    }

    [Fact]
    public void Files_are_owner_only_in_an_owner_only_folder_whether_replaced_or_appended()
    {
        var root = Directory.CreateTempSubdirectory("backfill-metrics-").FullName;
        try
        {
            var path = Path.Combine(root, "metrics", "a.jsonl");
            MetricPointJson.WriteFile(path, "one\n"u8, append: false);
            MetricPointJson.WriteFile(path, "two\n"u8, append: false);
            Assert.Equal("two\n", File.ReadAllText(path));
            MetricPointJson.WriteFile(path, "three\n"u8, append: true);
            Assert.Equal("two\nthree\n", File.ReadAllText(path));
            var appended = Path.Combine(root, "metrics", "b.jsonl");
            MetricPointJson.WriteFile(appended, "x\n"u8, append: true);
            Assert.False(File.Exists(path + ".tmp"));
            if (!OperatingSystem.IsWindows())
            {
                const UnixFileMode file = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                Assert.Equal(file, File.GetUnixFileMode(path));
                Assert.Equal(file, File.GetUnixFileMode(appended));
                Assert.Equal(file | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(root, "metrics")));
            }
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }
}
