using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Backfill.Engine.Configuration;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Backfill.Engine.Alerts;

/// <summary>How a notice went: delivered, or why not after every attempt (the URL never appears, only its host).</summary>
public sealed record WebhookDelivery(bool Delivered, int Attempts, string? Problem);

/// <summary>How hard the webhook is tried: attempts, the first backoff (doubling), and each request's time limit.</summary>
public sealed record WebhookOptions(Uri Url, TimeSpan Timeout, int Attempts = 4, TimeSpan? FirstBackoff = null)
{
    public TimeSpan Backoff => FirstBackoff ?? TimeSpan.FromSeconds(0.5);
}

/// <summary>
/// Posts alert notices to an incoming webhook as JSON with a <c>text</c> field (what Slack, Mattermost and Rocket.Chat show)
/// and the alert's fields beside it. A failed or slow request is retried with exponential backoff; the URL's path, the
/// credential, is never written anywhere (problems name <c>scheme://host/***</c>).
/// </summary>
public sealed class WebhookNotifier(HttpClient http, WebhookOptions options)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    private readonly ResiliencePipeline<HttpResponseMessage> _pipeline = new ResiliencePipelineBuilder<HttpResponseMessage>()
        .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            MaxRetryAttempts = Math.Max(0, options.Attempts - 1),
            Delay = options.Backoff,
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = false,
            ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                .Handle<HttpRequestException>().Handle<TimeoutRejectedException>()
                .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode == HttpStatusCode.TooManyRequests || r.StatusCode == HttpStatusCode.RequestTimeout),
        })
        .AddTimeout(options.Timeout)
        .Build();

    /// <summary>The JSON body of a notice.</summary>
    public static string Payload(AlertNotice notice, string host)
    {
        ArgumentNullException.ThrowIfNull(notice);
        var check = notice.Alert.Check;
        var head = notice.Transition == AlertStatus.Firing ? "[FIRING]" : "[RESOLVED]";
        return JsonSerializer.Serialize(new
        {
            text = $"{head} {check.Name} ({check.Severity}) on {host}: {check.Summary}",
            status = notice.Transition,
            alert = new
            {
                name = check.Name,
                labels = check.Labels.ToDictionary(l => l.Key, l => l.Value),
                severity = check.Severity,
                value = check.Value,
                threshold = check.Threshold,
                activeSince = notice.Alert.ActiveSince,
                summary = check.Summary,
            },
            host,
        }, Json);
    }

    public async Task<WebhookDelivery> SendAsync(AlertNotice notice, string host, CancellationToken cancellationToken)
    {
        var body = Payload(notice, host);
        var attempts = 0;
        try
        {
            using var response = await _pipeline.ExecuteAsync(async ct =>
            {
                attempts++;
                using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
                return await http.PostAsync(options.Url, content, ct);
            }, cancellationToken);
            return response.IsSuccessStatusCode
                ? new WebhookDelivery(true, attempts, null)
                : new WebhookDelivery(false, attempts, $"{SecretUrl.Mask(options.Url.AbsoluteUri)} answered HTTP {(int)response.StatusCode}");
        }
        catch (TimeoutRejectedException)
        {
            return new WebhookDelivery(false, attempts, $"{SecretUrl.Mask(options.Url.AbsoluteUri)} did not answer within {options.Timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            // The message of a connection failure names the host and port at most; the status says the rest.
            return new WebhookDelivery(false, attempts, $"{SecretUrl.Mask(options.Url.AbsoluteUri)} could not be reached ({e.HttpRequestError})");
        }
    }
}
