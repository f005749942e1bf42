namespace Backfill.Simulators.AlphaVantage;

public enum AlphaVantageFaultKind
{
    /// <summary>HTTP 200 with the "1 request per second" <c>Information</c> body.</summary>
    BurstLimit,

    /// <summary>HTTP 200 with the legacy "5 calls per minute" <c>Note</c> body.</summary>
    LegacyPerMinuteNote,

    /// <summary>HTTP 503 with an HTML body.</summary>
    Unavailable503,
}

public sealed record AlphaVantageFaultOptions
{
    public double Probability { get; init; }

    public IReadOnlyList<AlphaVantageFaultKind> Kinds { get; init; } = [];

    public int Seed { get; init; } = 7;
}

public sealed record AlphaVantageSimulatorOptions
{
    public int Seed { get; init; } = 1;

    /// <summary>The last date with a bar (the simulated "today").</summary>
    public DateOnly Today { get; init; } = new(2025, 6, 30);

    /// <summary>Symbols the simulated vendor knows; others get "Invalid API call".</summary>
    public IReadOnlyList<string> Symbols { get; init; } = ["AAPL", "MSFT", "IBM", "TSLA", "BRK.B", "SPY", "KO"];

    /// <summary>When false the key is a free key: <c>outputsize=full</c> and the adjusted function answer the premium notices.</summary>
    public bool Premium { get; init; } = true;

    /// <summary>Requests a key may make (per simulator lifetime) before the daily-limit body; null = no limit.</summary>
    public int? DailyLimit { get; init; }

    public AlphaVantageFaultOptions Faults { get; init; } = new();
}
