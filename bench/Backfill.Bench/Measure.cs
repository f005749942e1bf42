using System.Diagnostics;
using System.Globalization;

namespace Backfill.Bench;

/// <summary>Helpers for honest figures: wall time and this process's resident memory.</summary>
internal static class Measure
{
    /// <summary>Peak resident set size of this process in bytes (VmHWM on Linux; working set elsewhere).</summary>
    public static long PeakRssBytes() => StatusKb("VmHWM:") is { } kb ? kb * 1024 : Process.GetCurrentProcess().PeakWorkingSet64;

    /// <summary>Current resident set size in bytes (VmRSS on Linux).</summary>
    public static long RssBytes() => StatusKb("VmRSS:") is { } kb ? kb * 1024 : Process.GetCurrentProcess().WorkingSet64;

    /// <summary>Resets VmHWM to the current RSS (Linux ≥ 4.0: write 5 to /proc/self/clear_refs).</summary>
    public static bool TryResetPeakRss()
    {
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return PeakRssBytes() <= RssBytes() + (4 << 20);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    /// <summary>A /proc/self/status field in bytes (0 when unavailable), e.g. <c>RssAnon:</c>.</summary>
    public static long StatusBytes(string key) => (StatusKb(key) ?? 0) * 1024;

    /// <summary>glibc malloc totals (mallinfo2): bytes in use and bytes held free, or null off glibc.</summary>
    public static (long InUse, long Free, long Mapped)? GlibcHeap()
    {
        try
        {
            var info = MallInfo2();
            return ((long)(info.Uordblks + info.Hblkhd), (long)info.Fordblks, (long)info.Hblkhd);
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException)
        {
            return null;
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "mallinfo2")]
    private static extern MallInfo MallInfo2();

    [System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
    private struct MallInfo
    {
        public nuint Arena;
        public nuint Ordblks;
        public nuint Smblks;
        public nuint Hblks;
        public nuint Hblkhd;
        public nuint Usmblks;
        public nuint Fsmblks;
        public nuint Uordblks;
        public nuint Fordblks;
        public nuint Keepcost;
    }

    /// <summary>CPU seconds used so far by each live thread of this process, by thread name (Linux; empty elsewhere).</summary>
    public static Dictionary<int, (string Name, double Seconds)> ThreadCpu()
    {
        var result = new Dictionary<int, (string, double)>();
        if (!Directory.Exists("/proc/self/task"))
        {
            return result;
        }

        foreach (var task in Directory.GetDirectories("/proc/self/task"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var close = stat.LastIndexOf(')');
                var name = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..close];
                var fields = stat[(close + 2)..].Split(' ');
                var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                result[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = (name, ticks / 100.0);
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }

        return result;
    }

    /// <summary>CPU seconds (user + system, every thread) this process has used so far.</summary>
    public static double ProcessCpuSeconds()
    {
        using var self = Process.GetCurrentProcess();
        return self.TotalProcessorTime.TotalSeconds;
    }

    public static string Mb(long bytes) => $"{bytes / (1024.0 * 1024.0):F1} MB";

    private static long? StatusKb(string key)
    {
        const string status = "/proc/self/status";
        if (!File.Exists(status))
        {
            return null;
        }

        foreach (var line in File.ReadLines(status))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(key.Length).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }

        return null;
    }

    /// <summary>Samples VmRSS and the GC heap size every 20 ms on a background thread.</summary>
    public sealed class RssSampler : IDisposable
    {
        private readonly Thread _thread;
        private volatile bool _stop;

        public RssSampler()
        {
            _thread = new Thread(Run) { IsBackground = true, Name = "rss-sampler" };
            _thread.Start();
        }

        public long MaxRssBytes { get; private set; }

        public long MaxGcHeapBytes { get; private set; }

        /// <summary>Last CPU seconds seen per thread id (sampled every 100 ms, so threads that ended are kept).</summary>
        public Dictionary<int, (string Name, double Seconds)> Threads { get; } = [];

        public void Stop()
        {
            _stop = true;
            _thread.Join();
        }

        public void Dispose()
        {
            if (!_stop)
            {
                Stop();
            }
        }

        private void Run()
        {
            for (var i = 0; !_stop; i++)
            {
                MaxRssBytes = Math.Max(MaxRssBytes, RssBytes());
                MaxGcHeapBytes = Math.Max(MaxGcHeapBytes, GC.GetGCMemoryInfo(GCKind.Any).HeapSizeBytes);
                if (i % 5 == 0)
                {
                    SampleThreads();
                }

                Thread.Sleep(20);
            }

            MaxRssBytes = Math.Max(MaxRssBytes, RssBytes());
            SampleThreads();
        }

        private void SampleThreads()
        {
            foreach (var (id, value) in ThreadCpu())
            {
                Threads[id] = value;
            }
        }
    }
}
