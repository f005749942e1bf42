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

    /// <summary>
    /// The dataset's backfill range (start date to the latest complete session) with its totals, and every day of one
    /// year of it (null: the range's last year) with its state; the counts agree with <c>gaps</c> and <c>status</c>.
    /// </summary>
    Task<object> YearAsync(string? dataset, int? year, CancellationToken cancellationToken);

    /// <summary>Whether the server can serve: the ledger (reachable, schema current), the output store and disk.</summary>
    Task<Readiness> ReadinessAsync(CancellationToken cancellationToken);
}
