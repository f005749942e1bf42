using System.Net;
using System.Net.Sockets;

namespace Backfill.Tests.Shared;

/// <summary>
/// A TCP listener on a free loopback port that hands every connection to <see cref="HandleAsync"/> until disposed: the
/// common part of the tests' raw servers and proxies.
/// </summary>
internal abstract class LoopbackTcpServer : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private Task _accepting = Task.CompletedTask;

    /// <summary>Cancelled when the server is disposed; handlers stop with it.</summary>
    protected CancellationTokenSource Stop { get; } = new();

    /// <summary>The port the listener took.</summary>
    protected int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Starts listening; called once by the derived constructor when it is ready to serve.</summary>
    protected void Start()
    {
        _listener.Start();
        _accepting = AcceptAsync();
    }

    /// <summary>Serves one connection (and disposes it).</summary>
    protected abstract Task HandleAsync(TcpClient client);

    public async ValueTask DisposeAsync()
    {
        await Stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _accepting;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
        }

        Stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!Stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(Stop.Token);
            _ = Task.Run(() => HandleAsync(client));
        }
    }
}
