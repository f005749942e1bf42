namespace Backfill.Engine.Processing;

/// <summary>Processes one unit of work (one trading date) of a dataset; <see cref="RangeRunner"/> runs many.</summary>
public interface IUnitProcessor
{
    /// <param name="stop">Graceful stop: finish what is in flight, leave the unit resumable.</param>
    /// <param name="abort">Hard stop.</param>
    Task<UnitOutcome> ProcessAsync(DateOnly date, UnitProgress progress, CancellationToken stop, CancellationToken abort);
}
