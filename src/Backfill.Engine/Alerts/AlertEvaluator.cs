using Backfill.Ledger;
using Backfill.Ledger.Model;

namespace Backfill.Engine.Alerts;

/// <summary>An alert after its state is applied: inactive, pending (its condition holds, its "for" has not passed) or firing.</summary>
public sealed record AlertStatus(AlertCheck Check, string State, DateTimeOffset? ActiveSince)
{
    public const string Inactive = "inactive";
    public const string Pending = "pending";
    public const string Firing = "firing";
    public const string Resolved = "resolved";

    public bool IsFiring => State == Firing;
}

/// <summary>What the webhook is to be told about one alert: that it fires, or that it resolved.</summary>
public sealed record AlertNotice(AlertStatus Alert, string Transition);

/// <summary>One evaluation: every alert's status, and the notices due (a firing alert not yet sent, or sent longer than the repeat interval ago; a resolved one once).</summary>
public sealed record AlertRound(DateTimeOffset At, IReadOnlyList<AlertStatus> Alerts, IReadOnlyList<AlertNotice> Due)
{
    public bool AnyFiring => Alerts.Any(a => a.IsFiring);
}

/// <summary>
/// Applies what the ledger remembers (<c>alert_state</c>) to a set of checks: how long each condition has held, and what
/// the webhook was last told. Several processes may evaluate at once; the worst that can happen is one notice sent twice.
/// </summary>
public sealed class AlertEvaluator(ILedger ledger, TimeProvider time)
{
    /// <summary>Computes every alert's state, stores the ones that changed, and lists the notices due.</summary>
    public async Task<AlertRound> EvaluateAsync(IReadOnlyList<AlertCheck> checks, TimeSpan repeatInterval, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checks);
        var now = time.GetUtcNow();
        var previous = (await ledger.ListAlertStatesAsync(cancellationToken)).ToDictionary(s => s.Key, StringComparer.Ordinal);
        var alerts = new List<AlertStatus>(checks.Count);
        var due = new List<AlertNotice>();
        foreach (var check in checks)
        {
            previous.TryGetValue(check.Key, out var before);
            var since = check.Active ? before?.ActiveSince ?? now : (DateTimeOffset?)null;
            var state = since is null ? AlertStatus.Inactive : now - since.Value >= check.For ? AlertStatus.Firing : AlertStatus.Pending;
            var status = new AlertStatus(check, state, since);
            alerts.Add(status);
            if (state == AlertStatus.Firing && (before?.LastSentState != AlertStatus.Firing || before.LastSentAt is not { } sent || now - sent >= repeatInterval))
            {
                due.Add(new AlertNotice(status, AlertStatus.Firing));
            }
            else if (state != AlertStatus.Firing && before?.LastSentState == AlertStatus.Firing)
            {
                due.Add(new AlertNotice(status, AlertStatus.Resolved));
            }

            if (before is null ? state != AlertStatus.Inactive : before.State != state || before.ActiveSince != since)
            {
                await ledger.SaveAlertStateAsync(new AlertStateRecord(check.Key, state, since, before?.LastSentAt, before?.LastSentState, check.Summary, now), cancellationToken);
            }
        }

        return new AlertRound(now, alerts, due);
    }

    /// <summary>Records that <paramref name="notice"/> reached the webhook.</summary>
    public async Task MarkSentAsync(AlertNotice notice, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(notice);
        var now = time.GetUtcNow();
        var alert = notice.Alert;
        await ledger.SaveAlertStateAsync(
            new AlertStateRecord(alert.Check.Key, alert.State, alert.ActiveSince, now, notice.Transition, alert.Check.Summary, now), cancellationToken);
    }
}
