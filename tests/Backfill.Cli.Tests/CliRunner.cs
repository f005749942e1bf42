using System.Diagnostics;
using System.Text.Json;
using Backfill.Engine.Datasets;

namespace Backfill.Cli.Tests;

/// <summary>Runs the real command tree in-process against a fresh ledger folder, capturing output.</summary>
internal sealed class CliRunner : IDisposable
{
    public CliRunner(DateTimeOffset? now = null)
    {
        Folder = Directory.CreateTempSubdirectory("backfill-cli-").FullName;
        Clock = new FixedClock(now ?? new DateTimeOffset(2024, 12, 31, 23, 0, 0, TimeSpan.Zero));
        Env["BACKFILL_METRICS_DIRECTORY"] = Path.Combine(Folder, "metrics");
        Env["BACKFILL_LOGGING_DIRECTORY"] = Path.Combine(Folder, "logs");
        // A date that fails on a transient fault gets its second pass at once, not after 30 s.
        Env["BACKFILL_PROCESSING_SECONDPASSDELAYSECONDS"] = "0";
    }

    public string Folder { get; }

    public string Db => Path.Combine(Folder, "backfill.db");

    public FixedClock Clock { get; }

    public Dictionary<string, string> Env { get; } = new(StringComparer.Ordinal);

    /// <summary>The datasets the command tree knows (a test registers its own with <see cref="DatasetRegistry.With"/>).</summary>
    public DatasetRegistry Datasets { get; init; } = DatasetRegistry.Default;

    public async Task<CliResult> RunAsync(params string[] args) => await RunWithInputAsync(null, args);

    public async Task<CliResult> RunWithInputAsync(string? input, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var environment = new CliEnvironment(output, error, new StringReader(input ?? string.Empty), Env, Clock,
            IsTerminal: false, InputIsInteractive: input is not null) { Datasets = Datasets };
        var all = args.Contains("--db") ? args : [.. args, "--db", Db];
        var code = await CliApp.RunAsync(all, environment, TestContext.Current.CancellationToken);
        return new CliResult(code, output.ToString(), error.ToString());
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    /// <summary>Runs the built <c>backfill</c> program as a separate process.</summary>
    public static async Task<CliResult> RunProcessAsync(IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "backfill.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        start.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return new CliResult(process.ExitCode, await stdout, await stderr);
    }
}

internal sealed record CliResult(int ExitCode, string Out, string Error)
{
    public JsonElement Json() => JsonDocument.Parse(Out).RootElement;

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Out}\nstderr:\n{Error}";
}

internal sealed class FixedClock(DateTimeOffset now) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = now;

    public override DateTimeOffset GetUtcNow() => Now;
}
