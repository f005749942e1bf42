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

    /// <summary>The output root: a full local path, or an object store's URI (<c>s3://bucket/prefix</c>) as given.</summary>
    public string OutputDirectory => Backfill.Storage.Outputs.OutputStores.IsRemote(Text(Settings.OutputDirectory))
        ? Text(Settings.OutputDirectory)
        : Path.GetFullPath(Text(Settings.OutputDirectory));

    /// <summary>How to reach S3 for <c>s3://</c> outputs and Crypto Lake: the <c>s3.*</c> settings, else the standard AWS variables.</summary>
    public Backfill.ObjectStorage.S3ConnectionOptions S3Connection
    {
        get
        {
            var fallback = Backfill.ObjectStorage.S3ConnectionOptions.FromEnvironment();
            var endpoint = _values.TryGetValue(Settings.S3Endpoint, out var e) && e.Value is { Length: > 0 } url ? new Uri(url) : fallback.Endpoint;
            var region = _values.TryGetValue(Settings.S3Region, out var r) && r.Value is { Length: > 0 } name ? name : fallback.Region;
            var pathStyle = _values.TryGetValue(Settings.S3ForcePathStyle, out var p) && p.Source != SettingSource.Default && p.Value is { } style
                ? style == "true"
                : fallback.ForcePathStyle;
            return new Backfill.ObjectStorage.S3ConnectionOptions(endpoint, region, pathStyle);
        }
    }

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
