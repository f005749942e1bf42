using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Backfill.Tests.Shared;

/// <summary>
/// A second S3-compatible server for what s3rver does not implement: moto's <c>moto_server</c> (Python) on a loopback
/// port, in memory, with one bucket. Unlike s3rver it lists and aborts incomplete multipart uploads; it does not check
/// signatures. No registry CI reaches ships it (not in Debian 12; PyPI is not reachable), so it is used where the machine
/// has it: <c>moto_server</c> on PATH or BACKFILL_TEST_MOTO naming it; a test skips with the reason otherwise.
/// </summary>
internal sealed class MotoTestServer : IAsyncDisposable
{
    public const string Bucket = "backfill-test";
    public const string Variable = "BACKFILL_TEST_MOTO";

    private readonly Process _process;

    private MotoTestServer(Process process, int port)
    {
        _process = process;
        Endpoint = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Endpoint { get; }

    public static async Task<MotoTestServer> StartAsync()
    {
        var program = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } set ? set : FindOnPath("moto_server");
        if (program is null || !File.Exists(program))
        {
            Assert.Skip($"moto_server is not installed (pip install 'moto[server]'; no registry CI reaches ships it): set {Variable} to it or put it on PATH.");
        }

        for (var attempt = 0; ; attempt++)
        {
            int port;
            using (var listener = new TcpListener(IPAddress.Loopback, 0))
            {
                listener.Start();
                port = ((IPEndPoint)listener.LocalEndpoint).Port;
            }

            var start = new ProcessStartInfo(program!) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(a);
            }

            var process = Process.Start(start)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new MotoTestServer(process, port);
            if (await server.WaitUntilListeningAsync())
            {
                return server;
            }

            await server.DisposeAsync();
            if (attempt == 2)
            {
                throw new InvalidOperationException($"moto_server did not start on 127.0.0.1:{port}.");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);

    private async Task<bool> WaitUntilListeningAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline && !_process.HasExited)
        {
            try
            {
                using var client = new TcpClient();
                await client.ConnectAsync(IPAddress.Loopback, Endpoint.Port);
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
