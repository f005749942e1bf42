namespace Backfill.Engine.Configuration;

/// <summary>How a setting's text is checked.</summary>
public enum SettingKind
{
    HttpUrl,
    Date,
    PositiveInt,
    NonNegativeInt,
    Choice,
    WritableDirectory,
    FilePath,

    /// <summary>A decimal number from 0 to 1 (deltas, tolerances, rates).</summary>
    Fraction,

    /// <summary>A <c>postgres://</c> URL that may hold a password: shown masked, never in full.</summary>
    DatabaseUrl,

    /// <summary>A comma-separated list of ticker symbols, each checked with the strict ticker rule.</summary>
    SymbolList,

    /// <summary>A credential: stored encrypted with the ohlcv key store (<see cref="SecretSetting"/>), always shown masked.</summary>
    Secret,
}
