using Backfill.Core.Telemetry;

namespace Backfill.Engine.Processing;

/// <summary>Records each unit's outcome (count, duration, rows, bytes, rows/s) as metrics, then tells <paramref name="inner"/>.</summary>
public sealed class UnitMetricsObserver(string dataset, IProcessingObserver? inner) : IProcessingObserver
{
    public void UnitStarted(UnitProgress progress) => inner?.UnitStarted(progress);

    public void UnitFinished(UnitProgress progress, UnitOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        var name = outcome.Kind switch
        {
            UnitOutcomeKind.Success => "done",
            UnitOutcomeKind.Failed => "failed",
            UnitOutcomeKind.Interrupted => "interrupted",
            _ => "skipped",
        };
        BackfillMetrics.UnitFinished(dataset, name, outcome.Duration, outcome.Rows, outcome.FileBytes, outcome.ErrorType);
        inner?.UnitFinished(progress, outcome);
    }
}
