namespace Backfill.Engine.Processing;

/// <summary>
/// Live counters of one date in flight, written by the engine and read by the progress display (which polls it;
/// the engine never waits for the display).
/// </summary>
public sealed class UnitProgress(DateOnly date)
{
    private readonly object _gate = new();
    private readonly HashSet<string> _inFlight = new(StringComparer.Ordinal);
    private long _rows;
    private int _subUnitsDone;
    private string _phase = "starting";

    public DateOnly Date { get; } = date;

    public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

    public int SubUnitsTotal { get; private set; }

    public int SubUnitsDone => Volatile.Read(ref _subUnitsDone);

    /// <summary>Sub-units that were already complete when this run started (resumed work).</summary>
    public int SubUnitsResumed { get; private set; }

    public long Rows => Interlocked.Read(ref _rows);

    public string Phase
    {
        get { lock (_gate) { return _phase; } }
        set { lock (_gate) { _phase = value; } }
    }

    /// <summary>Expirations being fetched right now.</summary>
    public IReadOnlyList<string> InFlight
    {
        get { lock (_gate) { return [.. _inFlight.Order(StringComparer.Ordinal)]; } }
    }

    public double Fraction => SubUnitsTotal == 0 ? 0 : (double)SubUnitsDone / SubUnitsTotal;

    public void Plan(int total, int resumed)
    {
        SubUnitsTotal = total;
        SubUnitsResumed = resumed;
        Volatile.Write(ref _subUnitsDone, resumed);
    }

    public void Begin(string subUnit)
    {
        lock (_gate)
        {
            _inFlight.Add(subUnit);
        }
    }

    public void End(string subUnit, bool completed)
    {
        lock (_gate)
        {
            _inFlight.Remove(subUnit);
        }

        if (completed)
        {
            Interlocked.Increment(ref _subUnitsDone);
        }
    }

    public void AddRows(long rows) => Interlocked.Add(ref _rows, rows);
}
