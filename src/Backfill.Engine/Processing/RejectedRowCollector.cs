using Backfill.Core.Datasets;

namespace Backfill.Engine.Processing;

/// <summary>Counts rows the source rejected and keeps a few reasons for the error log.</summary>
internal sealed class RejectedRowCollector : IRejectedRowSink
{
    private readonly List<string> _samples = [];
    private long _count;

    public long Count => Interlocked.Read(ref _count);

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
}
