using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Backfill.Tests.Shared;

/// <summary>
/// A server program a test runs on a free loopback port (s3rver, moto): started with its output drained, waited for
/// until it accepts connections, tried on another port when it does not, and killed with its children at the end.
/// </summary>
internal sealed class LoopbackProcess : IAsyncDisposable
{
    private LoopbackProcess(Process process, int port)
    {
        Process = process;
        Endpoint = new Uri($"http://127.0.0.1:{port}");
    }

    public Process Process { get; }

    public Uri Endpoint { get; }

    /// <summary>
    /// Starts <paramref name="startInfo"/> (given the port to listen on) until one of <paramref name="attempts"/> tries
    /// listens within 30 s; throws naming <paramref name="name"/> and the last port when none does.
    /// </summary>
    public static async Task<LoopbackProcess> StartAsync(string name, Func<int, ProcessStartInfo> startInfo, int attempts = 3)
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = FreePort();
            var start = startInfo(port);
            start.RedirectStandardOutput = true;
            start.RedirectStandardError = true;
            start.UseShellExecute = false;
            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new LoopbackProcess(process, port);
            if (await server.WaitUntilListeningAsync(port))
            {
                return server;
            }

            var exit = process.HasExited ? process.ExitCode : -1;
            await server.DisposeAsync();
            if (attempt == attempts)
            {
                throw new InvalidOperationException($"{name} did not start on 127.0.0.1:{port} (exit {exit}).");
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        Process.Dispose();
    }

    private async Task<bool> WaitUntilListeningAsync(int port)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !Process.HasExited)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, port);
                return true;
            }
            catch (SocketException)
            {
                await Task.Delay(100);
            }
        }

        return false;
    }
}
