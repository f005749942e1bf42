namespace Backfill.Engine.Processing;

/// <summary>Told when dates start and finish (the progress display, logs, metrics).</summary>
public interface IProcessingObserver
{
    void UnitStarted(UnitProgress progress);

    void UnitFinished(UnitProgress progress, UnitOutcome outcome);
}
