using Backfill.Core.Errors;
using Backfill.Engine.Configuration;
using Backfill.Engine.Datasets.CryptoBook;
using Backfill.Engine.Datasets.Fop;
using Backfill.Engine.Datasets.Ohlcv;
using Backfill.Engine.Datasets.Spx;

namespace Backfill.Engine.Datasets;

/// <summary>
/// The datasets this build knows, by name, and every setting key they bring. Adding a dataset is one line in
/// <see cref="Default"/> (or <see cref="With"/> for a host that brings its own, as the tests do).
/// </summary>
public sealed class DatasetRegistry
{
    /// <summary>The dataset used when <c>--dataset</c> is not given.</summary>
    public const string DefaultName = SpxDataset.DatasetName;

    private readonly Dictionary<string, IDataset> _byName;

    public DatasetRegistry(IEnumerable<IDataset> datasets)
    {
        ArgumentNullException.ThrowIfNull(datasets);
        All = [.. datasets];
        _byName = new Dictionary<string, IDataset>(StringComparer.OrdinalIgnoreCase);
        foreach (var dataset in All)
        {
            if (!_byName.TryAdd(dataset.Name, dataset))
            {
                throw new ArgumentException($"Two datasets are named '{dataset.Name}'.", nameof(datasets));
            }
        }

        Settings = new SettingCatalog([.. Configuration.Settings.General, .. All.SelectMany(d => d.Settings)]);
    }

    /// <summary>The datasets Backfill ships.</summary>
    public static DatasetRegistry Default { get; } = new(
    [
        new SpxDataset(),
        new FopDataset(),
        new OhlcvDataset(),
        new CryptoBookDataset(),
    ]);

    public IReadOnlyList<IDataset> All { get; }

    /// <summary>Every key: the shared ones and each dataset's own.</summary>
    public SettingCatalog Settings { get; }

    /// <summary>This registry and one more dataset.</summary>
    public DatasetRegistry With(IDataset dataset) => new([.. All, dataset]);

    /// <summary>The dataset called <paramref name="name"/>, or a message listing the registered ones.</summary>
    public IDataset Get(string? name)
    {
        var key = name?.Trim() ?? string.Empty;
        return _byName.TryGetValue(key, out var found)
            ? found
            : throw new InvalidInputException(
                $"--dataset: '{Core.Time.DateInput.Printable(key)}' is not a dataset. Use one of: {string.Join(", ", All.Select(d => d.Name))}.");
    }

    /// <summary>The settings <paramref name="dataset"/> reads: the shared ones and its own.</summary>
    public IReadOnlyList<SettingDefinition> SettingsOf(IDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return [.. Configuration.Settings.General, .. dataset.Settings];
    }

    /// <summary>The dataset that declares <paramref name="key"/>, or null for a shared key.</summary>
    public IDataset? OwnerOf(string key) => All.FirstOrDefault(d => d.Settings.Any(s => string.Equals(s.Key, key, StringComparison.OrdinalIgnoreCase)));

    /// <summary>A command line for messages: <c>backfill VERB</c> for the default dataset, else with <c>--dataset NAME</c>.</summary>
    public static string Command(string dataset, string verb) =>
        string.Equals(dataset, DefaultName, StringComparison.Ordinal) ? $"backfill {verb}" : $"backfill --dataset {dataset} {verb}";
}
