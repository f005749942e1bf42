using Microsoft.Extensions.Logging;

namespace Backfill.Operations.Logging;

/// <summary>Text log lines on standard error (or the writer given), redacted like the file.</summary>
public sealed class ConsoleLoggerProvider(TextWriter writer, LogLevel level, SecretRedactor redactor, TimeProvider? time = null) : ILoggerProvider
{
    private readonly Lock _write = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    public ILogger CreateLogger(string categoryName) => new ConsoleLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class ConsoleLogger(ConsoleLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= owner.Level;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            ArgumentNullException.ThrowIfNull(formatter);
            var line = LogLine.Format(json: false, owner._time.GetUtcNow(), logLevel, category, eventId, state, exception, formatter, owner.Redactor);
            lock (owner._write)
            {
                owner.Writer.WriteLine(line);
            }
        }
    }

    private TextWriter Writer => writer;

    private LogLevel Level => level;

    private SecretRedactor Redactor => redactor;
}
