namespace Backfill.Operations.Server;

/// <summary>
/// The JSON the status page reads, per dataset (null = the default one). The engine answers from the ledger; the
/// server only serves it. An unknown dataset or a bad range throws <see cref="Core.Errors.InvalidInputException"/>.
/// </summary>
public interface IStatusSource
{
    Task<object> StatusAsync(string? dataset, CancellationToken cancellationToken);

    Task<object> HistoryAsync(string? dataset, int limit, CancellationToken cancellationToken);

    Task<object> GapsAsync(string? dataset, string? from, string? to, CancellationToken cancellationToken);

    Task<object> ThroughputAsync(string? dataset, int limit, CancellationToken cancellationToken);
}
