using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;

namespace Backfill.Operations.Logging;

/// <summary>
/// Appends log lines to <c>backfill-YYYYMMDD.log</c> (UTC day). A file that reaches the size limit is renamed
/// <c>backfill-YYYYMMDD.N.log</c> and a new one started; only the newest <c>keepFiles</c> files are kept.
/// </summary>
public sealed class RotatingFileLoggerProvider : ILoggerProvider
{
    private readonly LoggingOptions _options;
    private readonly SecretRedactor _redactor;
    private readonly TimeProvider _time;
    private readonly Lock _write = new();
    private FileStream? _file;
    private string? _path;

    public RotatingFileLoggerProvider(LoggingOptions options, SecretRedactor redactor, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _redactor = redactor;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>The file being written, <c>{directory}/backfill-YYYYMMDD.log</c> of today (UTC).</summary>
    public string CurrentPath => Path.Combine(_options.Directory, $"backfill-{_time.GetUtcNow().UtcDateTime:yyyyMMdd}.log");

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    public void Dispose()
    {
        lock (_write)
        {
            _file?.Dispose();
            _file = null;
        }
    }

    private void Write(string line)
    {
        var bytes = Encoding.UTF8.GetBytes(line + "\n");
        lock (_write)
        {
            try
            {
                var path = CurrentPath;
                if (_file is null || _path != path)
                {
                    Open(path);
                }

                if (_file!.Length > 0 && _file.Length + bytes.Length > _options.MaxFileBytes)
                {
                    Rotate(path);
                }

                _file!.Write(bytes);
                _file.Flush();
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // A full or read-only disk must not stop the work the log describes.
                _file?.Dispose();
                _file = null;
            }
        }
    }

    private void Open(string path)
    {
        _file?.Dispose();
        Backfill.Core.IO.OwnerOnly.CreateDirectory(_options.Directory);
        _file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        _path = path;
    }

    private void Rotate(string path)
    {
        _file!.Dispose();
        _file = null;
        var stem = Path.GetFileNameWithoutExtension(path);
        var n = 1;
        while (File.Exists(Path.Combine(_options.Directory, string.Create(CultureInfo.InvariantCulture, $"{stem}.{n}.log"))))
        {
            n++;
        }

        File.Move(path, Path.Combine(_options.Directory, string.Create(CultureInfo.InvariantCulture, $"{stem}.{n}.log")));
        Prune();
        Open(path);
    }

    /// <summary>Deletes the oldest rotated files beyond the kept count (the current file counts as one).</summary>
    private void Prune()
    {
        var rotated = new DirectoryInfo(_options.Directory).GetFiles("backfill-*.log")
            .OrderByDescending(f => f.LastWriteTimeUtc).ThenByDescending(f => f.Name, StringComparer.Ordinal).ToList();
        foreach (var old in rotated.Skip(Math.Max(0, _options.KeepFiles - 1)))
        {
            old.Delete();
        }
    }

    private sealed class FileLogger(RotatingFileLoggerProvider owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None && logLevel >= owner._options.Level;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            ArgumentNullException.ThrowIfNull(formatter);
            owner.Write(LogLine.Format(owner._options.Json, owner._time.GetUtcNow(), logLevel, category, eventId, state, exception, formatter, owner._redactor));
        }
    }
}
