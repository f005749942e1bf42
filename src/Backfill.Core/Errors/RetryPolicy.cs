namespace Backfill.Core.Errors;

/// <summary>How one kind of error is retried. A policy with <see cref="MaxAttempts"/> 1 is never retried.</summary>
/// <param name="MaxAttempts">Total attempts including the first one.</param>
/// <param name="BaseDelay">Delay before the first retry; doubles on each further retry.</param>
/// <param name="MaxDelay">Upper bound of one delay.</param>
/// <param name="HonorRetryAfter">Wait at least what the source asked (Retry-After) before retrying.</param>
/// <param name="CountsAsFailure">False for outcomes that are recorded but do not fail the unit (no data).</param>
public sealed record RetryPolicy(
    int MaxAttempts,
    TimeSpan BaseDelay,
    TimeSpan MaxDelay,
    bool HonorRetryAfter = false,
    bool CountsAsFailure = true)
{
    public bool IsRetryable => MaxAttempts > 1;

    /// <summary>Whether a failure on <paramref name="attempt"/> (0-based) may be followed by another try.</summary>
    public bool AllowsRetryAfterAttempt(int attempt) => attempt + 1 < MaxAttempts;

    /// <summary>
    /// Delay before the retry that follows <paramref name="attempt"/> (0-based): exponential from
    /// <see cref="BaseDelay"/>, capped by <see cref="MaxDelay"/>, never shorter than a Retry-After the
    /// source gave, with up to 20 % jitter so that parallel workers do not retry in lock step.
    /// </summary>
    public TimeSpan DelayBeforeRetry(int attempt, TimeSpan? retryAfter, double jitterFraction)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(attempt);
        var exponential = BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        var capped = Math.Min(exponential, MaxDelay.TotalMilliseconds);
        var jittered = capped * (1 + (0.2 * Math.Clamp(jitterFraction, 0, 1)));
        var delay = TimeSpan.FromMilliseconds(jittered);
        if (HonorRetryAfter && retryAfter is { } asked && asked > delay)
        {
            delay = asked;
        }

        return delay;
    }
}
