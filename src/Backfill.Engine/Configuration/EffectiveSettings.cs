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

    public Uri ThetaBaseUrl => new(Text(Settings.ThetaBaseUrl));

    public string ThetaApiVersion => Text(Settings.ThetaApiVersion);

    public int ThetaMaxConcurrentRequests => Int(Settings.ThetaMaxConcurrentRequests);

    public TimeSpan ThetaRequestTimeout => TimeSpan.FromSeconds(Int(Settings.ThetaRequestTimeoutSeconds));

    public DateOnly? StartDate => _values[Settings.StartDate].Value is { } s
        ? DateOnly.ParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture)
        : null;

    public string OutputDirectory => Path.GetFullPath(Text(Settings.OutputDirectory));

    public string TempDirectory => Path.GetFullPath(Text(Settings.TempDirectory));

    public int MaxConcurrentDates => Int(Settings.MaxConcurrentDates);

    public int IntervalMs => Int(Settings.IntervalMs);

    public int MaxDte => Int(Settings.MaxDte);

    public int RetryLimit => Int(Settings.RetryLimit);

    public string DatabasePath => Path.GetFullPath(Text(Settings.DatabasePath));

    /// <summary>The start date, or a message telling how to set it.</summary>
    public DateOnly RequireStartDate() => StartDate ?? throw new InvalidInputException(
        $"{Settings.StartDate} is not set, so Backfill does not know where history starts. " +
        $"Run: backfill config set {Settings.StartDate} 2020-01-02 (or pass --from).");

    public ResolvedSetting Get(string key) => _values[Settings.Get(key).Key];

    private string Text(string key) => _values[key].Value ?? throw new InvalidInputException($"{key} is not set.");

    private int Int(string key) => int.Parse(Text(key), CultureInfo.InvariantCulture);
}
