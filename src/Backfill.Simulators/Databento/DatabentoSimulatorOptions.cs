namespace Backfill.Simulators.Databento;

/// <summary>How the Databento historical API simulator behaves. Data depends only on <see cref="Seed"/> and the date.</summary>
public sealed record DatabentoSimulatorOptions
{
    public int Seed { get; init; } = 1;

    /// <summary>Strike spacing of the simulated OH chains in $/gal (CME lists $0.01-$0.05 steps; 0.05 keeps ~110 strikes).</summary>
    public decimal StrikeStep { get; init; } = 0.05m;

    /// <summary>When set, requests must authenticate with this key (basic-auth user); otherwise any non-empty key passes.</summary>
    public string? RequiredApiKey { get; init; }

    /// <summary>Last date with data (exclusive end of availability); later ends get 422 data_end_after_available_end.</summary>
    public DateOnly? AvailableEnd { get; init; }

    public DatabentoFaultOptions Faults { get; init; } = new();
}

/// <summary>Seeded fault injection: each data request is faulted with <see cref="Probability"/>, kind picked from <see cref="Kinds"/>.</summary>
public sealed record DatabentoFaultOptions
{
    public double Probability { get; init; }

    public IReadOnlyList<DatabentoFaultKind> Kinds { get; init; } = [];

    public int Seed { get; init; } = 7;
}

public enum DatabentoFaultKind
{
    /// <summary>429 with <c>Retry-After: 1</c>.</summary>
    RateLimit429,

    /// <summary>500 with a JSON detail.</summary>
    ServerError500,

    /// <summary>503 gateway overloaded.</summary>
    Unavailable503,

    /// <summary>The body stops half-way and the connection is aborted.</summary>
    ResetMidBody,

    /// <summary>A 200 whose body is not DBN.</summary>
    CorruptBody,
}
