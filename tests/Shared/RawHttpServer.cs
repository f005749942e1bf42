using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Backfill.Tests.Shared;

/// <summary>
/// A loopback HTTP/1.1 server that answers each request with exactly the bytes a handler returns and then closes the
/// connection: for answers no well-behaved server framework would send (invalid UTF-8, control characters, a body
/// shorter than its Content-Length).
/// </summary>
internal sealed class RawHttpServer : LoopbackTcpServer
{
    private readonly Func<string, byte[]> _respond;
    private int _requests;

    /// <param name="respond">Given the request target (path and query), the whole response: status line, headers and body.</param>
    public RawHttpServer(Func<string, byte[]> respond)
    {
        _respond = respond;
        Start();
        BaseAddress = new Uri($"http://127.0.0.1:{Port}/");
    }

    public Uri BaseAddress { get; }

    /// <summary>Requests answered so far.</summary>
    public int Requests => Volatile.Read(ref _requests);

    /// <summary>A response with <paramref name="body"/>; <paramref name="declaredLength"/> may claim more bytes than are sent.</summary>
    public static byte[] Response(int status, byte[] body, string contentType = "text/plain", long? declaredLength = null)
    {
        var head = $"HTTP/1.1 {status} Status\r\nContent-Type: {contentType}\r\nContent-Length: {declaredLength ?? body.Length}\r\nConnection: close\r\n\r\n";
        return [.. Encoding.ASCII.GetBytes(head), .. body];
    }

    protected override async Task HandleAsync(TcpClient client)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                var head = await ReadHeadAsync(stream);
                var target = head.Split(' ', 3) is [_, var t, _] ? t : "/";
                await DiscardBodyAsync(stream, head);
                Interlocked.Increment(ref _requests);
                await stream.WriteAsync(_respond(target), Stop.Token);
                client.Client.Shutdown(SocketShutdown.Send);
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // The client gave up first; nothing to answer.
            }
        }
    }

    private async Task<string> ReadHeadAsync(NetworkStream stream)
    {
        var head = new List<byte>(512);
        var one = new byte[1];
        while (head.Count < 4 || !(head[^4] == '\r' && head[^3] == '\n' && head[^2] == '\r' && head[^1] == '\n'))
        {
            if (await stream.ReadAsync(one, Stop.Token) == 0)
            {
                throw new IOException("The client closed before the request head ended.");
            }

            head.Add(one[0]);
        }

        return Encoding.ASCII.GetString([.. head]);
    }

    /// <summary>Reads a request body away, so that closing the connection does not reset it under the client.</summary>
    private async Task DiscardBodyAsync(NetworkStream stream, string head)
    {
        var line = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var left = line is null ? 0 : long.Parse(line["Content-Length:".Length..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        var buffer = new byte[4096];
        while (left > 0)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), Stop.Token);
            if (n == 0)
            {
                return;
            }

            left -= n;
        }
    }
}
