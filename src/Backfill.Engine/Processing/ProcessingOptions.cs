using Backfill.Core.Errors;

namespace Backfill.Engine.Processing;

/// <summary>Everything one run of the engine needs to know, resolved from settings and flags.</summary>
public sealed record ProcessingOptions
{
    public required string Dataset { get; init; }

    public required string OutputDirectory { get; init; }

    public required string TempDirectory { get; init; }

    /// <summary>Dates processed at once by ranges.</summary>
    public int MaxConcurrentDates { get; init; } = 1;

    /// <summary>How long a claim lasts without renewal; renewed every third of it.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary>Retries of a whole sub-unit after a failure mid-stream.</summary>
    public RetryPolicyTable Retry { get; init; } = RetryPolicyTable.Default;

    /// <summary>Attempts a date may take before it needs --force.</summary>
    public int RetryLimit { get; init; } = 5;

    /// <summary>
    /// How long a date waits, after a sub-unit ran out of its transient retries, before its second pass over what is
    /// not done yet (scaled like the retry table's delays); null: no second pass.
    /// </summary>
    public TimeSpan? SecondPassDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Reprocess dates that already succeeded (forced retry).</summary>
    public bool AllowSuccessful { get; init; }

    /// <summary>Ignore the retry limit (forced retry).</summary>
    public bool IgnoreRetryLimit { get; init; }

    /// <summary>How to reach S3 when the output is an <c>s3://</c> location; null: the standard AWS variables.</summary>
    public Backfill.ObjectStorage.S3ConnectionOptions? S3 { get; init; }

    /// <summary>The options the shared settings describe for <paramref name="dataset"/>.</summary>
    public static ProcessingOptions From(Configuration.EffectiveSettings settings, string dataset, RetryPolicyTable retry)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return new ProcessingOptions
        {
            Dataset = dataset,
            OutputDirectory = settings.OutputDirectory,
            TempDirectory = settings.TempDirectory,
            MaxConcurrentDates = settings.MaxConcurrentDates,
            RetryLimit = settings.RetryLimit,
            SecondPassDelay = settings.SecondPassDelay,
            Retry = retry,
            S3 = settings.S3Connection with { Retry = retry },
        };
    }
}
