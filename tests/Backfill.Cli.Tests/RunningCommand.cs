using System.Text;
using System.Text.RegularExpressions;

namespace Backfill.Cli.Tests;

/// <summary>A long-running command (<c>serve</c>, <c>simulate</c>) run in-process until the test stops it as Ctrl-C would.</summary>
internal sealed partial class RunningCommand : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop;
    private readonly SharedWriter _out = new();
    private readonly SharedWriter _error = new();
    private readonly Task<int> _run;

    private RunningCommand(CliRunner cli, string[] args, CancellationToken cancellationToken)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var environment = new CliEnvironment(_out, _error, new StringReader(""), cli.Env, TimeProvider.System, false, false);
        _run = Task.Run(() => CliApp.RunAsync([.. args, "--db", cli.Db], environment, _stop.Token), cancellationToken);
    }

    public string Out => _out.Text;

    public string Error => _error.Text;

    public static RunningCommand Start(CliRunner cli, params string[] args) => new(cli, args, TestContext.Current.CancellationToken);

    /// <summary>The first loopback URL the command prints once it listens; fails with the output if it ends first.</summary>
    public async Task<Uri> WaitForUrlAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (LoopbackUrl().Match(Out + Error) is { Success: true } match)
            {
                return new Uri(match.Value);
            }

            Assert.False(_run.IsCompleted, $"the command ended before it listened: exit {(_run.IsCompletedSuccessfully ? _run.Result : -1)}\nstdout:\n{Out}\nstderr:\n{Error}");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"the command printed no URL within 60 s\nstdout:\n{Out}\nstderr:\n{Error}");
        return null!;
    }

    /// <summary>Stops the command as the first Ctrl-C does and returns its exit code.</summary>
    public async Task<int> StopAsync()
    {
        await _stop.CancelAsync();
        return await _run.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_run.IsCompleted)
        {
            await _stop.CancelAsync();
            await Task.WhenAny(_run, Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None));
        }

        _stop.Dispose();
    }

    [GeneratedRegex(@"http://(127\.0\.0\.1|\[::1\]):\d+/([^\s)]*[^\s.,)])?")]
    private static partial Regex LoopbackUrl();

    /// <summary>Server threads may log while the test reads, so every write and read takes the lock.</summary>
    private sealed class SharedWriter : StringWriter
    {
        private readonly Lock _lock = new();

        public string Text
        {
            get
            {
                lock (_lock)
                {
                    return ToString();
                }
            }
        }

        public override Encoding Encoding => Encoding.UTF8;

        public override void Write(char value)
        {
            lock (_lock)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_lock)
            {
                base.Write(value);
            }
        }

        public override void Write(char[] buffer, int index, int count)
        {
            lock (_lock)
            {
                base.Write(buffer, index, count);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_lock)
            {
                base.WriteLine(value);
            }
        }

        public override Task WriteAsync(string? value)
        {
            Write(value);
            return Task.CompletedTask;
        }

        public override Task WriteLineAsync(string? value)
        {
            WriteLine(value);
            return Task.CompletedTask;
        }
    }
}
