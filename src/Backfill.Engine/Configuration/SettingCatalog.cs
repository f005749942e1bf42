using Backfill.Core.Errors;

namespace Backfill.Engine.Configuration;

/// <summary>
/// Every key Backfill knows: the shared ones and those of each registered dataset. Unknown keys are refused with the
/// closest known name.
/// </summary>
public sealed class SettingCatalog
{
    private readonly Dictionary<string, SettingDefinition> _byKey;

    public SettingCatalog(IEnumerable<SettingDefinition> definitions)
    {
        ArgumentNullException.ThrowIfNull(definitions);
        All = [.. definitions];
        _byKey = new Dictionary<string, SettingDefinition>(StringComparer.OrdinalIgnoreCase);
        foreach (var definition in All)
        {
            if (!_byKey.TryAdd(definition.Key, definition))
            {
                throw new ArgumentException($"The setting '{definition.Key}' is declared twice.", nameof(definitions));
            }
        }
    }

    public IReadOnlyList<SettingDefinition> All { get; }

    public bool Contains(string key) => _byKey.ContainsKey(key?.Trim() ?? string.Empty);

    /// <summary>Finds a key (case-insensitive), or throws a message naming the closest known key.</summary>
    public SettingDefinition Get(string key)
    {
        if (_byKey.TryGetValue(key?.Trim() ?? string.Empty, out var definition))
        {
            return definition;
        }

        var printable = Backfill.Core.Time.DateInput.Printable(key ?? string.Empty);
        var closest = All.MinBy(d => Distance(d.Key.ToUpperInvariant(), (key ?? string.Empty).ToUpperInvariant()))!;
        throw new InvalidInputException(
            $"Unknown configuration key '{printable}'. Did you mean '{closest.Key}'? Run 'backfill config get' to list every key.");
    }

    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
