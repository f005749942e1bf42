using System.Globalization;
using Backfill.Core.Errors;

namespace Backfill.Engine.Configuration;

/// <summary>Validated settings with typed accessors.</summary>
public sealed class EffectiveSettings
{
    private readonly Dictionary<string, ResolvedSetting> _values;

    public EffectiveSettings(IEnumerable<ResolvedSetting> values)
    {
        _values = values.ToDictionary(v => v.Key, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyCollection<ResolvedSetting> All => _values.Values;

    public DateOnly? StartDate => _values[Settings.StartDate].Value is { } s
        ? DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture)
        : null;

    public string OutputDirectory => Path.GetFullPath(Text(Settings.OutputDirectory));

    public string TempDirectory => Path.GetFullPath(Text(Settings.TempDirectory));

    public int MaxConcurrentDates => Int(Settings.MaxConcurrentDates);

    public int RetryLimit => Int(Settings.RetryLimit);

    public TimeSpan SecondPassDelay => TimeSpan.FromSeconds(Int(Settings.SecondPassDelaySeconds));

    public string DatabasePath => Path.GetFullPath(Text(Settings.DatabasePath));

    /// <summary>The start date, or a message telling how to set it.</summary>
    public DateOnly RequireStartDate() => StartDate ?? throw new InvalidInputException(
        $"{Settings.StartDate} is not set, so Backfill does not know where history starts. " +
        $"Run: backfill config set {Settings.StartDate} 2020-01-02 (or pass --from).");

    /// <summary>A key's effective value and origin; an unknown key is refused with the list command to run.</summary>
    public ResolvedSetting Get(string key) => _values.TryGetValue(key?.Trim() ?? string.Empty, out var value)
        ? value
        : throw new InvalidInputException($"Unknown configuration key '{Backfill.Core.Time.DateInput.Printable(key ?? string.Empty)}'. Run 'backfill config get' to list every key.");

    /// <summary>A key's value, which must be set.</summary>
    public string Text(string key) => Get(key).Value ?? throw new InvalidInputException($"{key} is not set.");

    /// <summary>A whole-number key's value (validated when resolved).</summary>
    public int Int(string key) => int.Parse(Text(key), CultureInfo.InvariantCulture);
}
