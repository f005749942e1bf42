namespace Backfill.Sources.ThetaData.Greeks;

/// <summary>
/// A vendor of option greeks, as the engine sees it. Implementations map every failure to a
/// <see cref="Backfill.Core.Errors.BackfillException"/> and retry transient ones themselves before the first row is yielded.
/// </summary>
public interface IOptionGreeksSource
{
    /// <summary>Short name for logs and the ledger, e.g. <c>thetadata-v2</c>.</summary>
    string Name { get; }

    /// <summary>Counters since the source was created.</summary>
    OptionSourceStats Stats { get; }

    /// <summary>Every expiration the vendor knows for <paramref name="root"/>, ascending.</summary>
    Task<IReadOnlyList<DateOnly>> ListExpirationsAsync(string root, CancellationToken cancellationToken);

    /// <summary>
    /// <see cref="ListExpirationsAsync(string, CancellationToken)"/>, telling <paramref name="observer"/> about the
    /// attempts the source retries itself (so that the caller can log them).
    /// </summary>
    Task<IReadOnlyList<DateOnly>> ListExpirationsAsync(string root, ISourceRequestObserver? observer, CancellationToken cancellationToken) =>
        ListExpirationsAsync(root, cancellationToken);

    /// <summary>
    /// The expirations of each root that had a contract quoted (or traded) on <paramref name="date"/>, from the vendor's
    /// contract listing of that date: the only expirations worth a greeks request. Null when the source has no such
    /// listing; an empty root means nothing of it was quoted.
    /// </summary>
    Task<IReadOnlyDictionary<string, IReadOnlyList<DateOnly>>?> ListQuotedExpirationsAsync(
        IReadOnlyList<string> roots, DateOnly date, ISourceRequestObserver? observer, CancellationToken cancellationToken) =>
        Task.FromResult<IReadOnlyDictionary<string, IReadOnlyList<DateOnly>>?>(null);

    /// <summary>
    /// All contracts of one root and expiration on one trade date at one interval. Rows that fail validation go to
    /// <paramref name="rejected"/> and are not yielded; the stream goes on. A failure after the first row was
    /// yielded propagates: the caller restarts the whole request.
    /// </summary>
    IAsyncEnumerable<OptionGreeksRow> StreamGreeksAsync(
        OptionGreeksRequest request, ISourceRequestObserver? rejected, CancellationToken cancellationToken);

    /// <summary>Whether the vendor (or its local terminal) answers, for <c>health</c>. Never throws for a down source.</summary>
    Task<SourceHealth> CheckTerminalAsync(CancellationToken cancellationToken);
}

/// <param name="IntervalMs">Interval between rows in milliseconds (60 000 = one minute).</param>
public sealed record OptionGreeksRequest(string Root, DateOnly Expiration, DateOnly TradeDate, int IntervalMs = 60_000);

/// <summary>
/// Told what happens inside one request: rows that failed validation (wrong field count, wrong types,
/// out-of-range values), and attempts that failed and will be retried by the source itself.
/// </summary>
public interface ISourceRequestObserver
{
    void OnRejected(RejectedRow row);

    /// <summary>An attempt failed and the source retries it (the final failure is thrown, not reported here).</summary>
    /// <param name="attempt">0-based attempt that failed.</param>
    void OnRetrying(Backfill.Core.Errors.BackfillException error, int attempt)
    {
    }

    /// <summary>
    /// Attempts of this logical request the caller already made and saw fail (it restarts a request that broke
    /// after the first row). A source numbers its own attempts from here, so that the caller's and the source's
    /// retries together never exceed what the retry table allows for the error kind.
    /// </summary>
    int PriorAttempts => 0;
}

/// <param name="RowNumber">1-based position of the row in the response stream (across pages).</param>
/// <param name="Reason">What was wrong, e.g. "bid 2.5 > ask 1.5".</param>
public readonly record struct RejectedRow(long RowNumber, string Reason);

/// <param name="Reachable">The source answered at all.</param>
/// <param name="Version">API or terminal version, when the source says.</param>
/// <param name="Detail">One line for the user: what answered, or why not and what to do.</param>
public sealed record SourceHealth(bool Reachable, string? Version, string Detail);

/// <summary>Thread-safe counters of one source instance.</summary>
public sealed class OptionSourceStats
{
    private long _requests;
    private long _bytes;
    private long _rows;
    private long _rejectedRows;
    private long _retries;

    /// <summary>HTTP requests sent, pages and retries included.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Response body bytes read.</summary>
    public long Bytes => Interlocked.Read(ref _bytes);

    /// <summary>Valid rows yielded.</summary>
    public long Rows => Interlocked.Read(ref _rows);

    public long RejectedRows => Interlocked.Read(ref _rejectedRows);

    public long Retries => Interlocked.Read(ref _retries);

    public void AddRequest() => Interlocked.Increment(ref _requests);

    public void AddBytes(long bytes) => Interlocked.Add(ref _bytes, bytes);

    public void AddRows(long rows) => Interlocked.Add(ref _rows, rows);

    public void AddRejected() => Interlocked.Increment(ref _rejectedRows);

    public void AddRetry() => Interlocked.Increment(ref _retries);
}
