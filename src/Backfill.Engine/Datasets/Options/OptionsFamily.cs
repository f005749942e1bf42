using System.Collections.Concurrent;
using Backfill.Core.Calendars;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets.Spx;
using Backfill.Storage.Layout;

namespace Backfill.Engine.Datasets.Options;

/// <summary>
/// <c>options</c>: ThetaData option greeks for any root, one dataset per root (<c>options/SPY</c>): its own ledger rows,
/// gaps, retries and one file per NYSE trading date, <c>options/SPY/YYYY/MM/DD/spy-options-YYYY-MM-DD.parquet</c>. Each
/// member is the spx dataset's code (<see cref="SpxDataset"/>) with one root, its own name and layout: the same schema,
/// sort order, checksums and verification.
/// </summary>
public sealed class OptionsFamily : IDatasetFamily
{
    public const string FamilyName = "options";

    private readonly ConcurrentDictionary<string, IDataset> _members = new(StringComparer.Ordinal);

    public string Name => FamilyName;

    public string Description => "option greeks of any ThetaData root (options.roots), 1-minute, one dataset and one file per root and trading date";

    public string Source => "ThetaData terminal (API v2/v3)";

    public ITradingCalendar Calendar => NyseCalendar.Instance;

    public string MemberNoun => "root";

    public string MembersSetting => OptionsSettings.Roots;

    public IReadOnlyList<SettingDefinition> Settings => OptionsSettings.All;

    public IReadOnlyList<string> MemberKeys(EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return OptionsSettings.Parse(settings.Get(OptionsSettings.Roots).Value);
    }

    public IDataset Member(string key) => _members.GetOrAdd(OptionRoot.Check(key, "--" + MemberNoun), Create);

    /// <summary><c>options/SPY/YYYY/MM/DD/spy-options-YYYY-MM-DD.parquet</c>.</summary>
    public static OutputLayout LayoutOf(string root) => new($"{FamilyName}/{root}", $"{root.ToLowerInvariant()}-options", OutputLayout.Parquet);

    public IDatasetDemo? Demo { get; } = new SpxDataset.SpxDemo(
        "SPY and QQQ days (2024-06-12) against the embedded ThetaData simulator, one file per root (--scale 0.05: a quick one)",
        [$"{OptionsSettings.Roots}=SPY,QQQ"], $"backfill --dataset {FamilyName}");

    private static SpxDataset Create(string root) => new(
        $"{FamilyName}/{root}", $"{root} option greeks, 1-minute, one file per trading date", LayoutOf(root), [root], OptionsSettings.All, demo: null);
}
