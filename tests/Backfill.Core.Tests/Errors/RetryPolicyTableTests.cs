using Backfill.Core.Errors;

namespace Backfill.Core.Tests.Errors;

public sealed class RetryPolicyTableTests
{
    [Theory]
    [InlineData(ErrorKind.RateLimited, 4)]
    [InlineData(ErrorKind.ConnectionFailed, 6)]
    [InlineData(ErrorKind.TerminalNotRunning, 4)]
    [InlineData(ErrorKind.Unknown, 3)]
    [InlineData(ErrorKind.ServerError, 3)]
    [InlineData(ErrorKind.InvalidResponse, 3)]
    public void Default_table_follows_the_product_requirements(ErrorKind kind, int attempts)
    {
        Assert.Equal(attempts, RetryPolicyTable.Default.For(kind).MaxAttempts);
    }

    [Theory]
    [InlineData(ErrorKind.NoData)]
    [InlineData(ErrorKind.PermissionDenied)]
    [InlineData(ErrorKind.LargeRequest)]
    [InlineData(ErrorKind.InvalidRequest)]
    [InlineData(ErrorKind.ApiVersionGone)]
    [InlineData(ErrorKind.FileCorruption)]
    [InlineData(ErrorKind.InsufficientDisk)]
    public void Permanent_errors_are_never_retried(ErrorKind kind)
    {
        Assert.False(RetryPolicyTable.Default.ShouldRetry(kind, 0));
    }

    [Fact]
    public void No_data_does_not_fail_the_unit()
    {
        Assert.False(RetryPolicyTable.Default.For(ErrorKind.NoData).CountsAsFailure);
    }

    [Fact]
    public void Connection_delays_grow_exponentially_up_to_thirty_seconds()
    {
        var table = RetryPolicyTable.Default;
        Assert.Equal(TimeSpan.FromSeconds(1), table.DelayBeforeRetry(ErrorKind.ConnectionFailed, 0, null, 0));
        Assert.Equal(TimeSpan.FromSeconds(2), table.DelayBeforeRetry(ErrorKind.ConnectionFailed, 1, null, 0));
        Assert.Equal(TimeSpan.FromSeconds(8), table.DelayBeforeRetry(ErrorKind.ConnectionFailed, 3, null, 0));
        Assert.Equal(TimeSpan.FromSeconds(30), table.DelayBeforeRetry(ErrorKind.ConnectionFailed, 10, null, 0));
    }

    [Fact]
    public void Rate_limit_waits_at_least_the_retry_after_the_source_gave()
    {
        var delay = RetryPolicyTable.Default.DelayBeforeRetry(ErrorKind.RateLimited, 0, TimeSpan.FromSeconds(45), 0);
        Assert.Equal(TimeSpan.FromSeconds(45), delay);
    }

    [Fact]
    public void Jitter_adds_at_most_twenty_percent()
    {
        var delay = RetryPolicyTable.Default.DelayBeforeRetry(ErrorKind.ConnectionFailed, 2, null, 1.0);
        Assert.Equal(TimeSpan.FromSeconds(4.8), delay);
    }

    [Fact]
    public void Delay_scale_shrinks_every_wait_including_retry_after()
    {
        var table = RetryPolicyTable.Default.WithDelayScale(0.001);
        Assert.Equal(TimeSpan.FromMilliseconds(45), table.DelayBeforeRetry(ErrorKind.RateLimited, 0, TimeSpan.FromSeconds(45), 0));
    }

    [Fact]
    public async Task Pipeline_retries_transient_errors_as_many_times_as_the_table_allows()
    {
        var pipeline = RetryPipeline.Create(RetryPolicyTable.Default.WithDelayScale(0));
        var calls = 0;
        await Assert.ThrowsAsync<ConnectionFailedException>(async () =>
            await pipeline.ExecuteAsync(_ =>
            {
                calls++;
                throw new ConnectionFailedException("reset");
            }, TestContext.Current.CancellationToken));
        Assert.Equal(6, calls);
    }

    [Fact]
    public async Task Pipeline_does_not_retry_permanent_errors()
    {
        var pipeline = RetryPipeline.Create(RetryPolicyTable.Default.WithDelayScale(0));
        var calls = 0;
        await Assert.ThrowsAsync<PermissionDeniedException>(async () =>
            await pipeline.ExecuteAsync(_ =>
            {
                calls++;
                throw new PermissionDeniedException("no entitlement");
            }, TestContext.Current.CancellationToken));
        Assert.Equal(1, calls);
    }

    [Fact]
    public async Task Pipeline_reports_each_retry_with_its_attempt_number()
    {
        var seen = new List<(ErrorKind, int)>();
        var pipeline = RetryPipeline.Create(
            RetryPolicyTable.Default.WithDelayScale(0),
            (e, attempt, _) =>
            {
                seen.Add((e.Kind, attempt));
                return ValueTask.CompletedTask;
            });
        var calls = 0;
        var result = await pipeline.ExecuteAsync(_ =>
        {
            calls++;
            return calls < 3 ? throw new RateLimitedException("slow down") : ValueTask.FromResult(42);
        }, TestContext.Current.CancellationToken);
        Assert.Equal(42, result);
        Assert.Equal([(ErrorKind.RateLimited, 0), (ErrorKind.RateLimited, 1)], seen);
    }
}
