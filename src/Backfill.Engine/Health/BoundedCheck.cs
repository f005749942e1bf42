using System.Diagnostics;

namespace Backfill.Engine.Health;

/// <summary>What a check bounded in time found: its verdict, or that it gave no answer in time.</summary>
/// <param name="TimedOut">True when the check had not answered within the bound; <see cref="Level"/> is then Fail.</param>
public sealed record BoundedResult(HealthLevel Level, string Detail, bool TimedOut, TimeSpan Elapsed)
{
    /// <summary>ok, warn, fail, or timeout.</summary>
    public string State => TimedOut ? "timeout" : HealthReport.Name(Level);
}

/// <summary>
/// Runs a check under a time limit. The limit also holds for a check that ignores its token (a request stuck in a
/// connect, a hung file system call): the caller gets "timeout" and the check is left to finish on its own.
/// </summary>
public static class BoundedCheck
{
    public static async Task<BoundedResult> RunAsync(
        Func<CancellationToken, Task<(HealthLevel Level, string Detail)>> check, TimeSpan limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(check);
        var watch = Stopwatch.StartNew();
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(limit);
        try
        {
            var (level, detail) = await Task.Run(() => check(cts.Token), CancellationToken.None).WaitAsync(limit, cancellationToken);
            return new BoundedResult(level, detail, false, watch.Elapsed);
        }
        catch (Exception e) when (e is TimeoutException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return new BoundedResult(HealthLevel.Fail, $"no answer within {limit.TotalSeconds:0.###} s.", true, watch.Elapsed);
        }
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
        {
            return new BoundedResult(HealthLevel.Fail, e.Message, false, watch.Elapsed);
        }
    }
}
