namespace Backfill.Ledger.Model;

/// <summary>Where a unit of work (dataset, trading date) stands. Stored by lower-case name.</summary>
public enum UnitStatus
{
    /// <summary>Planned but not started.</summary>
    Queued,

    /// <summary>Claimed by a live worker (its lease has not expired).</summary>
    Processing,

    /// <summary>Output written, checksummed and recorded.</summary>
    Success,

    /// <summary>The last attempt failed.</summary>
    Failed,

    /// <summary>A worker stopped (Ctrl-C, <c>backfill stop</c>, crash) before finishing; resumable.</summary>
    Interrupted,
}

public static class UnitStatusNames
{
    public static string ToDb(this UnitStatus status) => status switch
    {
        UnitStatus.Queued => "queued",
        UnitStatus.Processing => "processing",
        UnitStatus.Success => "success",
        UnitStatus.Failed => "failed",
        UnitStatus.Interrupted => "interrupted",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static UnitStatus FromDb(string value) => value switch
    {
        "queued" => UnitStatus.Queued,
        "processing" => UnitStatus.Processing,
        "success" => UnitStatus.Success,
        "failed" => UnitStatus.Failed,
        "interrupted" => UnitStatus.Interrupted,
        _ => throw new InvalidDataException($"Unknown unit status '{value}' in the ledger."),
    };
}
