using System.Collections.Concurrent;

namespace Backfill.Simulators.ThetaData;

/// <summary>What the simulator served: requests per path, faults per kind, rows, and the peak of concurrent requests.</summary>
public sealed class ThetaSimulatorStats
{
    private readonly ConcurrentDictionary<string, long> _requestsPerPath = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<ThetaFaultKind, long> _faultsPerKind = new();
    private readonly ConcurrentDictionary<ThetaFaultKind, long> _deliveredPerKind = new();
    private long _rowsServed;
    private long _latencyTicks;
    private int _inFlight;
    private int _peakInFlight;

    public IReadOnlyDictionary<string, long> RequestsPerPath => _requestsPerPath;

    public IReadOnlyDictionary<ThetaFaultKind, long> FaultsPerKind => _faultsPerKind;

    public long RowsServed => Interlocked.Read(ref _rowsServed);

    public long TotalRequests => _requestsPerPath.Values.Sum();

    public int PeakConcurrentRequests => Volatile.Read(ref _peakInFlight);

    /// <summary>The simulated latency waited so far, summed over requests (time to first byte and bandwidth pacing).</summary>
    public TimeSpan LatencyAdded => TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks));

    public long Requests(string path) => _requestsPerPath.TryGetValue(path, out var n) ? n : 0;

    /// <summary>Requests picked for a fault of <paramref name="kind"/>.</summary>
    public long Faults(ThetaFaultKind kind) => _faultsPerKind.TryGetValue(kind, out var n) ? n : 0;

    /// <summary>
    /// Faults that reached the client: a picked body fault (cut, truncated, malformed rows) is only delivered
    /// when the request has a body to spoil; a request that answers 472 NO_DATA, for one, is sent as usual.
    /// </summary>
    public long FaultsDelivered(ThetaFaultKind kind) => _deliveredPerKind.TryGetValue(kind, out var n) ? n : 0;

    public IReadOnlyDictionary<ThetaFaultKind, long> FaultsDeliveredPerKind => _deliveredPerKind;

    internal void CountRequest(string path) => _requestsPerPath.AddOrUpdate(path, 1, (_, n) => n + 1);

    internal void CountFault(ThetaFaultKind kind) => _faultsPerKind.AddOrUpdate(kind, 1, (_, n) => n + 1);

    internal void CountDelivered(ThetaFaultKind kind) => _deliveredPerKind.AddOrUpdate(kind, 1, (_, n) => n + 1);

    internal void AddRows(long rows) => Interlocked.Add(ref _rowsServed, rows);

    internal void AddLatency(TimeSpan wait) => Interlocked.Add(ref _latencyTicks, wait.Ticks);

    internal void Enter()
    {
        var now = Interlocked.Increment(ref _inFlight);
        var peak = Volatile.Read(ref _peakInFlight);
        while (now > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peakInFlight, now, peak);
            if (seen == peak)
            {
                break;
            }

            peak = seen;
        }
    }

    internal void Exit() => Interlocked.Decrement(ref _inFlight);
}
