namespace Backfill.Engine.Processing;

/// <summary>
/// Processes many dates with bounded concurrency. One date's failure never stops the others; a stop request
/// lets dates in flight reach a resumable point and starts no new ones.
/// </summary>
public sealed class RangeRunner(IUnitProcessor processor, int maxConcurrentDates)
{
    public async Task<IReadOnlyList<UnitOutcome>> RunAsync(
        IReadOnlyList<DateOnly> dates, IProcessingObserver? observer, CancellationToken stop, CancellationToken abort)
    {
        ArgumentNullException.ThrowIfNull(dates);
        var outcomes = new UnitOutcome?[dates.Count];
        using var gate = new SemaphoreSlim(Math.Max(1, maxConcurrentDates));
        var tasks = new List<Task>();
        for (var i = 0; i < dates.Count; i++)
        {
            if (stop.IsCancellationRequested)
            {
                break;
            }

            try
            {
                await gate.WaitAsync(stop);
            }
            catch (OperationCanceledException) when (!abort.IsCancellationRequested)
            {
                break;
            }

            var index = i;
            tasks.Add(Task.Run(async () =>
            {
                var progress = new UnitProgress(dates[index]);
                try
                {
                    observer?.UnitStarted(progress);
                    var outcome = await processor.ProcessAsync(dates[index], progress, stop, abort);
                    outcomes[index] = outcome;
                    observer?.UnitFinished(progress, outcome);
                }
                finally
                {
                    gate.Release();
                }
            }, CancellationToken.None));
        }

        await Task.WhenAll(tasks);
        var result = new List<UnitOutcome>(dates.Count);
        for (var i = 0; i < dates.Count; i++)
        {
            result.Add(outcomes[i] ?? new UnitOutcome(dates[i], UnitOutcomeKind.Interrupted, "not started: stop requested"));
        }

        return result;
    }
}
