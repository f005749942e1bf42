using System.Diagnostics;
using System.Globalization;
using Backfill.Core.Calendars;

namespace Backfill.Bench;

/// <summary>
/// NYSE calendar lookups: IsSession over every date, SessionsBetween over 2 and 10 years, CountSessions on random
/// ranges. Optional argument: a repetition multiplier (default 1).
/// </summary>
internal sealed class CalendarBenchmark : IBenchmark
{
    public string Name => "calendar";

    public string Description => "XNYS IsSession / SessionsBetween / CountSessions ns per call";

    public Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var scale = args.Length > 0 && int.TryParse(args[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var s) && s > 0 ? s : 1;

        var build = Stopwatch.StartNew();
        var nyse = NyseCalendar.Instance;
        build.Stop();
        var days = nyse.LastDate.DayNumber - nyse.FirstDate.DayNumber + 1;
        Console.WriteLine($"first Instance access (builds tables for {days:N0} days, {nyse.SessionCount:N0} sessions): {build.Elapsed.TotalMilliseconds:F2} ms");

        long checksum = 0;

        // Warm-up so the JIT has tiered up before timing.
        checksum += IsSessionPass(nyse, 20);
        checksum += SessionsBetweenPass(nyse, 2, 200);
        checksum += CountPass(nyse, 10_000, 1);

        cancellationToken.ThrowIfCancellationRequested();
        var passes = 200 * scale;
        var sw = Stopwatch.StartNew();
        checksum += IsSessionPass(nyse, passes);
        sw.Stop();
        Report("IsSession (all dates)", (long)passes * days, sw.Elapsed);

        foreach (var years in new[] { 2, 10 })
        {
            cancellationToken.ThrowIfCancellationRequested();
            var calls = (years == 2 ? 200_000 : 50_000) * scale;
            sw.Restart();
            var sessions = SessionsBetweenPass(nyse, years, calls);
            sw.Stop();
            checksum += sessions;
            Report($"SessionsBetween ({years} years)", calls, sw.Elapsed, $"{sessions / calls} sessions per call, {sw.Elapsed.TotalNanoseconds / sessions:F2} ns per session returned");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var countCalls = 5_000_000 * scale;
        sw.Restart();
        checksum += CountPass(nyse, countCalls, 2);
        sw.Stop();
        Report("CountSessions (random ranges)", countCalls, sw.Elapsed);

        Console.WriteLine($"checksum {checksum}; peak RSS {Measure.Mb(Measure.PeakRssBytes())}");
        return Task.FromResult(0);
    }

    private static void Report(string what, long operations, TimeSpan elapsed, string? extra = null)
    {
        var ns = elapsed.TotalNanoseconds / operations;
        Console.WriteLine($"{what,-32} {operations,13:N0} ops in {elapsed.TotalMilliseconds,9:F1} ms = {ns,8:F2} ns/op{(extra is null ? "" : "  (" + extra + ")")}");
    }

    private static long IsSessionPass(NyseCalendar nyse, int passes)
    {
        long sessions = 0;
        var first = nyse.FirstDate.DayNumber;
        var last = nyse.LastDate.DayNumber;
        for (var p = 0; p < passes; p++)
        {
            for (var d = first; d <= last; d++)
            {
                if (nyse.IsSession(DateOnly.FromDayNumber(d)))
                {
                    sessions++;
                }
            }
        }

        return sessions;
    }

    private static long SessionsBetweenPass(NyseCalendar nyse, int years, int calls)
    {
        long total = 0;
        var startYears = nyse.LastDate.Year - nyse.FirstDate.Year + 1 - years;
        for (var i = 0; i < calls; i++)
        {
            var from = new DateOnly(nyse.FirstDate.Year + (i % startYears), 1, 1);
            var to = from.AddYears(years).AddDays(-1);
            total += nyse.SessionsBetween(from, to).Count;
        }

        return total;
    }

    private static long CountPass(NyseCalendar nyse, int calls, int seed)
    {
        var random = new Random(seed);
        var span = nyse.LastDate.DayNumber - nyse.FirstDate.DayNumber + 1;
        var first = nyse.FirstDate.DayNumber;

        // Pre-draw the ranges so the timing measures CountSessions, not the random generator.
        const int pool = 4096;
        var froms = new DateOnly[pool];
        var tos = new DateOnly[pool];
        for (var i = 0; i < pool; i++)
        {
            var a = random.Next(span);
            var b = random.Next(span);
            froms[i] = DateOnly.FromDayNumber(first + Math.Min(a, b));
            tos[i] = DateOnly.FromDayNumber(first + Math.Max(a, b));
        }

        long total = 0;
        for (var i = 0; i < calls; i++)
        {
            var k = i & (pool - 1);
            total += nyse.CountSessions(froms[k], tos[k]);
        }

        return total;
    }
}
