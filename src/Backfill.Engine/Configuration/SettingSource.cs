namespace Backfill.Engine.Configuration;

/// <summary>Where an effective value came from, strongest first.</summary>
public enum SettingSource
{
    Flag,
    Environment,

    /// <summary>A file of values named by another setting (fop's YAML strategy file, <c>fop.strategyFile</c>).</summary>
    File,
    Stored,
    Default,
    Unset,
}

/// <summary>An effective value and its origin.</summary>
public sealed record ResolvedSetting(SettingDefinition Definition, string? Value, SettingSource Source, string? Problem)
{
    public string Key => Definition.Key;

    /// <summary>For <see cref="SettingSource.File"/>: the setting naming the file the value came from.</summary>
    public string? FileKey { get; init; }

    /// <summary>The value as it may be printed: passwords in database URLs are masked.</summary>
    public string? Shown => Value is null ? null : Definition.Kind switch
    {
        SettingKind.DatabaseUrl => Backfill.Ledger.Postgres.PostgresUrl.MaskPasswords(Value),
        SettingKind.Secret => SecretSetting.Describe(Value),
        SettingKind.SecretUrl => SecretUrl.Mask(Value),
        _ => Value,
    };
}
