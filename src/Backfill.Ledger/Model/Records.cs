namespace Backfill.Ledger.Model;

/// <summary>The current state of one unit of work as the ledger holds it.</summary>
public sealed record UnitRecord
{
    public required string Dataset { get; init; }

    public required DateOnly TradeDate { get; init; }

    public required UnitStatus Status { get; init; }

    public int AttemptCount { get; init; }

    public string? Owner { get; init; }

    public DateTimeOffset? LeaseExpiresAt { get; init; }

    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }

    public long? DurationMs { get; init; }

    public string? FilePath { get; init; }

    public long? FileSize { get; init; }

    public string? FileSha256 { get; init; }

    public string? ContentSha256 { get; init; }

    public long? RowCount { get; init; }

    public int? SubUnitsTotal { get; init; }

    public int? SubUnitsDone { get; init; }

    public long? ApiRequests { get; init; }

    public long? PeakMemoryBytes { get; init; }

    public double? QualityScore { get; init; }

    public long? DuplicatesDropped { get; init; }

    public string? LastErrorType { get; init; }

    public string? LastErrorMessage { get; init; }

    public DateTimeOffset UpdatedAt { get; init; }
}

/// <summary>What a successful unit produced, recorded in one transaction.</summary>
public sealed record UnitSuccess
{
    public required string FilePath { get; init; }

    public required long FileSize { get; init; }

    public required string FileSha256 { get; init; }

    public string? ContentSha256 { get; init; }

    public required long RowCount { get; init; }

    public int SubUnitsTotal { get; init; }

    public long ApiRequests { get; init; }

    public long DurationMs { get; init; }

    public long PeakMemoryBytes { get; init; }

    public double? QualityScore { get; init; }

    public long DuplicatesDropped { get; init; }
}

/// <summary>One error as stored in <c>error_log</c>.</summary>
public sealed record ErrorRecord
{
    public long Id { get; init; }

    public required string Dataset { get; init; }

    public DateOnly? TradeDate { get; init; }

    public string? SubUnit { get; init; }

    /// <summary>The typed error's kind name (e.g. <c>RateLimited</c>).</summary>
    public required string ErrorType { get; init; }

    public required string Message { get; init; }

    /// <summary>0-based attempt on which the error happened.</summary>
    public int Attempt { get; init; }

    public int? StatusCode { get; init; }

    /// <summary>True when the engine retried after this error.</summary>
    public bool WillRetry { get; init; }

    public DateTimeOffset OccurredAt { get; init; }
}

/// <summary>One measurement in <c>performance_metrics</c>.</summary>
public sealed record MetricRecord(string Dataset, DateOnly? TradeDate, string Name, double Value, string Unit)
{
    public DateTimeOffset RecordedAt { get; init; }
}

/// <summary>A sub-unit (e.g. one expiration of one root) that completed and is staged.</summary>
public sealed record SubUnitRecord(string Dataset, DateOnly TradeDate, string SubUnit, long Rows, DateTimeOffset CompletedAt);

/// <summary>A stored configuration value.</summary>
public sealed record ConfigEntry(string Dataset, string Key, string Value, DateTimeOffset UpdatedAt, string UpdatedBy, int Version);

/// <summary>One change of a configuration value.</summary>
public sealed record ConfigChange(string Dataset, string Key, string? OldValue, string? NewValue, DateTimeOffset ChangedAt, string ChangedBy, int Version);

/// <summary>Counts per status for a dataset, plus the latest activity.</summary>
public sealed record LedgerSummary(
    string Dataset,
    IReadOnlyDictionary<UnitStatus, int> Counts,
    DateOnly? FirstSuccess,
    DateOnly? LastSuccess,
    long TotalRows,
    long TotalBytes,
    DateTimeOffset? LastActivity,
    int ErrorsLast24h);

/// <summary>The result of trying to claim a unit for processing.</summary>
public sealed record UnitClaim(string Dataset, DateOnly TradeDate, string Owner, int Attempt, bool Resumed, UnitStatus PreviousStatus);

/// <summary>Which <c>error_log</c> rows an error history reads; every bound is optional and inclusive.</summary>
/// <param name="Since">Errors that occurred at or after this time.</param>
/// <param name="ErrorType">Only this kind (e.g. <c>RateLimited</c>).</param>
/// <param name="From">Errors of trade dates from this one.</param>
/// <param name="To">Errors of trade dates up to this one.</param>
/// <param name="Limit">At most this many rows, the newest.</param>
public sealed record ErrorFilter(DateTimeOffset? Since = null, string? ErrorType = null, DateOnly? From = null, DateOnly? To = null, int Limit = 100_000);
