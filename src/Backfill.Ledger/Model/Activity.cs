namespace Backfill.Ledger.Model;

/// <summary>
/// What happened to a dataset since a moment, as the monitoring reads it: attempts that ended by outcome (success, failed,
/// interrupted), <c>error_log</c> rows by error kind, vendor requests of the units touched, and the last success ever.
/// </summary>
/// <param name="SourceRequests">The per-unit request counts of the units updated since <paramref name="Since"/>.</param>
/// <param name="LastSuccessAt">When the newest successful unit completed (whatever <paramref name="Since"/>); null when none did.</param>
public sealed record LedgerActivity(
    string Dataset,
    DateTimeOffset Since,
    IReadOnlyDictionary<string, int> AttemptsByOutcome,
    IReadOnlyDictionary<string, int> ErrorsByKind,
    long SourceRequests,
    DateTimeOffset? LastSuccessAt)
{
    public int Attempts(string outcome) => AttemptsByOutcome.GetValueOrDefault(outcome);
}

/// <summary>
/// One alert as <c>backfill alerts</c> last saw it (<c>alert_state</c>): whether its condition holds, since when, and what
/// was last sent to the webhook, so a firing alert is not sent again within the repeat interval and a cleared one is
/// sent once as resolved.
/// </summary>
/// <param name="Key">The alert's name and labels, e.g. <c>BackfillFailureRateHigh{dataset=spx}</c>.</param>
/// <param name="State">inactive, pending (condition holds, its "for" has not passed) or firing.</param>
/// <param name="ActiveSince">When the condition was first seen holding in this stretch; null while inactive.</param>
/// <param name="LastSentState">firing or resolved: what the webhook was last told; null when never.</param>
public sealed record AlertStateRecord(
    string Key,
    string State,
    DateTimeOffset? ActiveSince,
    DateTimeOffset? LastSentAt,
    string? LastSentState,
    string Summary,
    DateTimeOffset UpdatedAt);
