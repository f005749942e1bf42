using System.Globalization;
using Backfill.Engine.Health;

namespace Backfill.Engine.Alerts;

/// <summary>
/// The machine's memory and CPU in use, as shares from 0 to 1, from Linux's <c>/proc/meminfo</c> and <c>/proc/stat</c>.
/// Elsewhere (no such files) both are null and no resource alert can fire.
/// </summary>
public sealed record MachineUsage(double? MemoryUsedRatio, double? CpuUsedRatio)
{
    public const string LinuxStat = "/proc/stat";

    /// <summary>Memory now, and CPU busy time over <paramref name="window"/> (two reads of <c>/proc/stat</c>).</summary>
    public static async Task<MachineUsage> MeasureAsync(TimeSpan window, CancellationToken cancellationToken, string statPath = LinuxStat, string memInfoPath = SystemMemory.LinuxMemInfo)
    {
        var memory = SystemMemory.Read(memInfoPath).UsedPercent is { } percent ? percent / 100.0 : (double?)null;
        var first = ReadCpu(statPath);
        if (first is null)
        {
            return new MachineUsage(memory, null);
        }

        await Task.Delay(window, cancellationToken);
        return new MachineUsage(memory, CpuBusy(first.Value, ReadCpu(statPath)));
    }

    /// <summary>The share of CPU time that was not idle (idle and iowait) between two reads; null when nothing elapsed.</summary>
    public static double? CpuBusy((long Total, long Idle) before, (long Total, long Idle)? after)
    {
        if (after is not { } a || a.Total <= before.Total)
        {
            return null;
        }

        var total = a.Total - before.Total;
        var idle = Math.Clamp(a.Idle - before.Idle, 0, total);
        return Math.Round((double)(total - idle) / total, 4);
    }

    /// <summary>The first line of <c>/proc/stat</c> ("cpu  user nice system idle iowait irq softirq steal ..."): all jiffies and the idle ones.</summary>
    public static (long Total, long Idle)? ReadCpu(string statPath = LinuxStat)
    {
        try
        {
            if (!File.Exists(statPath))
            {
                return null;
            }

            using var reader = new StreamReader(statPath);
            var line = reader.ReadLine();
            if (line is null || !line.StartsWith("cpu ", StringComparison.Ordinal))
            {
                return null;
            }

            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1)
                .Select(f => long.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0).ToArray();
            if (fields.Length < 4)
            {
                return null;
            }

            // guest and guest_nice (fields 9 and 10) are already counted in user and nice.
            var total = fields.Take(8).Sum();
            var idle = fields[3] + (fields.Length > 4 ? fields[4] : 0);
            return (total, idle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
