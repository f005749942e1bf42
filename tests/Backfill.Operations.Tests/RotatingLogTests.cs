using Backfill.Operations.Logging;
using Microsoft.Extensions.Logging;

namespace Backfill.Operations.Tests;

public sealed class RotatingLogTests : IDisposable
{
    private readonly string _folder = Path.Combine(Directory.CreateTempSubdirectory("backfill-logs-").FullName, "logs");

    private sealed class Clock(DateTimeOffset now) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = now;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private RotatingFileLoggerProvider Provider(Clock clock, int keep, bool json = true, params string[] secrets) =>
        new(new LoggingOptions(_folder, 4096, keep, json, LogLevel.Debug, LogLevel.Warning), new SecretRedactor(secrets), clock);

    [Fact]
    public void Files_rotate_at_the_size_limit_keep_the_newest_and_never_split_a_line()
    {
        var clock = new Clock(new DateTimeOffset(2024, 6, 3, 12, 0, 0, TimeSpan.Zero));
        using (var provider = Provider(clock, keep: 3))
        {
            var logger = provider.CreateLogger("Backfill.Test");
            for (var i = 0; i < 400; i++)
            {
                logger.LogInformation("line {Number:D4} of the rotation test, padded to a realistic length for one log entry", i);
            }
        }

        var files = Directory.GetFiles(_folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(3, files.Count);
        Assert.Contains("backfill-20240603.log", files);
        var lines = new List<string>();
        foreach (var file in Directory.GetFiles(_folder))
        {
            Assert.True(new FileInfo(file).Length <= 4096, $"{file} is {new FileInfo(file).Length} bytes");
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }

            foreach (var line in File.ReadAllLines(file))
            {
                using var parsed = System.Text.Json.JsonDocument.Parse(line);
                lines.Add(parsed.RootElement.GetProperty("message").GetString()!);
            }
        }

        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(_folder));
        }

        Assert.Contains(lines, l => l.Contains("line 0399", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("line 0000", StringComparison.Ordinal));
        var current = File.ReadAllLines(Path.Combine(_folder, "backfill-20240603.log"));
        Assert.Contains("line 0399", current[^1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_new_utc_day_starts_a_new_file_and_secrets_are_masked_in_it()
    {
        var clock = new Clock(new DateTimeOffset(2024, 6, 3, 23, 59, 0, TimeSpan.Zero));
        using (var provider = Provider(clock, keep: 10, json: false, "s3cr3t-key-value"))
        {
            var logger = provider.CreateLogger("Backfill.Test");
            logger.LogWarning("before midnight with key s3cr3t-key-value");
            clock.Now = clock.Now.AddMinutes(2);
            logger.LogWarning("after midnight with url postgres://team:hunter2@db:5432/x");
        }

        var first = File.ReadAllText(Path.Combine(_folder, "backfill-20240603.log"));
        var second = File.ReadAllText(Path.Combine(_folder, "backfill-20240604.log"));
        Assert.Contains("before midnight", first, StringComparison.Ordinal);
        Assert.Contains("after midnight", second, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t-key-value", first + second, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", second, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_folder)!, recursive: true);
}
