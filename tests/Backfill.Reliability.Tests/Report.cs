using System.Collections.Concurrent;
using System.Globalization;

namespace Backfill.Reliability.Tests;

/// <summary>
/// Figures measured by the suite. When <c>BACKFILL_RELIABILITY_REPORT</c> names a file, each figure is appended to it
/// as <c>name value</c> (the bench script collects them for RELIABILITY.md).
/// </summary>
internal static class Report
{
    private static readonly ConcurrentDictionary<string, long> Figures = new(StringComparer.Ordinal);
    private static readonly Lock Gate = new();

    public static void Add(string name, long value)
    {
        Figures[name] = value;
        if (Environment.GetEnvironmentVariable("BACKFILL_RELIABILITY_REPORT") is { Length: > 0 } file)
        {
            lock (Gate)
            {
                File.AppendAllText(file, string.Create(CultureInfo.InvariantCulture, $"{name} {value}\n"));
            }
        }
    }
}
