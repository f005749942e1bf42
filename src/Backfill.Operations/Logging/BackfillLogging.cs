using Microsoft.Extensions.Logging;

namespace Backfill.Operations.Logging;

/// <summary>The logger factory of one command: redacted text lines on standard error and the rotating log file.</summary>
public static class BackfillLogging
{
    public static ILoggerFactory Create(LoggingOptions options, TextWriter console, SecretRedactor redactor, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var least = options.Level < options.ConsoleLevel ? options.Level : options.ConsoleLevel;
        return LoggerFactory.Create(builder => builder
            .ClearProviders()
            .SetMinimumLevel(least)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("System", LogLevel.Warning)
            .AddProvider(new ConsoleLoggerProvider(console, options.ConsoleLevel, redactor, time))
            .AddProvider(new RotatingFileLoggerProvider(options, redactor, time)));
    }
}
