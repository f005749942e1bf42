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

    private readonly LoopbackProcess _process;
    private readonly string _folder;

    private S3TestServer(LoopbackProcess process, string folder)
    {
        _process = process;
        _folder = folder;
    }

    public Uri Endpoint => _process.Endpoint;

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
        try
        {
            var process = await LoopbackProcess.StartAsync("s3rver", port =>
            {
                var start = new ProcessStartInfo("node");
                foreach (var a in new[] { "--openssl-legacy-provider", script!, "-d", folder, "-a", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--silent", "--configure-bucket", Bucket })
                {
                    start.ArgumentList.Add(a);
                }

                return start;
            });
            return new S3TestServer(process, folder);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            Directory.Delete(folder, recursive: true);
            Assert.Skip($"node cannot be started ({e.Message}); s3rver needs it (apt-get install nodejs).");
            throw;
        }
        catch (InvalidOperationException)
        {
            Directory.Delete(folder, recursive: true);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _process.DisposeAsync();
        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }

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
}
