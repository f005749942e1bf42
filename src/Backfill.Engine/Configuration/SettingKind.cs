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

    /// <summary>A positive decimal step (a price tick or size lot), at most 1000.</summary>
    GridStep,

    /// <summary>A comma-separated subset of <see cref="SettingDefinition.Choices"/>; <c>none</c> alone means the empty set.</summary>
    ChoiceList,

    /// <summary>A credential: stored encrypted by the dataset that owns it (<see cref="SecretSetting"/>), always shown masked.</summary>
    Secret,

    /// <summary>
    /// An http(s) URL whose path and query are a credential (an incoming webhook): never stored in the ledger, shown as
    /// <c>scheme://host/***</c>.
    /// </summary>
    SecretUrl,

    /// <summary>Checked by the owning dataset (<see cref="SettingDefinition.Check"/>): vendor symbols, vendor locations.</summary>
    Custom,
}
