using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets;
using Backfill.Ledger.Model;
using Backfill.Storage.Outputs;

namespace Backfill.Engine.Processing;

/// <summary>
/// Everything one processing command needs for a dataset: its options, its output store, its producer (and vendor
/// client, built by the dataset), and the engine's lifecycle around them. Disposing it releases the vendor client.
/// </summary>
public sealed class ProcessingSession : IAsyncDisposable
{
    private readonly IUnitProducer _producer;

    private ProcessingSession(ProcessingOptions options, IOutputStore output, IUnitProducer producer, IUnitProcessor processor)
    {
        Options = options;
        Output = output;
        _producer = producer;
        Processor = processor;
    }

    public ProcessingOptions Options { get; }

    public IOutputStore Output { get; }

    /// <summary>The lifecycle to hand to a scheduler (<see cref="RangeRunner"/>, <see cref="UnitWorker"/>).</summary>
    public IUnitProcessor Processor { get; }

    /// <summary>
    /// Checks the dataset's settings, opens the output store, builds the producer and lets it prepare for the dates of
    /// this run that are not done yet.
    /// </summary>
    /// <exception cref="InvalidInputException">A setting the dataset needs is missing or the output location is not supported.</exception>
    public static async Task<ProcessingSession> OpenAsync(
        IDataset dataset, DatasetHost host, EffectiveSettings settings, ProcessingOptions options, IReadOnlyList<DateOnly> dates, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dates);
        if (dataset.CheckSettings(settings) is { Count: > 0 } problems)
        {
            throw new InvalidInputException(string.Join(Environment.NewLine, problems));
        }

        var output = EnginePaths.OutputStore(options);

        // A bucket that refuses our credentials stops the run here, with one clear message, before any date is claimed.
        await output.CheckAccessAsync(cancellationToken);
        var producer = await dataset.CreateProducerAsync(host, settings, options, cancellationToken);
        try
        {
            var done = dates.Count == 0 || options.AllowSuccessful ? []
                : (await host.Ledger.ListUnitsAsync(dataset.Name, dates.Min(), dates.Max(), UnitStatus.Success, cancellationToken)).Select(u => u.TradeDate).ToHashSet();
            await producer.PrepareAsync([.. dates.Where(d => !done.Contains(d))], cancellationToken);
            return new ProcessingSession(options, output, producer, new UnitLifecycle(host.Ledger, producer, output, options, host.Time,
                log: host.Loggers?.CreateLogger(UnitLog.Category)));
        }
        catch
        {
            await producer.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync() => _producer.DisposeAsync();
}
