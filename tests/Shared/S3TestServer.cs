using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Backfill.Tests.Shared;

/// <summary>
/// A real S3-compatible server for tests: s3rver (npm) run by node on a loopback port with a temp folder and one
/// bucket. It checks SigV4 signatures (access key and secret <see cref="AccessKey"/>), supports ListObjectsV2 paging,
/// ranged GETs, copies and multipart uploads; it does not check <c>x-amz-checksum-*</c>, ignores <c>If-None-Match</c> on
/// writes, and does not list multipart uploads. Found through BACKFILL_TEST_S3RVER (the path of s3rver's
/// <c>bin/s3rver.js</c>, which CI sets) or <c>artifacts/s3rver</c> in the repository; a test skips with the reason otherwise.
/// </summary>
internal sealed class S3TestServer : IAsyncDisposable
{
    public const string AccessKey = "S3RVER";
    public const string Bucket = "backfill-test";
    public const string Variable = "BACKFILL_TEST_S3RVER";

    private readonly Process _process;
    private readonly string _folder;

    private S3TestServer(Process process, string folder, int port)
    {
        _process = process;
        _folder = folder;
        Endpoint = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Endpoint { get; }

    /// <summary>The server's data folder (what it keeps on disk, for tests that look behind the API).</summary>
    public string Folder => _folder;

    // s3rver's continuation tokens are DES-encrypted; OpenSSL 3 keeps DES in its legacy provider, hence the node flag.

    /// <summary>Starts a server, or skips the calling test with the reason when node or s3rver is missing.</summary>
    public static async Task<S3TestServer> StartAsync()
    {
        var script = FindScript();
        if (script is null)
        {
            Assert.Skip($"s3rver is not installed: set {Variable} to s3rver's bin/s3rver.js or run 'npm install --prefix artifacts/s3rver s3rver@3.7.1' in the repository (.ci/run does).");
        }

        var folder = Directory.CreateTempSubdirectory("backfill-s3rver-").FullName;
        for (var attempt = 0; ; attempt++)
        {
            var port = FreePort();
            var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in new[] { "--openssl-legacy-provider", script!, "-d", folder, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--configure-bucket", Bucket })
            {
                start.ArgumentList.Add(a);
            }

            Process process;
            try
            {
                process = Process.Start(start)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                Directory.Delete(folder, recursive: true);
                Assert.Skip($"node cannot be started ({e.Message}); s3rver needs it (apt-get install nodejs).");
                throw;
            }

            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new S3TestServer(process, folder, port);
            if (await server.WaitUntilListeningAsync())
            {
                return server;
            }

            await server.StopAsync(keepFolder: true);
            if (attempt == 2)
            {
                Directory.Delete(folder, recursive: true);
                throw new InvalidOperationException($"s3rver did not start on 127.0.0.1:{port} (exit {(process.HasExited ? process.ExitCode : -1)}).");
            }
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync(keepFolder: false);

    private static string? FindScript()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } set)
        {
            return File.Exists(set) ? set : null;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "artifacts", "s3rver", "node_modules", "s3rver", "bin", "s3rver.js");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

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

    private async Task StopAsync(bool keepFolder)
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
        if (!keepFolder)
        {
            try
            {
                Directory.Delete(_folder, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
