using Backfill.Engine.Processing;
using System.Collections.Concurrent;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;

namespace Backfill.Engine.Datasets.Spx;

/// <summary>
/// Collects what a source reports during one expiration's requests: rejected rows (counted, a few reasons kept)
/// and attempts the source retried itself (queued, then written to the error log by the engine). Also the attempt
/// count of the whole logical request, shared by the source's retries and the engine's restarts, so that both
/// layers together stay within the retry table.
/// </summary>
internal sealed class RequestObserver : ISourceRequestObserver
{
    private readonly List<string> _samples = [];
    private readonly ConcurrentQueue<(BackfillException Error, int Attempt)> _retries = new();
    private long _count;
    private int _attempts;

    public long RejectedCount => Interlocked.Read(ref _count);

    public IReadOnlyList<string> Samples
    {
        get { lock (_samples) { return [.. _samples]; } }
    }

    public void OnRejected(RejectedRow row)
    {
        Interlocked.Increment(ref _count);
        lock (_samples)
        {
            if (_samples.Count < 5)
            {
                _samples.Add($"row {row.RowNumber}: {row.Reason}");
            }
        }
    }

    /// <summary>Failed attempts so far (the source's retried ones and those the engine saw fail).</summary>
    public int PriorAttempts => Volatile.Read(ref _attempts);

    public void OnRetrying(BackfillException error, int attempt)
    {
        _retries.Enqueue((error, attempt));
        AttemptFailed(attempt);
    }

    /// <summary>Counts attempt <paramref name="attempt"/> (0-based) as failed.</summary>
    public void AttemptFailed(int attempt)
    {
        int seen;
        do
        {
            seen = Volatile.Read(ref _attempts);
        }
        while (seen < attempt + 1 && Interlocked.CompareExchange(ref _attempts, attempt + 1, seen) != seen);
    }

    /// <summary>Retries reported since the last call.</summary>
    public IReadOnlyList<(BackfillException Error, int Attempt)> DrainRetries()
    {
        var list = new List<(BackfillException, int)>();
        while (_retries.TryDequeue(out var item))
        {
            list.Add(item);
        }

        return list;
    }
}
