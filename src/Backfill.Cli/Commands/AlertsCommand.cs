using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Engine.Alerts;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
using Backfill.Ledger;
using Microsoft.Extensions.Logging;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>alerts</c>: evaluates the alert rules of every registered dataset from the ledger and the machine, tells the webhook
/// (<c>alerts.webhookUrl</c>) of alerts that fire or resolved, and exits 1 while any fires.
/// </summary>
internal static partial class AlertsCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var command = new Command("alerts",
            "Evaluate the alert rules (failure rate, consecutive missing sessions, no recent success, source connectivity, disk, memory and CPU) " +
            "for every dataset; with alerts.webhookUrl set, post firing and resolved alerts. Exit 1 while any alert fires.");
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            await using var ledger = await context.OpenLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            using var loggers = Operations.Create(context, settings);
            var report = await EvaluateAsync(context, ledger, settings, loggers, ct);
            context.Render(Table(report));
            foreach (var (notice, delivery) in report.Deliveries.Where(d => !d.Delivery.Delivered))
            {
                context.Warn($"the {notice.Transition} alert {notice.Alert.Check.Key} was not sent after {delivery.Attempts} attempt(s): {delivery.Problem}. It is tried again at the next evaluation.");
            }

            return report.Round.AnyFiring ? ExitCodes.Failed : ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>One evaluation with the command's settings; the webhook is asked only when one is set.</summary>
    public static async Task<AlertReport> EvaluateAsync(CommandContext context, ILedger ledger, EffectiveSettings settings, ILoggerFactory loggers, CancellationToken ct)
    {
        var options = AlertOptions.From(settings);
        using var http = options.Webhook is null ? null : new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        return await AlertRun.RunAsync(ledger, context.Environment.Datasets, settings, options, context.Environment.Time, http,
            loggers.CreateLogger("Backfill.Alerts"), ct);
    }

    /// <summary>
    /// The end of a processing command: with a webhook set, evaluate and send what is due. Nothing here changes the
    /// command's exit code; a failure is logged and said as a warning.
    /// </summary>
    public static async Task NotifyAfterRunAsync(CommandContext context, ILedger ledger, EffectiveSettings settings, ILoggerFactory loggers)
    {
        if (settings.Get(Settings.AlertsWebhookUrl).Value is null)
        {
            return;
        }

        var log = loggers.CreateLogger("Backfill.Alerts");
        try
        {
            // Its own time limit: a stopped run is still told what fires, and a hung webhook cannot hold the command.
            using var limit = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var report = await EvaluateAsync(context, ledger, settings, loggers, limit.Token);
            foreach (var (notice, delivery) in report.Deliveries.Where(d => !d.Delivery.Delivered))
            {
                context.Warn($"alerts: the {notice.Transition} alert {notice.Alert.Check.Key} was not sent: {delivery.Problem}.");
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogFailed(log, e.GetType().Name, e.Message);
            context.Warn($"alerts were not evaluated after the run ({e.GetType().Name}); run 'backfill alerts' to see them.");
        }
    }

    private static ResultTable Table(AlertReport report)
    {
        var table = new ResultTable("Alerts", "alert", "subject", "severity", "state", "value", "threshold", "since", "summary");
        foreach (var alert in report.Round.Alerts.OrderBy(a => a.State switch { AlertStatus.Firing => 0, AlertStatus.Pending => 1, _ => 2 }).ThenBy(a => a.Check.Key, StringComparer.Ordinal))
        {
            var check = alert.Check;
            table.Add(check.Name, check.Subject, check.Severity, alert.State, check.Value is { } v ? Math.Round(v, 4) : null, check.Threshold, alert.ActiveSince, check.Summary);
        }

        var firing = report.Round.Alerts.Count(a => a.IsFiring);
        table.Notes.Add(firing == 0
            ? "No alert fires."
            : $"{firing} alert(s) firing, {report.Round.Alerts.Count(a => a.State == AlertStatus.Pending)} pending.");
        foreach (var (notice, delivery) in report.Deliveries)
        {
            table.Notes.Add($"webhook: {notice.Transition} {notice.Alert.Check.Key} {(delivery.Delivered ? "sent" : "NOT sent: " + delivery.Problem)}.");
        }

        return table;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "alerts not evaluated after the run: {Kind} {Message}")]
    private static partial void LogFailed(ILogger logger, string kind, string message);
}
