using System.Diagnostics;

namespace Backfill.Bench;

/// <summary>Helpers for honest figures: wall time and this process's peak resident memory.</summary>
internal static class Measure
{
    /// <summary>Peak resident set size of this process in bytes (VmHWM on Linux; working set elsewhere).</summary>
    public static long PeakRssBytes()
    {
        const string status = "/proc/self/status";
        if (File.Exists(status))
        {
            foreach (var line in File.ReadLines(status))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    return kb * 1024;
                }
            }
        }

        using var p = Process.GetCurrentProcess();
        return p.PeakWorkingSet64;
    }

    public static string Mb(long bytes) => $"{bytes / (1024.0 * 1024.0):F1} MB";
}
