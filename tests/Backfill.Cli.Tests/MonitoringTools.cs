using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Backfill.Cli.Tests;

/// <summary>The monitoring programs the tests drive (promtool, prometheus, the push gateway), found on PATH.</summary>
internal static class MonitoringTools
{
    public static string Root
    {
        get
        {
            var root = new DirectoryInfo(AppContext.BaseDirectory);
            while (root is not null && !File.Exists(Path.Combine(root.FullName, "Backfill.slnx")))
            {
                root = root.Parent;
            }

            Assert.NotNull(root);
            return root.FullName;
        }
    }

    public static string RulesFolder => Path.Combine(Root, "deploy", "prometheus");

    /// <summary>The program's full path, or a skip naming the Debian package that has it.</summary>
    public static string Require(string name, string package)
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator)
            .Select(folder => Path.Combine(folder, name)).FirstOrDefault(File.Exists);
        Assert.SkipWhen(found is null, $"{name} is not installed (Debian package {package}; .ci/run installs it).");
        return found!;
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string program, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>Polls <paramref name="check"/> until it returns true or <paramref name="limit"/> passes; the failure shows the last reason.</summary>
    public static async Task WaitUntilAsync(Func<Task<(bool Done, string State)>> check, TimeSpan limit, string what)
    {
        var deadline = DateTime.UtcNow + limit;
        var state = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            bool done;
            (done, state) = await check();
            if (done)
            {
                return;
            }

            await Task.Delay(250, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"{what} did not happen within {limit.TotalSeconds} s; last seen: {state}");
    }
}

/// <summary>A program the test started (a Prometheus server, a push gateway): its output is kept, and it is killed when disposed.</summary>
internal sealed class BackgroundProgram : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public BackgroundProgram(string program, params string[] args)
        : this(program, null, (IReadOnlyList<string>)args)
    {
    }

    public BackgroundProgram(string program, string? workingDirectory, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory ?? string.Empty };
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    private void Append(string? line)
    {
        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
