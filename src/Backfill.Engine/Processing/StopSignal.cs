using System.Globalization;
using Backfill.Core.IO;

namespace Backfill.Engine.Processing;

/// <summary>
/// A graceful stop asked for from another terminal (<c>backfill stop</c>): a file in the control folder newer than
/// the running process. Running processes poll for it once a second, finish the work in flight, and exit.
/// </summary>
public sealed class StopSignal : IDisposable
{
    private readonly string _directory;
    private readonly DateTime _startedUtc;
    private readonly Timer _timer;
    private readonly CancellationTokenSource _stop = new();

    private StopSignal(string directory, CancellationToken alsoStopOn)
    {
        _directory = directory;
        _startedUtc = DateTime.UtcNow;
        _timer = new Timer(_ => Poll(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        alsoStopOn.Register(() => RequestStop());
    }

    /// <summary>Cancelled when a stop is requested (by file or by <paramref name="alsoStopOn"/>, e.g. Ctrl-C).</summary>
    public CancellationToken Token => _stop.Token;

    public string? Reason { get; private set; }

    public static StopSignal Watch(string tempRoot, CancellationToken alsoStopOn) =>
        new(EnginePaths.ControlDirectory(tempRoot), alsoStopOn);

    /// <summary>Asks every process using <paramref name="tempRoot"/> to stop cleanly. Returns the request file.</summary>
    public static string Request(string tempRoot)
    {
        var directory = EnginePaths.ControlDirectory(tempRoot);
        OwnerOnly.CreateDirectory(directory);
        foreach (var old in Directory.EnumerateFiles(directory, "stop-*"))
        {
            if (File.GetLastWriteTimeUtc(old) < DateTime.UtcNow.AddDays(-1))
            {
                File.Delete(old);
            }
        }

        var path = Path.Combine(directory, $"stop-{DateTime.UtcNow.ToString("yyyyMMddTHHmmssfff", CultureInfo.InvariantCulture)}-{Environment.ProcessId}");
        using (var writer = new StreamWriter(new FileStream(path, OwnerOnly.WriteOptions(FileMode.CreateNew))))
        {
            writer.Write($"stop requested by {Environment.UserName} at {DateTime.UtcNow:O}\n");
        }

        return path;
    }

    public void Dispose()
    {
        _timer.Dispose();
        _stop.Dispose();
    }

    private void RequestStop(string reason = "interrupted (Ctrl-C)")
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }

        Reason = reason;
        try
        {
            _stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void Poll()
    {
        try
        {
            if (!Directory.Exists(_directory))
            {
                return;
            }

            foreach (var file in Directory.EnumerateFiles(_directory, "stop-*"))
            {
                if (File.GetLastWriteTimeUtc(file) >= _startedUtc)
                {
                    RequestStop("stop requested by 'backfill stop'");
                    return;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
