using System.Globalization;
using System.Runtime.CompilerServices;
using Backfill.Storage.Outputs;

namespace Backfill.Storage.Layout;

/// <summary>
/// Where a dataset's daily outputs live in an output store: <c>{folder}/YYYY/MM/DD/{stem}-YYYY-MM-DD{extension}</c>,
/// e.g. <c>spx/2024/06/12/spx-options-2024-06-12.parquet</c>. Each dataset declares its own; nothing here knows a
/// dataset. Hidden folders (such as <c>.incoming</c>) are never outputs.
/// </summary>
/// <param name="Folder">The first key segment(s), normally the dataset's name (<c>options/SPY</c> for a family's member).</param>
/// <param name="FileStem">The file name before the date.</param>
/// <param name="Extension">The file name's ending, with its dot (<c>.parquet</c>, <c>.csv.enc</c>).</param>
public sealed record OutputLayout(string Folder, string FileStem, string Extension)
{
    public const string Parquet = ".parquet";

    /// <summary>The key of the output of <paramref name="date"/>.</summary>
    public string KeyFor(DateOnly date)
    {
        var inv = CultureInfo.InvariantCulture;
        return string.Join('/',
            Folder,
            date.Year.ToString("D4", inv),
            date.Month.ToString("D2", inv),
            date.Day.ToString("D2", inv),
            FileStem + "-" + date.ToString("yyyy-MM-dd", inv) + Extension);
    }

    /// <summary>The key of a file beside the output of <paramref name="date"/> with another extension (fop's CSV).</summary>
    public string CompanionKeyFor(DateOnly date, string extension) => KeyFor(date)[..^Extension.Length] + extension;

    /// <summary>The path of the output of <paramref name="date"/> under a local output folder.</summary>
    public string PathFor(string outputRoot, DateOnly date)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputRoot);
        return Path.Combine(outputRoot, KeyFor(date).Replace('/', Path.DirectorySeparatorChar));
    }

    /// <summary>Reads the date back from a key; false for anything that is not exactly a key of this layout.</summary>
    public bool TryParseKey(string key, out DateOnly date)
    {
        date = default;
        // The folder may have several segments (options/SPY): the four after it are YYYY/MM/DD/name.
        var parts = key.StartsWith(Folder + "/", StringComparison.Ordinal) ? key[(Folder.Length + 1)..].Split('/') : [];
        if (parts.Length != 4)
        {
            return false;
        }

        var stem = FileStem + "-";
        var name = parts[3];
        if (!name.StartsWith(stem, StringComparison.Ordinal) || !name.EndsWith(Extension, StringComparison.Ordinal)
            || name.Length < stem.Length + Extension.Length
            || !DateOnly.TryParseExact(name.AsSpan(stem.Length, name.Length - stem.Length - Extension.Length), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed)
            || KeyFor(parsed) != key)
        {
            return false;
        }

        date = parsed;
        return true;
    }

    /// <summary>Reads the date back from a path under a local output folder; false for anything that is not exactly a layout path.</summary>
    public bool TryParsePath(string outputRoot, string path, out DateOnly date)
    {
        date = default;
        var relative = Path.GetRelativePath(Path.GetFullPath(outputRoot), Path.GetFullPath(path));
        return !relative.StartsWith("..", StringComparison.Ordinal) && TryParseKey(relative.Replace(Path.DirectorySeparatorChar, '/'), out date);
    }

    /// <summary>Every output of this layout in a store, in key order (for "extra files" reports); other objects are ignored.</summary>
    public async IAsyncEnumerable<(StoredObject Object, DateOnly Date)> ListAsync(IOutputStore store, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(store);
        await foreach (var item in store.ListAsync(Folder + "/", cancellationToken))
        {
            if (TryParseKey(item.Key, out var date))
            {
                yield return (item, date);
            }
        }
    }

    /// <summary>Every output of this layout under a local output folder, in path order (backups and recovery of local trees).</summary>
    public IEnumerable<(string Path, DateOnly Date)> EnumerateLocal(string outputRoot)
    {
        Outputs.OutputStores.RequireLocal(outputRoot, "This command");
        var root = Path.Combine(outputRoot, Folder);
        if (!Directory.Exists(root))
        {
            yield break;
        }

        var files = Directory.GetFiles(root, "*" + Extension, SearchOption.AllDirectories);
        Array.Sort(files, StringComparer.Ordinal);
        foreach (var file in files)
        {
            if (TryParsePath(outputRoot, file, out var date))
            {
                yield return (file, date);
            }
        }
    }
}
