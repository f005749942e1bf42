using System.Globalization;

namespace Backfill.Storage.Layout;

/// <summary>
/// Where a dataset's daily file lives: <c>{out}/{dataset}/YYYY/MM/DD/{stem}-YYYY-MM-DD.parquet</c>, the stem being
/// <c>spx-options</c> for spx and the dataset name otherwise. Hidden folders (such as <c>.incoming</c>) are never outputs.
/// </summary>
public static class OutputLayout
{
    public const string Extension = ".parquet";

    public static string FileStem(string dataset) => dataset == "spx" ? "spx-options" : dataset;

    /// <summary>The file extension of a dataset's outputs: <c>.csv.enc</c> for the encrypted <c>ohlcv</c> dataset, else Parquet.</summary>
    public static string ExtensionFor(string dataset) => dataset == "ohlcv" ? ".csv.enc" : Extension;

    public static string PathFor(string outputRoot, string dataset, DateOnly date)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(outputRoot);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataset);
        var inv = CultureInfo.InvariantCulture;
        return Path.Combine(
            outputRoot,
            dataset,
            date.Year.ToString("D4", inv),
            date.Month.ToString("D2", inv),
            date.Day.ToString("D2", inv),
            FileStem(dataset) + "-" + date.ToString("yyyy-MM-dd", inv) + ExtensionFor(dataset));
    }

    /// <summary>Reads (dataset, date) back from a path; false for anything that is not exactly a layout path.</summary>
    public static bool TryParse(string outputRoot, string path, out string dataset, out DateOnly date)
    {
        dataset = "";
        date = default;
        var relative = Path.GetRelativePath(Path.GetFullPath(outputRoot), Path.GetFullPath(path));
        var parts = relative.Split(Path.DirectorySeparatorChar);
        if (parts.Length != 5 || parts[0].StartsWith('.') || parts[0] == "..")
        {
            return false;
        }

        var stem = FileStem(parts[0]) + "-";
        var name = parts[4];
        var extension = ExtensionFor(parts[0]);
        if (!name.StartsWith(stem, StringComparison.Ordinal) || !name.EndsWith(extension, StringComparison.Ordinal)
            || name.Length < stem.Length + extension.Length
            || !DateOnly.TryParseExact(name.AsSpan(stem.Length, name.Length - stem.Length - extension.Length), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
        {
            return false;
        }

        if (PathFor(outputRoot, parts[0], parsed) != Path.Combine(outputRoot, relative))
        {
            return false;
        }

        dataset = parts[0];
        date = parsed;
        return true;
    }

    /// <summary>Every layout file of a dataset, in path order (for "extra files" reports); other files are ignored.</summary>
    public static IEnumerable<(string Path, DateOnly Date)> EnumerateFiles(string outputRoot, string dataset)
    {
        var root = Path.Combine(outputRoot, dataset);
        if (!Directory.Exists(root))
        {
            yield break;
        }

        var files = Directory.GetFiles(root, "*" + ExtensionFor(dataset), SearchOption.AllDirectories);
        Array.Sort(files, StringComparer.Ordinal);
        foreach (var file in files)
        {
            if (TryParse(outputRoot, file, out var parsedDataset, out var date) && parsedDataset == dataset)
            {
                yield return (file, date);
            }
        }
    }
}
