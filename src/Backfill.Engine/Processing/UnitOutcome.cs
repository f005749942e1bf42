namespace Backfill.Engine.Processing;

public enum UnitOutcomeKind
{
    Success,
    Failed,
    Interrupted,

    /// <summary>Not attempted: another worker holds it, it already succeeded, or the retry limit is reached.</summary>
    Skipped,
}

/// <summary>What happened to one date.</summary>
public sealed record UnitOutcome(DateOnly Date, UnitOutcomeKind Kind, string Message)
{
    public string? FilePath { get; init; }

    public string? FileSha256 { get; init; }

    public long Rows { get; init; }

    public long FileBytes { get; init; }

    public int SubUnits { get; init; }

    public int SubUnitsResumed { get; init; }

    public long ApiRequests { get; init; }

    public TimeSpan Duration { get; init; }

    public double? QualityScore { get; init; }

    public long DuplicatesDropped { get; init; }

    public long RejectedRows { get; init; }

    public string? ErrorType { get; init; }
}
