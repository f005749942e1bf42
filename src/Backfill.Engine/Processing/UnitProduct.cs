using Backfill.Storage.Outputs;

namespace Backfill.Engine.Processing;

/// <summary>
/// What a producer made of one date: the published output and what the ledger records about it, or an interruption
/// (stopped with work left; the date stays resumable).
/// </summary>
public sealed record UnitProduct
{
    /// <summary>The published output the ledger points to (null only when interrupted).</summary>
    public StoredObject? Output { get; init; }

    /// <summary>SHA-256 of the rows (independent of the file's encoding or encryption), as the file's metadata holds it.</summary>
    public string? ContentSha256 { get; init; }

    public long Rows { get; init; }

    public int SubUnits { get; init; }

    public int SubUnitsResumed { get; init; }

    public double? QualityScore { get; init; }

    public long DuplicatesDropped { get; init; }

    public long RejectedRows { get; init; }

    /// <summary>One line for the summary: what the date holds.</summary>
    public string Message { get; init; } = string.Empty;

    /// <summary>The dataset's own metrics of the date (name, value, unit); the lifecycle adds rows, duration, bytes, quality and requests.</summary>
    public IReadOnlyList<(string Name, double Value, string Unit)> Metrics { get; init; } = [];

    /// <summary>Runs once the ledger records the date as done (drop staging, write per-day metric files).</summary>
    public Func<Task>? AfterCompleted { get; init; }

    /// <summary>Why the date stopped short, for the ledger; null for a finished date.</summary>
    public string? InterruptedReason { get; init; }

    public bool IsInterrupted => InterruptedReason is not null;

    /// <summary>A date stopped with work left: the ledger marks it interrupted, the summary shows <paramref name="message"/>.</summary>
    public static UnitProduct Interrupted(string reason, string message, int subUnits = 0, int resumed = 0) =>
        new() { InterruptedReason = reason, Message = message, SubUnits = subUnits, SubUnitsResumed = resumed };
}
