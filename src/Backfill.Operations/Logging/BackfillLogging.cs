using Microsoft.Extensions.Logging;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Extensions.Logging;
using Serilog.Formatting;

namespace Backfill.Operations.Logging;

/// <summary>
/// The logger factory of one command: Serilog behind Microsoft.Extensions.Logging, writing one-line text records to
/// standard error (from the console level) and the day's log file (from the file level), every event redacted first.
/// </summary>
public static class BackfillLogging
{
    /// <param name="time">The clock that stamps every entry and picks the UTC day of the file (tests pass a fake one).</param>
    public static ILoggerFactory Create(LoggingOptions options, TextWriter console, SecretRedactor redactor, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(console);
        ArgumentNullException.ThrowIfNull(redactor);
        var least = options.Level < options.ConsoleLevel ? options.Level : options.ConsoleLevel;
        var serilog = CreateSerilog(options, console, redactor, time ?? TimeProvider.System);
        return LoggerFactory.Create(builder => builder
            .ClearProviders()
            .SetMinimumLevel(least)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddFilter("System", LogLevel.Warning)
            .AddProvider(new SerilogLoggerProvider(serilog, dispose: true)));
    }

    /// <summary>The Serilog logger behind <see cref="Create"/>: redaction, then the console and the file sinks.</summary>
    internal static Logger CreateSerilog(LoggingOptions options, TextWriter console, SecretRedactor redactor, TimeProvider time)
    {
        ITextFormatter file = options.Json ? new EscapedJsonFormatter() : new OneLineTextFormatter();
        var sinks = new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .WriteTo.Sink(new TextWriterSink(console, new OneLineTextFormatter()), Level(options.ConsoleLevel))
            .WriteTo.Sink(new UtcDayFileSink(options, file), Level(options.Level))
            .CreateLogger();
        var least = options.Level < options.ConsoleLevel ? options.Level : options.ConsoleLevel;
        return new LoggerConfiguration()
            .MinimumLevel.Is(Level(least))
            .WriteTo.Sink(new RedactingSink(sinks, redactor, time))
            .CreateLogger();
    }

    internal static LogEventLevel Level(LogLevel level) => level switch
    {
        LogLevel.Trace => LogEventLevel.Verbose,
        LogLevel.Debug => LogEventLevel.Debug,
        LogLevel.Information => LogEventLevel.Information,
        LogLevel.Warning => LogEventLevel.Warning,
        LogLevel.Error => LogEventLevel.Error,
        _ => LogEventLevel.Fatal,
    };
}
