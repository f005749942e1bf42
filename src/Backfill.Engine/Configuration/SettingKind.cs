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

    /// <summary>crypto-book: where Crypto Lake is read: an http(s) URL or a local mirror folder (s3:// is refused with the way around).</summary>
    LakeLocation,

    /// <summary>crypto-book: a Crypto Lake exchange name (BINANCE).</summary>
    LakeExchange,

    /// <summary>crypto-book: a Crypto Lake symbol (BTC-USDT).</summary>
    LakeSymbol,

    /// <summary>A positive decimal step (a price tick or size lot), at most 1000.</summary>
    GridStep,

    /// <summary>A comma-separated subset of <see cref="SettingDefinition.Choices"/>; <c>none</c> alone means the empty set.</summary>
    ChoiceList,

    /// <summary>A credential: stored encrypted with the ohlcv key store (<see cref="SecretSetting"/>), always shown masked.</summary>
    Secret,
}
