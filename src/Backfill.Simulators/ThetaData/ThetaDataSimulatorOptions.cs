namespace Backfill.Simulators.ThetaData;

/// <summary>How the ThetaData terminal simulator behaves. Data is generated from <see cref="Seed"/> and the date.</summary>
public sealed record ThetaDataSimulatorOptions
{
    /// <summary>Seed of every generated number (spot path, volatility); the same seed gives the same bytes.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>1.0 = real size (thousands of contracts per day); 0.01 keeps a few expirations and strikes for tests.</summary>
    public double Scale { get; init; } = 1.0;

    /// <summary>Ticks per v2 page (the terminal's HTTP_TICK_LIM); larger responses get a <c>next_page</c>.</summary>
    public int TickLimit { get; init; } = 1_000_000;

    public bool ServeV2 { get; init; } = true;

    public bool ServeV3 { get; init; } = true;

    /// <summary>Answer every v2 request with 410 Gone, as newer terminals do.</summary>
    public bool V2Gone { get; init; }

    public ThetaFaultOptions Faults { get; init; } = new();

    /// <summary>Delay before the status line of every response.</summary>
    public TimeSpan FirstByteDelay { get; init; } = TimeSpan.Zero;

    /// <summary>Serve the contract listings of a date (v2 and v3); false answers them 471 PERMISSION, as a tier without them.</summary>
    public bool ContractListing { get; init; } = true;

    /// <summary>A per-request time to first byte and a bandwidth limit, both deterministic; none by default.</summary>
    public ThetaLatencyOptions Latency { get; init; } = ThetaLatencyOptions.None;

    /// <summary>How the simulator waits (for <see cref="Latency"/> and <see cref="FirstByteDelay"/>); tests replace it to record waits instead of sleeping.</summary>
    public Func<TimeSpan, CancellationToken, Task> Delay { get; init; } = static (delay, ct) => Task.Delay(delay, ct);
}

/// <summary>
/// Simulated network and terminal latency: each request waits a time to first byte drawn from a log-normal around
/// <see cref="FirstByteMedian"/> (a pure function of <see cref="Seed"/> and the request's path and query, so the same
/// request always waits the same), then its body is paced at <see cref="BytesPerSecond"/>.
/// </summary>
public sealed record ThetaLatencyOptions
{
    /// <summary>No latency at all.</summary>
    public static ThetaLatencyOptions None { get; } = new();

    /// <summary>
    /// A terminal reached over the internet: 150 ms median to the first byte and 25 MB/s per response. These are
    /// assumptions for benchmarks, not vendor measurements.
    /// </summary>
    public static ThetaLatencyOptions Realistic { get; } = new() { FirstByteMedian = TimeSpan.FromMilliseconds(150), BytesPerSecond = 25_000_000 };

    /// <summary>Median time to first byte; zero for none.</summary>
    public TimeSpan FirstByteMedian { get; init; }

    /// <summary>Log-normal sigma of the time to first byte; the draw is clamped to a quarter and four times the median.</summary>
    public double FirstByteSpread { get; init; } = 0.5;

    /// <summary>Response body bandwidth in bytes per second; zero for unlimited.</summary>
    public double BytesPerSecond { get; init; }

    public int Seed { get; init; } = 13;

    public bool IsNone => FirstByteMedian <= TimeSpan.Zero && BytesPerSecond <= 0;

    /// <summary>The time to first byte of a request (path and query; page ids are left out, they depend on the order of requests).</summary>
    public TimeSpan FirstByteFor(string path, string query)
    {
        if (FirstByteMedian <= TimeSpan.Zero)
        {
            return TimeSpan.Zero;
        }

        var key = path.Contains("/page/", StringComparison.Ordinal) ? "page" : path + query;
        var rng = new SimRandom(SimRandom.Hash(Seed, (long)SimRandom.HashString(key)));
        var factor = Math.Clamp(Math.Exp(FirstByteSpread * rng.NextNormal()), 0.25, 4.0);
        return TimeSpan.FromTicks((long)(FirstByteMedian.Ticks * factor));
    }

    /// <summary>How long <paramref name="bytes"/> take at <see cref="BytesPerSecond"/>.</summary>
    public TimeSpan TransferTime(long bytes) =>
        BytesPerSecond <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)(bytes * TimeSpan.TicksPerSecond / BytesPerSecond));
}

/// <summary>Seeded fault injection: each request is faulted with <see cref="Probability"/>, with a kind picked from <see cref="Kinds"/>.</summary>
public sealed record ThetaFaultOptions
{
    public double Probability { get; init; }

    public IReadOnlyList<ThetaFaultKind> Kinds { get; init; } = [];

    public int Seed { get; init; } = 7;
}

public enum ThetaFaultKind
{
    RateLimit429,
    Disconnected474,
    ServerStarting571,
    LargeRequest570,
    ServerError500,
    SlowFirstByte,
    ResetMidBody,
    TruncatedJson,
    MalformedRows,
    Gone410,
}
