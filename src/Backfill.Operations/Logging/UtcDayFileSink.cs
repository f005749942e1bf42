using System.Globalization;
using System.Text;
using Backfill.Core.IO;
using Serilog;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;
using Serilog.Sinks.File;

namespace Backfill.Operations.Logging;

/// <summary>
/// Writes each event to <c>{directory}/backfill-YYYYMMDD.log</c> for the UTC day of its time stamp, through Serilog's
/// file sink. Serilog's own daily rolling follows the local clock, so the day is chosen here and Serilog only rolls
/// by size within it (<c>backfill-YYYYMMDD_001.log</c>, <c>_002</c>, … the newest has the highest number). The
/// folder is 0700 and every file 0600 whatever the umask; only the newest <see cref="LoggingOptions.KeepFiles"/>
/// files are kept, across days. A full or read-only disk never stops the work the log describes: Serilog reports
/// its own failures to its self log and drops the entry.
/// </summary>
internal sealed class UtcDayFileSink(LoggingOptions options, ITextFormatter formatter) : ILogEventSink, IDisposable
{
    private readonly Lock _open = new();
    private DateOnly? _day;
    private Logger? _file;

    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        var day = DateOnly.FromDateTime(logEvent.Timestamp.UtcDateTime);
        lock (_open)
        {
            if (_day != day)
            {
                _file?.Dispose();
                _file = Open(day);
                _day = day;
            }

            _file?.Write(logEvent);
        }
    }

    public void Dispose()
    {
        lock (_open)
        {
            _file?.Dispose();
            _file = null;
        }
    }

    /// <summary>The path of the first file of <paramref name="day"/>.</summary>
    public static string PathFor(string directory, DateOnly day) =>
        Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"backfill-{day:yyyyMMdd}.log"));

    private Logger? Open(DateOnly day)
    {
        try
        {
            OwnerOnly.CreateDirectory(options.Directory);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        return new LoggerConfiguration()
            .MinimumLevel.Verbose()
            .WriteTo.File(
                formatter,
                PathFor(options.Directory, day),
                fileSizeLimitBytes: options.MaxFileBytes,
                rollOnFileSizeLimit: true,
                retainedFileCountLimit: null,
                rollingInterval: RollingInterval.Infinite,
                encoding: new UTF8Encoding(encoderShouldEmitUTF8Identifier: false),
                hooks: new OwnerOnlyHooks(options.Directory, options.KeepFiles))
            .CreateLogger();
    }

    /// <summary>Makes each file Serilog opens 0600 before anything is written to it, then drops the oldest files beyond the kept count.</summary>
    private sealed class OwnerOnlyHooks(string directory, int keepFiles) : FileLifecycleHooks
    {
        public override Stream OnFileOpened(string path, Stream underlyingStream, Encoding encoding)
        {
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, OwnerOnly.FileMode);
            }

            Prune(path);
            return underlyingStream;
        }

        private void Prune(string current)
        {
            var older = new DirectoryInfo(directory).GetFiles("backfill-*.log")
                .Where(f => !string.Equals(f.FullName, Path.GetFullPath(current), StringComparison.Ordinal))
                .OrderByDescending(f => f.LastWriteTimeUtc).ThenByDescending(f => f.Name, StringComparer.Ordinal);
            foreach (var old in older.Skip(Math.Max(0, keepFiles - 1)))
            {
                try
                {
                    old.Delete();
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    // Another process may hold or have removed it; the next roll tries again.
                }
            }
        }
    }
}
