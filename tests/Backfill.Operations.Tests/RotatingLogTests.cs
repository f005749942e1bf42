using System.Text.Json;
using Backfill.Operations.Logging;
using Microsoft.Extensions.Logging;

namespace Backfill.Operations.Tests;

public sealed class RotatingLogTests : IDisposable
{
    private const int Limit = 4096;

    private readonly string _folder = Path.Combine(Directory.CreateTempSubdirectory("backfill-logs-").FullName, "logs");

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private ILoggerFactory Loggers(Clock clock, int keep, bool json = true, params string[] secrets) =>
        BackfillLogging.Create(new LoggingOptions(_folder, Limit, keep, json, LogLevel.Debug, LogLevel.Warning), TextWriter.Null, new SecretRedactor(secrets), clock);

    [Fact]
    public void Files_rotate_at_the_size_limit_keep_the_newest_and_never_split_a_line()
    {
        var clock = new Clock(new DateTimeOffset(2024, 6, 3, 12, 0, 0, TimeSpan.Zero));
        using (var loggers = Loggers(clock, keep: 3))
        {
            var logger = loggers.CreateLogger("Backfill.Test");
            for (var i = 0; i < 400; i++)
            {
                logger.LogInformation("line {Number:D4} of the rotation test, padded to a realistic length for one log entry", i);
            }
        }

        var files = Directory.GetFiles(_folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, files.Count);
        Assert.All(files, f => Assert.Matches(@"^backfill-20240603_\d{3}\.log$", f));
        var lines = new List<string>();
        foreach (var file in Directory.GetFiles(_folder))
        {
            var longest = File.ReadAllLines(file).Max(l => l.Length + 1);
            // Serilog starts a new file once the limit is reached, so a file may pass it by its last entry only.
            Assert.True(new FileInfo(file).Length <= Limit + longest, $"{file} is {new FileInfo(file).Length} bytes");
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            foreach (var line in File.ReadAllLines(file))
            {
                using var parsed = JsonDocument.Parse(line);
                lines.Add(parsed.RootElement.GetProperty("@m").GetString()!);
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_folder));
        }

        Assert.Contains(lines, l => l.Contains("line 0399", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("line 0000", StringComparison.Ordinal));
        var current = File.ReadAllLines(Path.Combine(_folder, files[^1]!));
        Assert.Contains("line 0399", current[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_utc_day_starts_a_new_file_and_secrets_are_masked_in_it()
    {
        var clock = new Clock(new DateTimeOffset(2024, 6, 3, 23, 59, 0, TimeSpan.Zero));
        using (var loggers = Loggers(clock, keep: 10, json: false, "s3cr3t-key-value"))
        {
            var logger = loggers.CreateLogger("Backfill.Test");
            logger.LogWarning("before midnight with key s3cr3t-key-value");
            clock.Now = clock.Now.AddMinutes(2);
            logger.LogWarning("after midnight with url {Url}", "postgres://team:hunter2@db:5432/x");
        }

        var first = File.ReadAllText(Path.Combine(_folder, "backfill-20240603.log"));
        var second = File.ReadAllText(Path.Combine(_folder, "backfill-20240604.log"));
        Assert.StartsWith("2024-06-03T23:59:00.000Z warn Backfill.Test: before midnight", first, StringComparison.Ordinal);
        Assert.StartsWith("2024-06-04T00:01:00.000Z warn Backfill.Test: after midnight with url postgres://team:***@db", second, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-key-value", first + second, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", second, StringComparison.Ordinal);
    }

    [Fact]
    public void A_secret_in_a_json_value_and_an_exception_is_masked_even_when_json_would_escape_it()
    {
        const string secret = "pa\"ss\\word-9f8e";
        var clock = new Clock(new DateTimeOffset(2024, 6, 3, 12, 0, 0, TimeSpan.Zero));
        using (var loggers = Loggers(clock, keep: 10, json: true, secret))
        {
            loggers.CreateLogger("Backfill.Test").LogWarning(new InvalidOperationException("key " + secret), "value {Value}", "x" + secret + "y");
        }

        var line = File.ReadAllText(Path.Combine(_folder, "backfill-20240603.log"));
        using var entry = JsonDocument.Parse(line);
        Assert.Equal("value x***y", entry.RootElement.GetProperty("@m").GetString());
        Assert.Equal("x***y", entry.RootElement.GetProperty("Value").GetString());
        Assert.Contains("key ***", entry.RootElement.GetProperty("@x").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain("ss\\\\word", line, StringComparison.Ordinal);
        Assert.DoesNotContain("word-9f8e", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_below_the_level_reaches_the_file_and_no_file_is_made_for_nothing()
    {
        var clock = new Clock(new DateTimeOffset(2024, 6, 3, 12, 0, 0, TimeSpan.Zero));
        using (var loggers = Loggers(clock, keep: 10))
        {
            loggers.CreateLogger("Backfill.Test").LogTrace("too detailed");
        }

        Assert.False(Directory.Exists(_folder));
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_folder)!, recursive: true);
}
