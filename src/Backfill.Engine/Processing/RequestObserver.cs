using System.Collections.Concurrent;
using Backfill.Core.Datasets;
using Backfill.Core.Errors;

namespace Backfill.Engine.Processing;

/// <summary>
/// Collects what a source reports during one expiration's requests: rejected rows (counted, a few reasons kept)
/// and attempts the source retried itself (queued, then written to the error log by the engine).
/// </summary>
internal sealed class RequestObserver : ISourceRequestObserver
{
    private readonly List<string> _samples = [];
    private readonly ConcurrentQueue<(BackfillException Error, int Attempt)> _retries = new();
    private long _count;

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

    public void OnRetrying(BackfillException error, int attempt) => _retries.Enqueue((error, attempt));

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
