using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets.CryptoBook;
using Backfill.Engine.Datasets.Fop;
using Backfill.Engine.Datasets.Ohlcv;
using Backfill.Engine.Datasets.Options;
using Backfill.Engine.Datasets.Spx;

namespace Backfill.Engine.Datasets;

/// <summary>
/// The datasets this build knows, by name, and every setting key they bring. Adding a dataset is one line in
/// <see cref="Default"/> (or <see cref="With"/> for a host that brings its own, as the tests do). A family
/// (<see cref="IDatasetFamily"/>) is registered beside them: its members are named <c>{family}/{key}</c> and are found
/// by <see cref="Get"/> like any dataset; which members there are depends on the settings (<see cref="Expand"/>).
/// </summary>
public sealed class DatasetRegistry
{
    /// <summary>The dataset used when <c>--dataset</c> is not given.</summary>
    public const string DefaultName = SpxDataset.DatasetName;

    private readonly Dictionary<string, IDataset> _byName;

    public DatasetRegistry(IEnumerable<IDataset> datasets, IEnumerable<IDatasetFamily>? families = null)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        All = [.. datasets];
        Families = [.. families ?? []];
        _byName = new Dictionary<string, IDataset>(StringComparer.OrdinalIgnoreCase);
        foreach (var dataset in All)
        {
            if (!_byName.TryAdd(dataset.Name, dataset))
            {
                throw new ArgumentException($"Two datasets are named '{dataset.Name}'.", nameof(datasets));
            }
        }

        foreach (var family in Families)
        {
            if (_byName.ContainsKey(family.Name) || Families.Count(f => string.Equals(f.Name, family.Name, StringComparison.OrdinalIgnoreCase)) > 1)
            {
                throw new ArgumentException($"Two datasets are named '{family.Name}'.", nameof(families));
            }
        }

        // A key several datasets read (thetadata.* for spx and options) is one definition, declared by each: kept once.
        Settings = new SettingCatalog([.. Configuration.Settings.General.Concat(All.SelectMany(d => d.Settings)).Concat(Families.SelectMany(f => f.Settings)).Distinct()]);
    }

    /// <summary>The datasets Backfill ships.</summary>
    public static DatasetRegistry Default { get; } = new(
    [
        new SpxDataset(),
        new FopDataset(),
        new OhlcvDataset(),
        new CryptoBookDataset(),
    ],
    [
        new OptionsFamily(),
    ]);

    /// <summary>The datasets registered one by one (not the members of families: see <see cref="Expand"/>).</summary>
    public IReadOnlyList<IDataset> All { get; }

    /// <summary>The families of datasets (options: one per root).</summary>
    public IReadOnlyList<IDatasetFamily> Families { get; }

    /// <summary>Every name <c>--dataset</c> takes: the datasets and the families (each family's members are <c>{family}/{key}</c>).</summary>
    public IReadOnlyList<string> Names => [.. All.Select(d => d.Name), .. Families.Select(f => $"{f.Name} ({f.Name}/{f.MemberNoun.ToUpperInvariant()})")];

    /// <summary>Every key: the shared ones and each dataset's own.</summary>
    public SettingCatalog Settings { get; }

    /// <summary>This registry and one more dataset.</summary>
    public DatasetRegistry With(IDataset dataset) => new([.. All, dataset], Families);

    /// <summary>The dataset called <paramref name="name"/> (a family's member by <c>{family}/{key}</c>), or a message listing the registered ones.</summary>
    public IDataset Get(string? name)
    {
        var key = name?.Trim() ?? string.Empty;
        if (_byName.TryGetValue(key, out var found))
        {
            return found;
        }

        if (FamilyOf(key) is { } family)
        {
            var slash = key.IndexOf('/', StringComparison.Ordinal);
            return slash < 0
                ? throw new InvalidInputException(
                    $"--dataset {family.Name} is one dataset per {family.MemberNoun} ({family.MembersSetting}), and this command works on one at a time. " +
                    $"Name it: --dataset {family.Name}/{family.MemberNoun.ToUpperInvariant()}, e.g. --dataset {family.Name}/SPY.")
                : family.Member(key[(slash + 1)..]);
        }

        throw new InvalidInputException(
            $"--dataset: '{Core.Time.DateInput.Printable(key)}' is not a dataset. Use one of: {string.Join(", ", Names)}.");
    }

    /// <summary>What <c>--dataset</c> names: one dataset, a family (all its members the settings list), or one member.</summary>
    public DatasetChoice Choose(string? name)
    {
        var key = name?.Trim() ?? string.Empty;
        return FamilyOf(key) is { } family && !key.Contains('/', StringComparison.Ordinal)
            ? new DatasetChoice(null, family)
            : new DatasetChoice(Get(key), FamilyOf(key));
    }

    /// <summary>
    /// Every dataset with the settings: those registered one by one and each family's members the settings list (a family
    /// whose list is unset or invalid has none). For what looks at all datasets: alerts, gauges, the status page, ledger rebuild.
    /// </summary>
    public IReadOnlyList<IDataset> Expand(EffectiveSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var list = new List<IDataset>(All);
        foreach (var family in Families)
        {
            try
            {
                list.AddRange(family.MemberKeys(settings).Select(family.Member));
            }
            catch (InvalidInputException)
            {
                // An invalid list is reported by the commands that process; here the family simply has no members.
            }
        }

        return list;
    }

    /// <summary>The family <paramref name="name"/> is or belongs to (<c>options</c>, <c>options/SPY</c>), or null.</summary>
    public IDatasetFamily? FamilyOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var head = slash < 0 ? name : name[..slash];
        return Families.FirstOrDefault(f => string.Equals(f.Name, head, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The settings <paramref name="dataset"/> reads: the shared ones and its own.</summary>
    public IReadOnlyList<SettingDefinition> SettingsOf(IDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return [.. Configuration.Settings.General, .. dataset.Settings];
    }

    /// <summary>The settings a family's members read: the shared ones and the family's.</summary>
    public IReadOnlyList<SettingDefinition> SettingsOf(IDatasetFamily family)
    {
        ArgumentNullException.ThrowIfNull(family);
        return [.. Configuration.Settings.General, .. family.Settings];
    }

    /// <summary>The dataset that declares <paramref name="key"/>, or null for a shared key.</summary>
    public IDataset? OwnerOf(string key) => All.FirstOrDefault(d => d.Settings.Any(s => string.Equals(s.Key, key, StringComparison.OrdinalIgnoreCase)));

    /// <summary>A command line for messages: <c>backfill VERB</c> for the default dataset, else with <c>--dataset NAME</c>.</summary>
    public static string Command(string dataset, string verb) =>
        string.Equals(dataset, DefaultName, StringComparison.Ordinal) ? $"backfill {verb}" : $"backfill --dataset {dataset} {verb}";
}
