namespace Backfill.Engine.Gaps;

/// <summary>Why a trading session has no verified output.</summary>
public enum GapCategory
{
    /// <summary>No attempt was ever made.</summary>
    NeverAttempted,

    /// <summary>Attempts failed; retrying may help.</summary>
    Failed,

    /// <summary>Attempts failed in a way retrying will not fix (permission, bad request) or the retry limit is reached.</summary>
    FailedPermanent,

    /// <summary>A worker stopped part way (Ctrl-C, crash); resumes from its completed sub-units.</summary>
    Interrupted,

    /// <summary>The ledger says success but the file is gone from the output tree.</summary>
    MissingOutput,

    /// <summary>Removed on purpose by retention (<c>cleanup --older-than</c>); never processed again by <c>process-gaps</c>.</summary>
    Pruned,
}

/// <summary>How a category is written in reports, JSON and metric labels.</summary>
public static class GapCategoryNames
{
    public static string Name(GapCategory category) => category switch
    {
        GapCategory.NeverAttempted => "never-attempted",
        GapCategory.Failed => "failed",
        GapCategory.FailedPermanent => "failed-permanent",
        GapCategory.Interrupted => "interrupted",
        GapCategory.MissingOutput => "missing-output",
        GapCategory.Pruned => "pruned",
        _ => category.ToString(),
    };
}

/// <summary>One trading session that lacks verified output.</summary>
public sealed record Gap(
    DateOnly Date,
    GapCategory Category,
    int Attempts,
    string? LastErrorType,
    string? LastErrorMessage,
    int SubUnitsDone,
    int? SubUnitsTotal,
    double Priority);

/// <summary>The gaps of a dataset over a range, highest priority first.</summary>
public sealed record GapReport(
    string Dataset,
    string Calendar,
    DateOnly From,
    DateOnly To,
    int Sessions,
    int Succeeded,
    int InProgress,
    IReadOnlyList<Gap> Gaps)
{
    public int Count(GapCategory category) => Gaps.Count(g => g.Category == category);
}
