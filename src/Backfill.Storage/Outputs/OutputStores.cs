using System.Text.RegularExpressions;
using Backfill.Core.Errors;
using Backfill.ObjectStorage;

namespace Backfill.Storage.Outputs;

/// <summary>
/// Opens the output store a location names, chosen by its scheme: a plain path (or <c>file://</c>) is a local folder,
/// <c>s3://bucket/prefix</c> a bucket (AWS S3 or an S3-compatible store).
/// </summary>
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
        return scheme is null or "file" or "s3"
            ? null
            : $"{key}: '{Backfill.Core.Time.DateInput.Printable(location)}' names the scheme '{scheme}://', which this version cannot store outputs in. Use a local folder (or file:///path) or s3://BUCKET/PREFIX.";
    }

    /// <summary>Whether the location is an object store (not a local folder): local-only commands refuse it.</summary>
    public static bool IsRemote(string location) => SchemeOf(location) is { } scheme && scheme != "file";

    /// <summary>
    /// Refuses (exit 2) a command that works on local files only when the outputs are in an object store, naming the
    /// command and the way around it.
    /// </summary>
    public static string RequireLocal(string location, string command)
    {
        ArgumentNullException.ThrowIfNull(location);
        return IsRemote(location)
            ? throw new InvalidInputException(
                $"{command} works on a local output folder only, and processing.outputDirectory is '{Backfill.Core.Time.DateInput.Printable(location)}'. " +
                "Run it on a machine with a local copy of the outputs (e.g. 'aws s3 sync') and --set processing.outputDirectory=FOLDER.")
            : location;
    }

    /// <param name="location">The output root: a folder, <c>file:///folder</c> or <c>s3://bucket/prefix</c>.</param>
    /// <param name="workDirectory">Where files are written before they are published (same disk as the output is best).</param>
    /// <param name="s3">How to reach S3 for an <c>s3://</c> location; null: the standard AWS environment variables.</param>
    /// <exception cref="InvalidInputException">The location's scheme has no store, or the s3:// location is malformed.</exception>
    public static IOutputStore Open(string location, string workDirectory, S3ConnectionOptions? s3 = null)
    {
        if (UnsupportedProblem("processing.outputDirectory", location) is { } problem)
        {
            throw new InvalidInputException(problem);
        }

        return SchemeOf(location) switch
        {
            "s3" => new S3OutputStore(S3Location.Parse(location, "processing.outputDirectory"), s3 ?? S3ConnectionOptions.FromEnvironment(), workDirectory),
            "file" => new LocalOutputStore(new Uri(location).LocalPath, workDirectory),
            _ => new LocalOutputStore(location, workDirectory),
        };
    }

    [GeneratedRegex("^([A-Za-z][A-Za-z0-9+.-]*)://")]
    private static partial Regex SchemePattern();
}
