using System.Diagnostics;
using Backfill.Core.Calendars;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;

namespace Backfill.Bench;

/// <summary>
/// Start-up of the commands that only read the ledger, as a user meets it: <c>status</c>, <c>gaps</c> and
/// <c>config get</c>, each as a fresh process on a 10-year SQLite ledger, plus <c>--version</c> (process start alone).
/// </summary>
internal sealed class StartupBenchmark : IBenchmark
{
    public string Name => "startup";

    public string Description =>
        "wall time of `status`, `gaps`, `config get` and `--version` as separate processes on a 10-year ledger, median of N (target: under 0.15 s); args: [--program PATH] [--runs N]";

    public async Task<int> RunAsync(string[] args, CancellationToken cancellationToken)
    {
        var program = Option(args, "--program") ?? DefaultProgram();
        if (program is null || !File.Exists(program))
        {
            Console.Error.WriteLine($"No backfill program at {program ?? "src/Backfill.Cli/bin/Release/net10.0/backfill"}: build it (dotnet build src/Backfill.Cli -c Release) or pass --program PATH (an installed tool, a publish folder).");
            return 2;
        }

        var runsText = Option(args, "--runs") ?? "11";
        if (!int.TryParse(runsText, System.Globalization.CultureInfo.InvariantCulture, out var runs) || runs < 1)
        {
            Console.Error.WriteLine($"--runs: {runsText} is not a positive whole number.");
            return 2;
        }

        var folder = Directory.CreateTempSubdirectory("backfill-bench-startup-").FullName;
        try
        {
            var db = Path.Combine(folder, "backfill.db");
            await SeedAsync(db, cancellationToken);
            Console.WriteLine($"program {program}; ledger: 10 years of spx units; {runs} runs each, after one warm-up; load average {LoadAverage()}");
            string[][] commands = [["--version"], ["status"], ["gaps", "--from", "2015-01-02"], ["config", "get"]];
            foreach (var command in commands)
            {
                var times = new List<double>();
                for (var i = 0; i <= runs; i++)
                {
                    var (ms, exit) = await TimeOnceAsync(program, db, folder, command, cancellationToken);
                    if (exit != 0)
                    {
                        Console.Error.WriteLine($"`backfill {string.Join(' ', command)}` exited {exit}");
                        return 1;
                    }

                    if (i > 0)
                    {
                        times.Add(ms);
                    }
                }

                times.Sort();
                Console.WriteLine($"{string.Join(' ', command),-24} median {times[times.Count / 2] / 1000:F3} s, min {times[0] / 1000:F3} s, max {times[^1] / 1000:F3} s");
            }

            return 0;
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<(double Ms, int Exit)> TimeOnceAsync(string program, string db, string folder, string[] command, CancellationToken ct)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = folder };
        foreach (var arg in command)
        {
            start.ArgumentList.Add(arg);
        }

        if (command[0] != "--version")
        {
            start.ArgumentList.Add("--db");
            start.ArgumentList.Add(db);
        }

        var watch = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(ct);
        var error = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        await Task.WhenAll(output, error);
        return (watch.Elapsed.TotalMilliseconds, process.ExitCode);
    }

    /// <summary>Every NYSE session of 2015-2024: 95% done, 3% failed, 1% interrupted, the rest missing.</summary>
    internal static async Task SeedAsync(string db, CancellationToken ct)
    {
        await using var ledger = new SqliteLedger(db);
        await ledger.MigrateAsync(ct);
        var random = new Random(42);
        foreach (var date in NyseCalendar.Instance.SessionsBetween(new DateOnly(2015, 1, 2), new DateOnly(2024, 12, 31)))
        {
            var roll = random.NextDouble();
            if (roll < 0.01)
            {
                continue;
            }

            await ledger.TryClaimUnitAsync("spx", date, "bench", TimeSpan.FromMinutes(1), false, ct);
            if (roll < 0.04)
            {
                await ledger.FailUnitAsync("spx", date, "bench", "RateLimited", "429", ct);
            }
            else if (roll < 0.05)
            {
                await ledger.InterruptUnitAsync("spx", date, "bench", "stop", ct);
            }
            else
            {
                await ledger.CompleteUnitAsync("spx", date, "bench", new UnitSuccess
                {
                    FilePath = $"/out/spx/{date:yyyy/MM/dd}.parquet", FileSize = 1, FileSha256 = "x", RowCount = 1,
                }, ct);
            }
        }
    }

    private static string? Option(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static string? DefaultProgram()
    {
        var root = new DirectoryInfo(AppContext.BaseDirectory);
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Backfill.slnx")))
        {
            root = root.Parent;
        }

        return root is null ? null : Path.Combine(root.FullName, "src", "Backfill.Cli", "bin", "Release", "net10.0", OperatingSystem.IsWindows() ? "backfill.exe" : "backfill");
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
