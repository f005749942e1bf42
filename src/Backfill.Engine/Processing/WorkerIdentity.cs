using System.Diagnostics;
using System.Globalization;

namespace Backfill.Engine.Processing;

/// <summary>
/// Names the process that holds a lease: <c>host/pid/start-ms/random</c>. On the same host a dead owner is
/// recognised at once (no wait for its lease to expire), so a run after a crash resumes immediately.
/// </summary>
public static class WorkerIdentity
{
    public static string Current { get; } = Create();

    /// <summary>True when <paramref name="owner"/> was a process on this host that no longer runs.</summary>
    public static bool IsDeadLocalOwner(string? owner)
    {
        if (owner is null)
        {
            return false;
        }

        var parts = owner.Split('/');
        if (parts.Length != 4 || !string.Equals(parts[0], Environment.MachineName, StringComparison.Ordinal) ||
            !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ||
            !long.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var startMs))
        {
            return false;
        }

        if (owner == Current)
        {
            return false;
        }

        try
        {
            using var process = Process.GetProcessById(pid);
            // A reused pid belongs to a process that started at another time.
            return Math.Abs(new DateTimeOffset(process.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() - startMs) > 2000;
        }
        catch (ArgumentException)
        {
            return true;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }

    private static string Create()
    {
        using var self = Process.GetCurrentProcess();
        var start = new DateTimeOffset(self.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds();
        return string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}/{Environment.ProcessId}/{start}/{Guid.NewGuid().ToString("N")[..8]}");
    }
}
