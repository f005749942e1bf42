using Backfill.Core.Errors;

namespace Backfill.Engine.Processing;

/// <summary>Everything one run of the engine needs to know, resolved from settings and flags.</summary>
public sealed record ProcessingOptions
{
    public required string Dataset { get; init; }

    public required string OutputDirectory { get; init; }

    public required string TempDirectory { get; init; }

    /// <summary>Greeks interval in milliseconds.</summary>
    public int IntervalMs { get; init; } = 60_000;

    /// <summary>Only expirations at most this many days after the trade date; 0 = all.</summary>
    public int MaxDte { get; init; }

    /// <summary>Expirations fetched at once within one date.</summary>
    public int MaxConcurrentSubUnits { get; init; } = 4;

    /// <summary>Dates processed at once by ranges.</summary>
    public int MaxConcurrentDates { get; init; } = 1;

    /// <summary>How long a claim lasts without renewal; renewed every third of it.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Retries of a whole expiration after a failure mid-stream.</summary>
    public RetryPolicyTable Retry { get; init; } = RetryPolicyTable.Default;

    /// <summary>Attempts a date may take before it needs --force.</summary>
    public int RetryLimit { get; init; } = 5;

    /// <summary>Reprocess dates that already succeeded (forced retry).</summary>
    public bool AllowSuccessful { get; init; }

    /// <summary>Ignore the retry limit (forced retry).</summary>
    public bool IgnoreRetryLimit { get; init; }

    /// <summary>Roots fetched for each date, in output order.</summary>
    public IReadOnlyList<string> Roots { get; init; } = ["SPX", "SPXW"];

    /// <summary>Rows a day is assumed to hold before any day was processed (disk estimate).</summary>
    public long DefaultRowsPerDay { get; init; } = 10_000_000;
}
