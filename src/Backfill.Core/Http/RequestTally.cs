using System.Collections.Concurrent;
using System.Globalization;
using Backfill.Core.Errors;

namespace Backfill.Core.Http;

/// <summary>
/// What one unit's vendor requests came to: requests, response bytes read, time from sending to the end of the body,
/// HTTP statuses, and the retries the clients made. The engine opens one per unit (<see cref="Begin"/>); every vendor
/// client sends through a <see cref="MeteringHandler"/>, which records into the tally of the unit whose code sent the
/// request (an async-local value, so dates running side by side each count their own). No dataset or client names it.
/// </summary>
public sealed class RequestTally(TimeProvider time)
{
    private static readonly AsyncLocal<RequestTally?> Ambient = new();

    private readonly ConcurrentDictionary<string, int> _statuses = new(StringComparer.Ordinal);
    private long _requests;
    private long _bytes;
    private long _elapsedTicks;
    private int _retries;

    /// <summary>The tally of the unit this code runs for, or null outside a unit.</summary>
    public static RequestTally? Current => Ambient.Value;

    /// <summary>Called on each retry a client makes: the error, the 0-based attempt that failed, the delay before the next.</summary>
    public event Action<BackfillException, int, TimeSpan>? Retrying;

    public TimeProvider Time { get; } = time;

    public long Requests => Interlocked.Read(ref _requests);

    public long Bytes => Interlocked.Read(ref _bytes);

    public TimeSpan Elapsed => TimeSpan.FromTicks(Interlocked.Read(ref _elapsedTicks));

    public int Retries => Volatile.Read(ref _retries);

    /// <summary>Responses by HTTP status (<c>200</c>, <c>429</c>) and requests that got none (<c>none</c>).</summary>
    public IReadOnlyDictionary<string, int> Statuses => new SortedDictionary<string, int>(_statuses, StringComparer.Ordinal);

    /// <summary>The statuses as <c>200:12 429:1</c>, or <c>-</c> when there were no requests.</summary>
    public string StatusSummary => _statuses.IsEmpty ? "-"
        : string.Join(' ', Statuses.Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key}:{s.Value}")));

    /// <summary>Makes <paramref name="tally"/> the current one for the code that follows (and what it starts) until disposed.</summary>
    public static IDisposable Begin(RequestTally tally)
    {
        var previous = Ambient.Value;
        Ambient.Value = tally;
        return new Restore(previous);
    }

    /// <summary>Reports a retry to the current unit's tally, if any.</summary>
    public static void ReportRetry(BackfillException error, int attempt, TimeSpan delay)
    {
        if (Current is { } tally)
        {
            Interlocked.Increment(ref tally._retries);
            tally.Retrying?.Invoke(error, attempt, delay);
        }
    }

    internal void Sent() => Interlocked.Increment(ref _requests);

    internal void Answered(int? status) => _statuses.AddOrUpdate(status?.ToString(CultureInfo.InvariantCulture) ?? "none", 1, (_, n) => n + 1);

    internal void Read(long bytes) => Interlocked.Add(ref _bytes, bytes);

    internal void Took(TimeSpan elapsed) => Interlocked.Add(ref _elapsedTicks, elapsed.Ticks);

    private sealed class Restore(RequestTally? previous) : IDisposable
    {
        public void Dispose() => Ambient.Value = previous;
    }
}
