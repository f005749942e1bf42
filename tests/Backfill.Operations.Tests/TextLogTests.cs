using System.Text.Json;
using Backfill.Operations.Logging;
using Backfill.Tests.Shared;
using Microsoft.Extensions.Logging;

namespace Backfill.Operations.Tests;

/// <summary>One entry is one line, whatever text a message or an exception carries.</summary>
public sealed class TextLogTests : IDisposable
{
    private static readonly DateOnly Day = new(2024, 6, 3);

    private readonly string _folder = Path.Combine(Directory.CreateTempSubdirectory("backfill-logs-").FullName, "logs");

    private sealed class Clock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(Day, new TimeOnly(12, 0), TimeSpan.Zero);
    }

    [Fact]
    public void A_message_with_line_breaks_and_escape_sequences_stays_one_harmless_line_in_the_text_file()
    {
        var line = LogToFile(json: false);
        HostileText.AssertHarmless(line, maxLength: 1_000_000);
        Assert.Contains(@"one\r\n2024-01-01T00:00:00.000Z fail Forged: line\ntwo", line, StringComparison.Ordinal);
        Assert.Contains("InvalidOperationException", line, StringComparison.Ordinal);
    }

    [Fact]
    public void A_message_with_line_breaks_and_escape_sequences_stays_one_harmless_line_on_the_console()
    {
        using var console = new StringWriter { NewLine = "\n" };
        using (var loggers = BackfillLogging.Create(Options(json: false) with { ConsoleLevel = LogLevel.Debug }, console, new SecretRedactor([]), new Clock()))
        {
            Log(loggers.CreateLogger("Backfill.Test"));
        }

        var line = Assert.Single(console.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        HostileText.AssertHarmless(line, maxLength: 1_000_000);
    }

    [Fact]
    public void A_message_with_line_breaks_stays_one_json_line_and_keeps_its_text()
    {
        var line = LogToFile(json: true);
        HostileText.AssertHarmless(line, maxLength: 1_000_000);
        using var entry = JsonDocument.Parse(line);
        Assert.Equal("vendor said: " + HostileText.Mixed, entry.RootElement.GetProperty("@m").GetString());
        Assert.Contains(HostileText.OscTitle, entry.RootElement.GetProperty("@x").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_unpaired_surrogate_in_a_message_is_logged_not_thrown(bool json)
    {
        var line = LogToFile(json, logger => logger.LogWarning("half a pair: {Text}", "a\ud800b"));
        Assert.Contains("half a pair", line, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_folder)!, recursive: true);

    /// <summary>Logs (the hostile entry unless told otherwise) to a new file and returns the file's only line.</summary>
    private string LogToFile(bool json, Action<ILogger>? log = null)
    {
        using (var loggers = BackfillLogging.Create(Options(json), TextWriter.Null, new SecretRedactor([]), new Clock()))
        {
            (log ?? Log)(loggers.CreateLogger("Backfill.Test"));
        }

        var text = File.ReadAllText(Path.Combine(_folder, $"backfill-{Day:yyyyMMdd}.log"));
        return Assert.Single(text.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    private static void Log(ILogger logger)
    {
        var error = new InvalidOperationException("broken\r\nFORGED " + HostileText.OscTitle + HostileText.BidiOverride);
        logger.LogWarning(error, "vendor said: {Text}", HostileText.Mixed);
    }

    private LoggingOptions Options(bool json) => new(_folder, 1 << 20, 3, json, LogLevel.Debug, LogLevel.Warning);
}
