using System.Collections.Frozen;

namespace Backfill.Core.Errors;

/// <summary>
/// Retry behaviour as data: one <see cref="RetryPolicy"/> per <see cref="ErrorKind"/>. The defaults are the
/// product requirements' table; tests and benchmarks scale the delays down with <see cref="WithDelayScale"/>.
/// </summary>
public sealed class RetryPolicyTable
{
    private readonly FrozenDictionary<ErrorKind, RetryPolicy> _policies;
    private readonly double _delayScale;

    public RetryPolicyTable(IReadOnlyDictionary<ErrorKind, RetryPolicy> policies)
        : this(policies, 1.0)
    {
    }

    private RetryPolicyTable(IReadOnlyDictionary<ErrorKind, RetryPolicy> policies, double delayScale)
    {
        ArgumentNullException.ThrowIfNull(policies);
        foreach (var kind in Enum.GetValues<ErrorKind>())
        {
            if (!policies.ContainsKey(kind))
            {
                throw new ArgumentException($"The retry table has no policy for {kind}.", nameof(policies));
            }
        }

        foreach (var (kind, policy) in policies)
        {
            if (policy.MaxAttempts < 1)
            {
                throw new ArgumentException($"The retry policy for {kind} must allow at least one attempt.", nameof(policies));
            }
        }

        _policies = policies.ToFrozenDictionary();
        _delayScale = delayScale;
    }

    /// <summary>
    /// The product table. The PRD writes its policies as retries after the first attempt (<c>Schedule.recurs(n)</c>),
    /// so its counts are n + 1 attempts: rate limited 4 honouring Retry-After; connection 6, 1 s..30 s; terminal down
    /// 4, 5 s..60 s; everything else that may pass on a second try (server errors, malformed bodies) 3. No data is
    /// recorded, not retried; corruption, disk, permission, large request, invalid request and a gone API never retried.
    /// </summary>
    public static RetryPolicyTable Default { get; } = new(new Dictionary<ErrorKind, RetryPolicy>
    {
        [ErrorKind.RateLimited] = new(4, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60), HonorRetryAfter: true),
        [ErrorKind.ConnectionFailed] = new(6, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30)),
        [ErrorKind.TerminalNotRunning] = new(4, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(60)),
        [ErrorKind.NoData] = new(1, TimeSpan.Zero, TimeSpan.Zero, CountsAsFailure: false),
        [ErrorKind.InvalidResponse] = new(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)),
        [ErrorKind.PermissionDenied] = new(1, TimeSpan.Zero, TimeSpan.Zero),
        [ErrorKind.LargeRequest] = new(1, TimeSpan.Zero, TimeSpan.Zero),
        [ErrorKind.InvalidRequest] = new(1, TimeSpan.Zero, TimeSpan.Zero),
        [ErrorKind.ApiVersionGone] = new(1, TimeSpan.Zero, TimeSpan.Zero),
        [ErrorKind.FileCorruption] = new(1, TimeSpan.Zero, TimeSpan.Zero),
        [ErrorKind.InsufficientDisk] = new(1, TimeSpan.Zero, TimeSpan.Zero),
        [ErrorKind.ServerError] = new(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)),
        [ErrorKind.Unknown] = new(3, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)),
        [ErrorKind.QuotaExhausted] = new(1, TimeSpan.Zero, TimeSpan.Zero),
    });

    public RetryPolicy For(ErrorKind kind) => _policies[kind];

    /// <summary>The largest number of attempts any kind allows (the outer bound a retry loop needs).</summary>
    public int MaxAttemptsOverall => _policies.Values.Max(p => p.MaxAttempts);

    /// <summary>
    /// The same table with every delay, Retry-After included, multiplied by <paramref name="scale"/>
    /// (0 = no waiting). For tests, benchmarks and the demo; never for a real vendor.
    /// </summary>
    public RetryPolicyTable WithDelayScale(double scale)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(scale);
        return new RetryPolicyTable(_policies, scale);
    }

    /// <summary><paramref name="delay"/> scaled as this table scales its own delays (the cool-down before a date's second pass).</summary>
    public TimeSpan Scaled(TimeSpan delay) => _delayScale == 1.0 ? delay : TimeSpan.FromTicks((long)(delay.Ticks * _delayScale));

    /// <summary>The same table with one kind's policy replaced.</summary>
    public RetryPolicyTable With(ErrorKind kind, RetryPolicy policy)
    {
        var copy = _policies.ToDictionary(p => p.Key, p => p.Value);
        copy[kind] = policy;
        return new RetryPolicyTable(copy, _delayScale);
    }

    /// <summary>Whether a failure of <paramref name="kind"/> on attempt <paramref name="attempt"/> (0-based) is retried.</summary>
    public bool ShouldRetry(ErrorKind kind, int attempt) => For(kind).AllowsRetryAfterAttempt(attempt);

    /// <summary>The delay before the retry that follows <paramref name="attempt"/> (0-based), scaled.</summary>
    public TimeSpan DelayBeforeRetry(ErrorKind kind, int attempt, TimeSpan? retryAfter, double jitterFraction)
    {
        var delay = For(kind).DelayBeforeRetry(attempt, retryAfter, jitterFraction);
        return _delayScale == 1.0 ? delay : TimeSpan.FromTicks((long)(delay.Ticks * _delayScale));
    }
}
