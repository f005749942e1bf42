using System.Net;
using System.Net.Sockets;
using System.Text;
using Backfill.Tests.Shared;

namespace Backfill.Cli.Tests;

/// <summary>
/// A loopback incoming webhook: keeps every body posted to it and answers as told (200, an error status, or only after a
/// delay). Its URL has a secret-looking path, as a Slack webhook has.
/// </summary>
internal sealed class WebhookReceiver : IDisposable
{
    public const string SecretPath = "services/T0001/B0002/s3cr3tW3bh00kT0k3n";

    private readonly HttpListener _listener = new();
    private readonly List<Post> _bodies = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _serving;

    public WebhookReceiver()
    {
        var port = LoopbackProcess.FreePort();
        Url = new Uri($"http://127.0.0.1:{port}/{SecretPath}");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _serving = Task.Run(ServeAsync);
    }

    public Uri Url { get; }

    /// <summary>The status answered (after <see cref="Delay"/>).</summary>
    public HttpStatusCode Status { get; set; } = HttpStatusCode.OK;

    public TimeSpan Delay { get; set; } = TimeSpan.Zero;

    /// <summary>Every request received, in order (failed and slow ones too).</summary>
    public IReadOnlyList<Post> Posts
    {
        get
        {
            lock (_bodies)
            {
                return [.. _bodies];
            }
        }
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                var body = await reader.ReadToEndAsync();
                lock (_bodies)
                {
                    _bodies.Add(new Post(context.Request.HttpMethod, context.Request.Url!.AbsolutePath, context.Request.ContentType, body));
                }

                try
                {
                    await Task.Delay(Delay, _stop.Token);
                    context.Response.StatusCode = (int)Status;
                    context.Response.Close();
                }
                catch (Exception e) when (e is OperationCanceledException or HttpListenerException or ObjectDisposedException)
                {
                }
            });
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Close();
        _serving.Wait(TimeSpan.FromSeconds(5));
        _stop.Dispose();
    }
}

/// <summary>One request the receiver got.</summary>
internal sealed record Post(string Method, string Path, string? ContentType, string Body)
{
    public System.Text.Json.JsonElement Json => System.Text.Json.JsonDocument.Parse(Body).RootElement;

    public string Text => Json.GetProperty("text").GetString()!;
}
