using Backfill.Core.Calendars;
using Backfill.Engine.Configuration;

namespace Backfill.Engine.Datasets;

/// <summary>
/// Datasets of one kind that differ by one key the settings list (the <c>options</c> family: one dataset per option root,
/// <c>options/SPY</c>, <c>options/QQQ</c>, from <c>options.roots</c>). Each member is an ordinary <see cref="IDataset"/>
/// named <c>{family}/{key}</c>, which is also its ledger key and its output folder, so every shared command works on
/// members unchanged; the family only says which members there are. Registered beside the datasets in
/// <see cref="DatasetRegistry"/>.
/// </summary>
public interface IDatasetFamily
{
    /// <summary>Command-line name (<c>--dataset options</c>); members are named <c>{Name}/{key}</c>.</summary>
    string Name { get; }

    string Description { get; }

    /// <summary>The vendor and API the data comes from, for help.</summary>
    string Source { get; }

    /// <summary>The calendar every member's units follow.</summary>
    ITradingCalendar Calendar { get; }

    /// <summary>What tells members apart (<c>root</c>): the word in messages, and the command-line option <c>--{MemberNoun}</c>.</summary>
    string MemberNoun { get; }

    /// <summary>The setting listing the members (<c>options.roots</c>).</summary>
    string MembersSetting { get; }

    /// <summary>The settings the members read (shared keys such as <c>thetadata.*</c> are the same definitions other datasets declare).</summary>
    IReadOnlyList<SettingDefinition> Settings { get; }

    /// <summary>The member keys the settings list, in their order; empty when the list is not set.</summary>
    IReadOnlyList<string> MemberKeys(EffectiveSettings settings);

    /// <summary>The member for <paramref name="key"/> (configured or not).</summary>
    /// <exception cref="Core.Errors.InvalidInputException">The key is not a valid member key; the message names it and the fix.</exception>
    IDataset Member(string key);

    /// <summary>A run against the family's simulator for <c>demo</c>, or null.</summary>
    IDatasetDemo? Demo { get; }
}
