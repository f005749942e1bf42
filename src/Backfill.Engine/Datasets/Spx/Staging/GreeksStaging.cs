using System.Globalization;

namespace Backfill.Engine.Datasets.Spx.Staging;

/// <summary>One completed staging file and the sub-unit it holds.</summary>
public sealed record GreeksStagingFile(string Path, string Root, DateOnly Expiration);

/// <summary>
/// Naming and resume rules of a staging directory: one <c>{root}-{yyyyMMdd}.ndjson</c> file per completed
/// sub-unit (root, expiration); <c>.ndjson.part</c> files are unfinished attempts, never read, deleted on resume.
/// </summary>
public static class GreeksStaging
{
    /// <summary>The sub-unit file name (without extension) of one expiration of one root.</summary>
    public static string SubUnitName(string root, DateOnly expiration)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        if (root.Contains('-', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Root '{root}' must not contain '-'.", nameof(root));
        }

        var name = root + "-" + expiration.ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        ValidateName(name);
        return name;
    }

    /// <summary>True when the sub-unit's complete file exists (its part file does not count).</summary>
    public static bool IsComplete(string directory, string subUnitName) =>
        File.Exists(Path.Combine(directory, subUnitName + GreeksStagingFormat.CompleteExtension));

    /// <summary>
    /// Completed sub-unit files that follow the naming rule, ordered by (root, expiration) in ordinal order:
    /// the order the Parquet writer needs.
    /// </summary>
    public static IReadOnlyList<GreeksStagingFile> ListComplete(string directory)
    {
        var result = new List<GreeksStagingFile>();
        if (!Directory.Exists(directory))
        {
            return result;
        }

        foreach (var path in Directory.EnumerateFiles(directory))
        {
            var fileName = Path.GetFileName(path);
            if (!fileName.EndsWith(GreeksStagingFormat.CompleteExtension, StringComparison.Ordinal))
            {
                continue;
            }

            var stem = fileName[..^GreeksStagingFormat.CompleteExtension.Length];
            var dash = stem.LastIndexOf('-');
            if (dash <= 0
                || !DateOnly.TryParseExact(stem.AsSpan(dash + 1), "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var expiration))
            {
                continue;
            }

            result.Add(new GreeksStagingFile(path, stem[..dash], expiration));
        }

        result.Sort(static (a, b) =>
        {
            var byRoot = string.CompareOrdinal(a.Root, b.Root);
            return byRoot != 0 ? byRoot : a.Expiration.CompareTo(b.Expiration);
        });
        return result;
    }

    /// <summary>Deletes the part files a crashed run left behind; returns how many were deleted.</summary>
    public static int DeletePartials(string directory)
    {
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        var deleted = 0;
        foreach (var path in Directory.EnumerateFiles(directory, "*" + GreeksStagingFormat.PartialExtension))
        {
            if (path.EndsWith(GreeksStagingFormat.PartialExtension, StringComparison.Ordinal))
            {
                File.Delete(path);
                deleted++;
            }
        }

        return deleted;
    }

    internal static void ValidateName(string subUnitName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(subUnitName);
        if (subUnitName.IndexOfAny(['/', '\\', ':']) >= 0 || subUnitName.StartsWith('.'))
        {
            throw new ArgumentException($"Sub-unit name '{subUnitName}' must be a plain file name.", nameof(subUnitName));
        }
    }
}
