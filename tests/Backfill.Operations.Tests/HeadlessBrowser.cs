using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Backfill.Operations.Tests;

/// <summary>
/// Headless Chromium driven over its DevTools protocol: open a page, run script in it (click, choose an option) and
/// read the result, so a test can use the status page as a person does.
/// </summary>
internal sealed partial class HeadlessBrowser : IAsyncDisposable
{
    public const string Chromium = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly ClientWebSocket _socket;
    private int _nextId;

    private HeadlessBrowser(Process process, ClientWebSocket socket)
    {
        _process = process;
        _socket = socket;
    }

    public static async Task<HeadlessBrowser> OpenAsync(Uri page, string profileFolder, CancellationToken ct)
    {
        var start = new ProcessStartInfo(Chromium) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--remote-debugging-port=0",
            $"--user-data-dir={profileFolder}", "--window-size=1280,900", page.ToString() })
        {
            start.ArgumentList.Add(a);
        }

        var process = Process.Start(start)!;
        var endpoint = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StringBuilder();
        process.ErrorDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }

            if (e.Data is { } line && DevToolsLine().Match(line) is { Success: true } m)
            {
                endpoint.TrySetResult(m.Groups[1].Value);
            }
        };
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            var browserUrl = new Uri(await endpoint.Task.WaitAsync(TimeSpan.FromSeconds(60), ct));
            using var http = new HttpClient();
            var pages = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{browserUrl.Port}/json/list"), ct)).RootElement;
            var target = pages.EnumerateArray().First(p => p.GetProperty("type").GetString() == "page").GetProperty("webSocketDebuggerUrl").GetString()!;
            var socket = new ClientWebSocket();
            await socket.ConnectAsync(new Uri(target), ct);
            return new HeadlessBrowser(process, socket);
        }
        catch (Exception e) when (e is TimeoutException or HttpRequestException or WebSocketException)
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            lock (log)
            {
                throw new InvalidOperationException($"chromium did not open its DevTools endpoint: {e.Message}\n{log}", e);
            }
        }
    }

    /// <summary>Evaluates <paramref name="expression"/> in the page (promises awaited) and returns its value.</summary>
    public async Task<JsonElement> EvaluateAsync(string expression, CancellationToken ct)
    {
        var id = ++_nextId;
        var request = JsonSerializer.SerializeToUtf8Bytes(new
        {
            id,
            method = "Runtime.evaluate",
            @params = new { expression, returnByValue = true, awaitPromise = true },
        });
        await _socket.SendAsync(request, WebSocketMessageType.Text, true, ct);
        while (true)
        {
            using var message = await ReceiveAsync(ct);
            var root = message.RootElement;
            if (!root.TryGetProperty("id", out var answered) || answered.GetInt32() != id)
            {
                continue;
            }

            if (root.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"{expression}: {error}");
            }

            var result = root.GetProperty("result");
            if (result.TryGetProperty("exceptionDetails", out var thrown))
            {
                throw new InvalidOperationException($"{expression} threw: {thrown}");
            }

            return result.GetProperty("result").TryGetProperty("value", out var value) ? value.Clone() : default;
        }
    }

    /// <summary>Waits until <paramref name="condition"/> is true in the page (the page loads its data asynchronously).</summary>
    public async Task WaitForAsync(string condition, CancellationToken ct)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromSeconds(60));
        while (true)
        {
            try
            {
                if ((await EvaluateAsync($"!!({condition})", limit.Token)).ValueKind == JsonValueKind.True)
                {
                    return;
                }
            }
            catch (InvalidOperationException) when (!limit.IsCancellationRequested)
            {
                // The page is not there yet (no body while it loads): try again until the limit.
            }

            try
            {
                await Task.Delay(100, limit.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                var error = await EvaluateAsync("document.getElementById('error')?.textContent ?? ''", ct);
                throw new TimeoutException($"the page never reached: {condition} (page error: '{error}')");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        }
        catch (WebSocketException)
        {
        }

        _socket.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
    }

    private async Task<JsonDocument> ReceiveAsync(CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        using var text = new MemoryStream();
        while (true)
        {
            var part = await _socket.ReceiveAsync(buffer, ct);
            if (part.MessageType == WebSocketMessageType.Close)
            {
                throw new InvalidOperationException("chromium closed the DevTools connection.");
            }

            text.Write(buffer, 0, part.Count);
            if (part.EndOfMessage)
            {
                return JsonDocument.Parse(text.ToArray());
            }
        }
    }

    [GeneratedRegex(@"DevTools listening on (ws://\S+)")]
    private static partial Regex DevToolsLine();
}
