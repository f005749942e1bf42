using System.Diagnostics;
using Backfill.Core.Calendars;
using Backfill.Engine.Gaps;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;

namespace Backfill.Bench;

/// <summary>
/// Gap analysis as the CLI runs it: read a range of units from a real SQLite ledger and compare them with
/// the NYSE calendar. The ledger holds 10 years of units with every status.
/// </summary>
internal sealed class GapAnalysisBenchmark : IBenchmark
{
    public string Name => "gaps";

    public string Description =>
        "ledger read + gap analysis over 2 and 10 years of NYSE sessions (target: well under 5 s); args: [--keep-db PATH] keeps the seeded ledger to time `backfill --db PATH status` on it";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var keep = args.Length == 2 && args[0] == "--keep-db" ? Path.GetFullPath(args[1]) : null;
        if (keep is not null && File.Exists(keep))
        {
            Console.Error.WriteLine($"{keep} exists; choose a new path for --keep-db");
            return 2;
        }

        var folder = Directory.CreateTempSubdirectory("backfill-bench-gaps-").FullName;
        try
        {
            var calendar = NyseCalendar.Instance;
            var from = new DateOnly(2015, 1, 2);
            var to = new DateOnly(2024, 12, 31);
            var ledger = new SqliteLedger(keep ?? Path.Combine(folder, "bench.db"));
            await using (ledger)
            {
                await ledger.MigrateAsync(cancellationToken);
                var seed = Stopwatch.StartNew();
                var sessions = calendar.SessionsBetween(from, to);
                var random = new Random(42);
                foreach (var date in sessions)
                {
                    var roll = random.NextDouble();
                    if (roll < 0.05)
                    {
                        continue;
                    }

                    await ledger.TryClaimUnitAsync("spx", date, "bench", TimeSpan.FromMinutes(1), false, cancellationToken);
                    if (roll < 0.08)
                    {
                        await ledger.FailUnitAsync("spx", date, "bench", "RateLimited", "429", cancellationToken);
                    }
                    else if (roll < 0.09)
                    {
                        await ledger.InterruptUnitAsync("spx", date, "bench", "stop", cancellationToken);
                    }
                    else
                    {
                        await ledger.CompleteUnitAsync("spx", date, "bench", new UnitSuccess
                        {
                            FilePath = $"/out/spx/{date:yyyy/MM/dd}.parquet", FileSize = 1, FileSha256 = "x", RowCount = 1,
                        }, cancellationToken);
                    }
                }

                Console.WriteLine($"seeded {sessions.Count} sessions into the ledger in {seed.Elapsed.TotalSeconds:F1} s");
                foreach (var years in new[] { 2, 10 })
                {
                    var start = to.AddYears(-years).AddDays(1);
                    await Measure1(ledger, calendar, start, to, cancellationToken);
                    var times = new List<double>();
                    GapReport? report = null;
                    for (var i = 0; i < 20; i++)
                    {
                        var watch = Stopwatch.StartNew();
                        report = await Measure1(ledger, calendar, start, to, cancellationToken);
                        times.Add(watch.Elapsed.TotalMilliseconds);
                    }

                    times.Sort();
                    Console.WriteLine(
                        $"{years,2} years: {report!.Sessions} sessions, {report.Gaps.Count} gaps; median {times[times.Count / 2]:F2} ms, " +
                        $"max {times[^1]:F2} ms (ledger read + analysis)");
                }
            }

            Console.WriteLine($"peak RSS {Measure.Mb(Measure.PeakRssBytes())}");
            if (keep is not null)
            {
                Console.WriteLine($"ledger kept at {keep}; time the CLI on it: time backfill --db {keep} status");
            }

            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<GapReport> Measure1(SqliteLedger ledger, ITradingCalendar calendar, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var units = await ledger.ListUnitsAsync("spx", from, to, null, ct);
        return GapAnalyzer.Analyze("spx", calendar, from, to, units, 5, DateTimeOffset.UtcNow);
    }
}
