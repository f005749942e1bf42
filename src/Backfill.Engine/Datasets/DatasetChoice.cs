using Backfill.Core.Calendars;
using Backfill.Core.Errors;
using Backfill.Engine.Configuration;

namespace Backfill.Engine.Datasets;

/// <summary>
/// What <c>--dataset</c> named: one dataset (<see cref="Dataset"/> set; <see cref="Family"/> also set when it is a
/// family's member, <c>options/SPY</c>), or a whole family (<see cref="Dataset"/> null: <c>options</c>, whose members come
/// from the settings). Commands that work on several datasets ask it which (<see cref="Select"/>).
/// </summary>
public sealed record DatasetChoice(IDataset? Dataset, IDatasetFamily? Family)
{
    /// <summary>The name as <c>--dataset</c> takes it.</summary>
    public string Name => Dataset?.Name ?? Family!.Name;

    /// <summary>True when the choice is a whole family: output shows which member each row is of.</summary>
    public bool IsFamily => Dataset is null;

    public ITradingCalendar Calendar => Dataset?.Calendar ?? Family!.Calendar;

    public IDatasetDemo? Demo => Dataset is null ? Family!.Demo : Dataset.Demo;

    /// <summary>The settings the choice reads beyond the shared ones.</summary>
    public IReadOnlyList<SettingDefinition> Settings => Dataset?.Settings ?? Family!.Settings;

    /// <summary>What stops the choice from processing with these settings (a family with no members listed), each naming the fix.</summary>
    public IReadOnlyList<string> CheckSettings(EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (Dataset is not null)
        {
            return Dataset.CheckSettings(settings);
        }

        return Family!.MemberKeys(settings).Count == 0 ? [NoMembers(Family)] : [];
    }

    /// <summary>
    /// The datasets to work on: this one, or the family's members the settings list, narrowed to <paramref name="keys"/>
    /// (<c>--root</c>, each value a key or a comma list; none: all). Refuses, naming the value and the fix, a key for a
    /// dataset that has no members, a key the settings do not list, and a family with none listed.
    /// </summary>
    /// <param name="settings">Needed for a whole family only.</param>
    public IReadOnlyList<IDataset> Select(EffectiveSettings? settings, IReadOnlyList<string>? keys, string option = "--root")
    {
        var asked = (keys ?? []).SelectMany(k => k.Split(',')).Select(k => k.Trim()).ToList();
        if (Family is null)
        {
            return asked.Count > 0
                ? throw new InvalidInputException($"{option}: the {Name} dataset has no {option.TrimStart('-')}s. Leave {option} out, or choose a dataset that has them (--dataset options).")
                : [Dataset!];
        }

        if (Dataset is not null)
        {
            return asked.Count > 0
                ? throw new InvalidInputException($"{option}: --dataset {Dataset.Name} already names one {Family.MemberNoun}. Give either --dataset {Family.Name} {option} {string.Join(",", asked)} or --dataset {Dataset.Name}.")
                : [Dataset];
        }

        ArgumentNullException.ThrowIfNull(settings);
        var configured = Family.MemberKeys(settings);
        if (configured.Count == 0)
        {
            throw new InvalidInputException(NoMembers(Family));
        }

        if (asked.Count == 0)
        {
            return [.. configured.Select(Family.Member)];
        }

        var chosen = new List<IDataset>();
        foreach (var key in asked)
        {
            var member = Family.Member(key);
            if (!configured.Contains(key, StringComparer.Ordinal))
            {
                throw new InvalidInputException(
                    $"{option} {key}: not in {Family.MembersSetting} ({string.Join(",", configured)}). Add it first: backfill config set {Family.MembersSetting} {string.Join(",", [.. configured, key])}");
            }

            if (!chosen.Contains(member))
            {
                chosen.Add(member);
            }
        }

        return chosen;
    }

    private static string NoMembers(IDatasetFamily family) =>
        $"{family.MembersSetting} is not set, so the {family.Name} dataset has no {family.MemberNoun}s to work on. Set them: backfill config set {family.MembersSetting} SPY,QQQ (or --set {family.MembersSetting}=SPY,QQQ).";
}
