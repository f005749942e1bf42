using System.Diagnostics;

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

    private readonly LoopbackProcess _process;

    private MotoTestServer(LoopbackProcess process) => _process = process;

    public Uri Endpoint => _process.Endpoint;

    public static async Task<MotoTestServer> StartAsync()
    {
        var program = Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } set ? set : FindOnPath("moto_server");
        if (program is null || !File.Exists(program))
        {
            Assert.Skip($"moto_server is not installed (pip install 'moto[server]'; no registry CI reaches ships it): set {Variable} to it or put it on PATH.");
        }

        return new MotoTestServer(await LoopbackProcess.StartAsync("moto_server", port =>
        {
            var start = new ProcessStartInfo(program!);
            foreach (var a in new[] { "-H", "127.0.0.1", "-p", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
            {
                start.ArgumentList.Add(a);
            }

            return start;
        }));
    }

    public ValueTask DisposeAsync() => _process.DisposeAsync();

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, name)).FirstOrDefault(File.Exists);
}
