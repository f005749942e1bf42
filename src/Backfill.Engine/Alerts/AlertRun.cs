using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
using Backfill.Ledger;
using Microsoft.Extensions.Logging;

namespace Backfill.Engine.Alerts;

/// <summary>The <c>alerts.*</c> settings: thresholds, the webhook (null: none) and how often a firing alert is repeated.</summary>
public sealed record AlertOptions(AlertThresholds Thresholds, WebhookOptions? Webhook, TimeSpan RepeatInterval)
{
    public static AlertOptions From(EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var url = settings.Get(Settings.AlertsWebhookUrl).Value;
        return new AlertOptions(
            AlertThresholds.From(settings),
            url is null ? null : new WebhookOptions(new Uri(url), TimeSpan.FromSeconds(settings.Int(Settings.AlertsWebhookTimeoutSeconds))),
            AlertDurations.Parse(settings.Text(Settings.AlertsRepeatInterval)));
    }
}

/// <summary>One evaluation and what reached the webhook.</summary>
public sealed record AlertReport(AlertRound Round, IReadOnlyList<(AlertNotice Notice, WebhookDelivery Delivery)> Deliveries);

/// <summary>
/// Evaluates the alert rules over the ledger and the machine, applies the stored alert state, and (with a webhook) sends
/// the notices due, recording each one delivered. A webhook that fails is logged as a warning; it never throws.
/// </summary>
public static partial class AlertRun
{
    public static async Task<AlertReport> RunAsync(
        ILedger ledger, DatasetRegistry datasets, EffectiveSettings settings, AlertOptions options, TimeProvider time, HttpClient? http,
        ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        var observations = await Observations.ReadAsync(ledger, datasets, settings, time, cancellationToken);
        var evaluator = new AlertEvaluator(ledger, time);
        var round = await evaluator.EvaluateAsync(AlertRules.Evaluate(observations, options.Thresholds), options.RepeatInterval, cancellationToken);
        var deliveries = new List<(AlertNotice, WebhookDelivery)>();
        if (options.Webhook is null || http is null || round.Due.Count == 0)
        {
            return new AlertReport(round, deliveries);
        }

        var notifier = new WebhookNotifier(http, options.Webhook);
        var host = Environment.MachineName;
        foreach (var notice in round.Due)
        {
            var delivery = await notifier.SendAsync(notice, host, cancellationToken);
            deliveries.Add((notice, delivery));
            if (delivery.Delivered)
            {
                await evaluator.MarkSentAsync(notice, cancellationToken);
                LogSent(logger, notice.Transition, notice.Alert.Check.Key, delivery.Attempts);
            }
            else
            {
                LogNotSent(logger, notice.Transition, notice.Alert.Check.Key, delivery.Attempts, delivery.Problem ?? "unknown");
            }
        }

        return new AlertReport(round, deliveries);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "alert {Transition} {Alert} sent to the webhook ({Attempts} attempt(s))")]
    private static partial void LogSent(ILogger logger, string transition, string alert, int attempts);

    [LoggerMessage(Level = LogLevel.Warning, Message = "alert {Transition} {Alert} not sent after {Attempts} attempt(s): {Problem}; it is tried again at the next evaluation")]
    private static partial void LogNotSent(ILogger logger, string transition, string alert, int attempts, string problem);
}
