using Polly;
using Polly.Retry;

namespace Backfill.Core.Errors;

/// <summary>Builds a Polly pipeline that retries <see cref="BackfillException"/>s as the table says.</summary>
public static class RetryPipeline
{
    /// <param name="table">Per-kind policies.</param>
    /// <param name="onRetry">Called before each retry with the error and the 0-based attempt that failed
    /// (the engine records it in <c>error_log</c>).</param>
    /// <param name="random">Source of jitter; pass a seeded one for reproducible runs.</param>
    public static ResiliencePipeline Create(
        RetryPolicyTable table,
        Func<BackfillException, int, TimeSpan, ValueTask>? onRetry = null,
        Random? random = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        var jitter = random ?? Random.Shared;
        var options = new RetryStrategyOptions
        {
            MaxRetryAttempts = Math.Max(1, table.MaxAttemptsOverall - 1),
            ShouldHandle = args => ValueTask.FromResult(
                args.Outcome.Exception is BackfillException e && table.ShouldRetry(e.Kind, args.AttemptNumber)),
            DelayGenerator = args =>
            {
                var e = (BackfillException)args.Outcome.Exception!;
                var retryAfter = (e as RateLimitedException)?.RetryAfter;
                double fraction;
                lock (jitter)
                {
                    fraction = jitter.NextDouble();
                }

                return ValueTask.FromResult<TimeSpan?>(table.DelayBeforeRetry(e.Kind, args.AttemptNumber, retryAfter, fraction));
            },
            OnRetry = args =>
            {
                var error = (BackfillException)args.Outcome.Exception!;
                Http.RequestTally.ReportRetry(error, args.AttemptNumber, args.RetryDelay);
                return onRetry is null ? ValueTask.CompletedTask : onRetry(error, args.AttemptNumber, args.RetryDelay);
            },
            UseJitter = false,
            BackoffType = DelayBackoffType.Constant,
        };
        return new ResiliencePipelineBuilder().AddRetry(options).Build();
    }
}
