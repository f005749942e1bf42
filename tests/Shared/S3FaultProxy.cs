using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Backfill.Tests.Shared;

/// <summary>
/// A loopback TCP proxy between the AWS SDK and a test S3 server that injects faults into chosen requests: a 503
/// SlowDown answer, a request body cut off halfway (the connection closed mid-PUT), or a request held halfway through
/// its body until the client goes away (to kill a process while its upload is in flight). Every request is sent upstream
/// with <c>Connection: close</c>, so each arrives on its own connection and can be matched by its request line.
/// </summary>
internal sealed class S3FaultProxy : LoopbackTcpServer
{
    private readonly Uri _target;
    private readonly List<(string Method, string PathPart, Fault Fault)> _faults = [];
    private readonly List<string> _seen = [];

    public S3FaultProxy(Uri target)
    {
        _target = target;
        Start();
        Endpoint = new Uri($"http://127.0.0.1:{Port}");
    }

    public enum Fault
    {
        SlowDown,
        CutBody,

        /// <summary>Half the body is sent to the server, then the request is held (<see cref="Stalled"/> completes) until the client closes.</summary>
        Stall,
    }

    private readonly TaskCompletionSource<string> _stalled = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the request line when a <see cref="Fault.Stall"/> request has sent half its body to the server.</summary>
    public Task<string> Stalled => _stalled.Task;

    public Uri Endpoint { get; }

    /// <summary>Request lines seen (method and target), in order.</summary>
    public IReadOnlyList<string> Seen
    {
        get
        {
            lock (_seen)
            {
                return [.. _seen];
            }
        }
    }

    /// <summary>Injects <paramref name="fault"/> into the next request with this method whose target contains <paramref name="pathPart"/>.</summary>
    public void Inject(Fault fault, string method, string pathPart)
    {
        lock (_faults)
        {
            _faults.Add((method, pathPart, fault));
        }
    }

    public int PendingFaults
    {
        get
        {
            lock (_faults)
            {
                return _faults.Count;
            }
        }
    }

    protected override async Task HandleAsync(TcpClient client)
    {
        using (client)
        using (var upstream = new TcpClient())
        {
            try
            {
                var downstream = client.GetStream();
                var (head, rest) = await ReadHeadAsync(downstream);
                if (head is null)
                {
                    return;
                }

                var requestLine = head[..head.IndexOf("\r\n", StringComparison.Ordinal)];
                var parts = requestLine.Split(' ');
                lock (_seen)
                {
                    _seen.Add(parts[0] + " " + parts[1]);
                }

                var fault = Take(parts[0], parts[1]);
                if (fault == Fault.SlowDown)
                {
                    var body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>";
                    var answer = $"HTTP/1.1 503 Slow Down\r\nContent-Type: application/xml\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
                    await downstream.WriteAsync(Encoding.ASCII.GetBytes(answer));
                    return;
                }

                await upstream.ConnectAsync(_target.Host, _target.Port);
                var up = upstream.GetStream();
                var lines = head.Split("\r\n").Where(l => !l.StartsWith("Connection:", StringComparison.OrdinalIgnoreCase)).ToList();
                lines.Insert(lines.Count - 2, "Connection: close");
                await up.WriteAsync(Encoding.ASCII.GetBytes(string.Join("\r\n", lines)));
                if (fault is Fault.CutBody or Fault.Stall)
                {
                    var length = long.Parse(lines.First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    var half = length / 2;
                    var sent = (int)Math.Min(half, rest.Length);
                    await up.WriteAsync(rest.AsMemory(0, sent));
                    var chunk = new byte[1 << 16];
                    while (sent < half)
                    {
                        var read = await downstream.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, half - sent)));
                        if (read == 0)
                        {
                            break;
                        }

                        await up.WriteAsync(chunk.AsMemory(0, read));
                        sent += read;
                    }

                    if (fault == Fault.Stall)
                    {
                        _stalled.TrySetResult(requestLine);

                        // Hold the rest of the body until the client is gone, then drop the server's connection mid-body.
                        while (await downstream.ReadAsync(chunk) > 0)
                        {
                        }

                        upstream.Client.LingerState = new LingerOption(true, 0);
                        return;
                    }

                    client.Client.LingerState = new LingerOption(true, 0);
                    return;
                }

                if (rest.Length > 0)
                {
                    await up.WriteAsync(rest);
                }

                var toServer = downstream.CopyToAsync(up);
                await up.CopyToAsync(downstream);
                client.Client.Shutdown(SocketShutdown.Send);
                await Task.WhenAny(toServer, Task.Delay(1000));
            }
            catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
            {
            }
        }
    }

    private Fault? Take(string method, string target)
    {
        lock (_faults)
        {
            var index = _faults.FindIndex(f => f.Method == method && target.Contains(f.PathPart, StringComparison.Ordinal));
            if (index < 0)
            {
                return null;
            }

            var fault = _faults[index].Fault;
            _faults.RemoveAt(index);
            return fault;
        }
    }

    /// <summary>The request head (through the blank line) and the body bytes read with it.</summary>
    private static async Task<(string? Head, byte[] Body)> ReadHeadAsync(NetworkStream stream)
    {
        var buffer = new byte[1 << 16];
        var filled = 0;
        while (filled < buffer.Length)
        {
            var read = await stream.ReadAsync(buffer.AsMemory(filled));
            if (read == 0)
            {
                return (null, []);
            }

            filled += read;
            var end = buffer.AsSpan(0, filled).IndexOf("\r\n\r\n"u8);
            if (end >= 0)
            {
                return (Encoding.ASCII.GetString(buffer, 0, end + 4), buffer[(end + 4)..filled]);
            }
        }

        return (null, []);
    }
}
