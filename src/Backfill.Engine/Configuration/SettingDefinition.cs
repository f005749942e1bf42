namespace Backfill.Engine.Configuration;

/// <summary>One known configuration key: its type, default, limits and help.</summary>
/// <param name="Key">Dotted name, e.g. <c>thetadata.baseUrl</c>.</param>
/// <param name="Default">Value when nothing else sets it; null = no default (required where used).</param>
/// <param name="Optional">May stay unset (no default, not required).</param>
/// <param name="Bootstrap">Read before the ledger is opened, so it cannot be stored in the ledger.</param>
public sealed record SettingDefinition(
    string Key,
    SettingKind Kind,
    string? Default,
    string Description,
    string Example,
    int Min = 1,
    int Max = int.MaxValue,
    IReadOnlyList<string>? Choices = null,
    bool Bootstrap = false,
    bool Optional = false)
{
    /// <summary>The environment variable that overrides the key: <c>BACKFILL_THETADATA_BASEURL</c>.</summary>
    public string EnvironmentVariable => "BACKFILL_" + Key.Replace('.', '_').ToUpperInvariant();
}
