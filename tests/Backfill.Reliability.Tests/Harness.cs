using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Backfill.Cli;
using Backfill.Ledger.Sqlite;

namespace Backfill.Reliability.Tests;

/// <summary>Shared pieces: the built <c>backfill</c> program as a child process, the in-process CLI, folders and knobs.</summary>
internal static class Harness
{
    public static readonly string[] Dates = ["2024-06-10", "2024-06-11", "2024-06-12"];

    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static string BackfillDll => Path.Combine(AppContext.BaseDirectory, "backfill.dll");

    /// <summary>An integer knob from the environment (bench runs raise them), or the CI default.</summary>
    public static int Knob(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n : fallback;

    /// <summary>A fresh folder with a ledger, an output tree and a temp tree.</summary>
    public static RunFolder NewFolder(string prefix) => new(Directory.CreateTempSubdirectory(prefix).FullName);

    /// <summary>Starts <c>dotnet backfill.dll ARGS</c> with output drained in the background.</summary>
    public static ChildRun Start(IEnumerable<string> args, IReadOnlyDictionary<string, string>? env = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(BackfillDll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (k, v) in env ?? new Dictionary<string, string>())
        {
            start.Environment[k] = v;
        }

        start.Environment["DOTNET_TieredPGO"] = "0";
        var process = Process.Start(start)!;
        process.StandardInput.Close();
        return new ChildRun(process);
    }

    /// <summary>Runs the real command tree in-process.</summary>
    public static async Task<(int Code, string Out, string Error)> CliAsync(IReadOnlyDictionary<string, string>? env, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var environment = new CliEnvironment(output, error, new StringReader(string.Empty), env ?? new Dictionary<string, string>(),
            new FixedClock(new DateTimeOffset(2024, 12, 31, 23, 0, 0, TimeSpan.Zero)), IsTerminal: false, InputIsInteractive: false);
        var code = await CliApp.RunAsync(args, environment, Ct);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>One number from the ledger file, read directly (not through the code under test).</summary>
    public static async Task<long> ScalarAsync(string db, string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={db};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(Ct);
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToInt64(await command.ExecuteScalarAsync(Ct), CultureInfo.InvariantCulture);
    }

    /// <summary>The simulator's base URL as a config value.</summary>
    public static string Url(Backfill.Simulators.ThetaData.ThetaDataSimulator sim) => sim.BaseAddress.ToString().TrimEnd('/');

    public static async Task<string> Sha256Async(string path)
    {
        await using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, Ct));
    }

    public static void TryDelete(string folder)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>A ledger, output and temp folder for one scenario.</summary>
internal sealed class RunFolder(string root) : IDisposable
{
    public string Root { get; } = root;

    public string Db => Path.Combine(Root, "backfill.db");

    public string Out => Path.Combine(Root, "out");

    public string Temp => Path.Combine(Root, "temp");

    public string PublishDirectory => Path.Combine(Temp, "spx", "publish");

    /// <summary>The arguments of <c>process-range</c> over <see cref="Harness.Dates"/> against <paramref name="baseUrl"/>.</summary>
    public string[] ProcessRange(Uri baseUrl, string from = "2024-06-10", string to = "2024-06-12") =>
    [
        "process-range", from, to, "--db", Db,
        "--set", $"thetadata.baseUrl={baseUrl.ToString().TrimEnd('/')}",
        "--set", "processing.startDate=2024-01-02",
        "--set", $"processing.outputDirectory={Out}",
        "--set", $"processing.tempDirectory={Temp}",
    ];

    public string[] With(string command, params string[] extra) =>
    [
        command, .. extra, "--db", Db,
        "--set", "processing.startDate=2024-01-02",
        "--set", $"processing.outputDirectory={Out}",
        "--set", $"processing.tempDirectory={Temp}",
    ];

    public async Task<SqliteLedger> OpenLedgerAsync()
    {
        var ledger = new SqliteLedger(Db);
        await ledger.MigrateAsync(Harness.Ct);
        return ledger;
    }

    public void Dispose() => Harness.TryDelete(Root);
}

/// <summary>A running child process whose output is collected.</summary>
internal sealed class ChildRun : IDisposable
{
    private readonly Task<string> _out;
    private readonly Task<string> _error;

    public ChildRun(Process process)
    {
        Process = process;
        _out = process.StandardOutput.ReadToEndAsync();
        _error = process.StandardError.ReadToEndAsync();
    }

    public Process Process { get; }

    public bool HasExited => Process.HasExited;

    /// <summary>SIGKILL the process and everything it started, and wait until it is gone.</summary>
    public async Task KillAsync()
    {
        try
        {
            Process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
        }

        await Process.WaitForExitAsync(Harness.Ct);
    }

    public async Task<(int Code, string Out, string Error)> WaitAsync(TimeSpan limit)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Harness.Ct);
        timeout.CancelAfter(limit);
        try
        {
            await Process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (!Harness.Ct.IsCancellationRequested)
        {
            await KillAsync();
            throw new TimeoutException($"backfill did not finish within {limit}: {await _error}");
        }

        return (Process.ExitCode, await _out, await _error);
    }

    public void Dispose() => Process.Dispose();
}

internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => now;
}
