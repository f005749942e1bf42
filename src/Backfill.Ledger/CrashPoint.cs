using System.Globalization;

namespace Backfill.Ledger;

/// <summary>
/// A test hook for crash-safety tests, off unless the environment asks for it. Named points mark the moments
/// where a kill is most dangerous: inside each ledger write transaction before its commit (<c>ledger.claim</c>,
/// <c>ledger.complete</c>, <c>ledger.subunit</c>, <c>ledger.error</c>, ...) and around the publish of an output
/// file (<c>publish.before-rename</c>: the temp file is written, not yet renamed; <c>publish.after-rename</c>: the
/// file is at its final path, the ledger does not record it yet).
/// <para>
/// <c>BACKFILL_CRASH_POINT=NAME[:N]</c> (NAME may end in <c>*</c> to match a prefix) makes the process stop the
/// N-th time (default 1) it reaches a matching point: it creates the file named by
/// <c>BACKFILL_CRASH_POINT_FILE</c> (when set) and waits there to be killed (SIGKILL) by the test harness.
/// If nobody kills it within two minutes it carries on. Nothing else changes; without the variable a point
/// costs one comparison.
/// </para>
/// </summary>
public static class CrashPoint
{
    public const string Variable = "BACKFILL_CRASH_POINT";
    public const string FileVariable = "BACKFILL_CRASH_POINT_FILE";

    private static readonly string? Pattern;
    private static readonly int Occurrence = 1;
    private static readonly string? MarkerFile = Environment.GetEnvironmentVariable(FileVariable);
    private static int _hits;

    static CrashPoint()
    {
        var spec = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(spec))
        {
            return;
        }

        var colon = spec.LastIndexOf(':');
        if (colon > 0 && int.TryParse(spec.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0)
        {
            Occurrence = n;
            spec = spec[..colon];
        }

        Pattern = spec.Trim();
    }

    /// <summary>Whether a crash point is armed in this process.</summary>
    public static bool Armed => Pattern is not null;

    /// <summary>Marks reaching <paramref name="name"/>; stops here when the environment asked for it.</summary>
    public static void Reach(string name)
    {
        if (Pattern is null || !Matches(name) || Interlocked.Increment(ref _hits) != Occurrence)
        {
            return;
        }

        if (!string.IsNullOrEmpty(MarkerFile))
        {
            File.WriteAllText(MarkerFile, name);
        }

        Thread.Sleep(TimeSpan.FromMinutes(2));
    }

    private static bool Matches(string name) =>
        Pattern!.EndsWith('*')
            ? name.StartsWith(Pattern[..^1], StringComparison.Ordinal)
            : string.Equals(name, Pattern, StringComparison.Ordinal);
}
