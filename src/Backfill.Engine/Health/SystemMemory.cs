using System.Globalization;

namespace Backfill.Engine.Health;

/// <summary>
/// The machine's memory as Linux reports it in <c>/proc/meminfo</c> (MemTotal, MemAvailable) and this process's working
/// set. Other systems have no such file: <see cref="TotalBytes"/> is then null and only the process is measured.
/// </summary>
public sealed record SystemMemory(long ProcessWorkingSetBytes, long? TotalBytes, long? AvailableBytes, string Source)
{
    public const string LinuxMemInfo = "/proc/meminfo";

    /// <summary>Used share of the machine's memory (total minus available), 0..100; null when unknown.</summary>
    public double? UsedPercent => TotalBytes is > 0 && AvailableBytes is { } available
        ? Math.Round(100.0 * (TotalBytes.Value - available) / TotalBytes.Value, 1)
        : null;

    /// <summary>Reads <paramref name="memInfoPath"/> (default <c>/proc/meminfo</c>); a missing or unreadable file leaves the system figures null.</summary>
    public static SystemMemory Read(string memInfoPath = LinuxMemInfo)
    {
        var process = Environment.WorkingSet;
        if (!File.Exists(memInfoPath))
        {
            return new SystemMemory(process, null, null, memInfoPath);
        }

        long? total = null, available = null;
        foreach (var line in File.ReadLines(memInfoPath))
        {
            if (line.StartsWith("MemTotal:", StringComparison.Ordinal))
            {
                total = Kilobytes(line);
            }
            else if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
            {
                available = Kilobytes(line);
            }
        }

        return new SystemMemory(process, total, available, memInfoPath);
    }

    // "MemTotal:       24683748 kB": the value is in kibibytes whatever the unit's spelling.
    private static long? Kilobytes(string line)
    {
        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb * 1024 : null;
    }
}
