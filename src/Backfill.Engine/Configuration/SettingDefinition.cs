namespace Backfill.Engine.Configuration;

/// <summary>One known configuration key: its type, default, limits and help.</summary>
/// <param name="Key">Dotted name, e.g. <c>thetadata.baseUrl</c>.</param>
/// <param name="Default">Value when nothing else sets it; null = no default (required where used).</param>
/// <param name="Optional">May stay unset (no default, not required).</param>
/// <param name="Bootstrap">Read before the ledger is opened, so it cannot be stored in the ledger.</param>
/// <param name="Check">For <see cref="SettingKind.Custom"/>: the owner's check, given the trimmed text; returns the
/// normalised value or throws <see cref="Core.Errors.InvalidInputException"/> naming the key and the fix.</param>
/// <param name="LoadValues">For a file setting whose file holds values of other keys (fop's strategy file): reads the
/// file into key → text; those values rank between environment variables and stored values.</param>
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
    bool Optional = false,
    Func<string, string>? Check = null,
    Func<string, IReadOnlyDictionary<string, string>>? LoadValues = null)
{
    /// <summary>The environment variable that overrides the key: <c>BACKFILL_THETADATA_BASEURL</c>.</summary>
    public string EnvironmentVariable => "BACKFILL_" + Key.Replace('.', '_').ToUpperInvariant();
}
