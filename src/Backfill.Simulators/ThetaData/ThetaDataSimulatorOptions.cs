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
