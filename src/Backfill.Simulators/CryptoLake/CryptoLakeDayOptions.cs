namespace Backfill.Simulators.CryptoLake;

/// <summary>The kinds of fault the Crypto Lake simulator can inject.</summary>
public enum CryptoLakeFaultKind
{
    /// <summary>A file listed but answered with 404.</summary>
    MissingFile,

    /// <summary>A file body cut short (Content-Length promises more).</summary>
    TruncatedBody,

    /// <summary>A file answered after a delay.</summary>
    Slow,

    /// <summary>One book_delta_v2 message left out of the day (the book snapshots still include it).</summary>
    SequenceGap,

    /// <summary>A few rows with a null, NaN or negative value.</summary>
    MalformedRows,
}

/// <summary>What one simulated day looks like. The same options and date always give the same bytes.</summary>
public sealed record CryptoLakeDayOptions
{
    public int Seed { get; init; } = 1;

    public string Exchange { get; init; } = "BINANCE";

    public string Symbol { get; init; } = "BTC-USDT";

    /// <summary>Depth messages per second (Binance depth@100ms: 10). Scales the day's size.</summary>
    public double MessagesPerSecond { get; init; } = 10;

    /// <summary>Seconds between <c>book</c> snapshots.</summary>
    public int SnapshotIntervalSeconds { get; init; } = 60;

    /// <summary>Data faults written into the day (<see cref="CryptoLakeFaultKind.SequenceGap"/>, <see cref="CryptoLakeFaultKind.MalformedRows"/>).</summary>
    public IReadOnlySet<CryptoLakeFaultKind> DataFaults { get; init; } = new HashSet<CryptoLakeFaultKind>();
}
