using System.Text.RegularExpressions;
using Backfill.Core.Errors;

namespace Backfill.Storage.Outputs;

/// <summary>Opens the output store a location names, chosen by its scheme: a plain path (or <c>file://</c>) is a local folder.</summary>
public static partial class OutputStores
{
    /// <summary>The URI scheme of <paramref name="location"/> (lower case), or null for a plain path.</summary>
    public static string? SchemeOf(string location)
    {
        ArgumentNullException.ThrowIfNull(location);
        var match = SchemePattern().Match(location);
        return match.Success ? match.Groups[1].Value.ToLowerInvariant() : null;
    }

    /// <summary>A message naming the value and the fix when the location's scheme has no store, else null.</summary>
    public static string? UnsupportedProblem(string key, string location)
    {
        var scheme = SchemeOf(location);
        return scheme is null or "file"
            ? null
            : $"{key}: '{Backfill.Core.Time.DateInput.Printable(location)}' names the scheme '{scheme}://', which this version cannot store outputs in. Use a local folder (or file:///path).";
    }

    /// <param name="location">The output root: a folder or <c>file:///folder</c>.</param>
    /// <param name="workDirectory">Where files are written before they are published (same disk as the output is best).</param>
    /// <exception cref="InvalidInputException">The location's scheme has no store.</exception>
    public static IOutputStore Open(string location, string workDirectory)
    {
        if (UnsupportedProblem("processing.outputDirectory", location) is { } problem)
        {
            throw new InvalidInputException(problem);
        }

        var folder = SchemeOf(location) == "file" ? new Uri(location).LocalPath : location;
        return new LocalOutputStore(folder, workDirectory);
    }

    [GeneratedRegex("^([A-Za-z][A-Za-z0-9+.-]*)://")]
    private static partial Regex SchemePattern();
}
