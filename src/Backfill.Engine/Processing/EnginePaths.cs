using System.Globalization;
using Backfill.Storage.Outputs;

namespace Backfill.Engine.Processing;

/// <summary>
/// Where the engine keeps things. Output: <c>{out}/{dataset}/YYYY/MM/DD/{stem}-YYYY-MM-DD.parquet</c>.
/// Temp: <c>{temp}/{dataset}/staging/YYYY-MM-DD/*.ndjson</c> per unit (resumable), <c>{temp}/{dataset}/publish/</c>
/// for files being written before their atomic rename, and <c>{temp}/control/</c> for stop requests.
/// </summary>
public static class EnginePaths
{
    /// <summary>The local path of a dataset's output of one date under a local output folder.</summary>
    public static string OutputFile(string outputRoot, string dataset, DateOnly date) =>
        Datasets.DatasetRegistry.Default.Get(dataset).Layout.PathFor(outputRoot, date);

    /// <summary>The output store at <paramref name="outputLocation"/>, with the dataset's publish folder under <paramref name="tempRoot"/> as its work area.</summary>
    /// <exception cref="Core.Errors.InvalidInputException">The output location's scheme has no store.</exception>
    public static IOutputStore OutputStore(string outputLocation, string tempRoot, string dataset, Backfill.ObjectStorage.S3ConnectionOptions? s3 = null) =>
        OutputStores.Open(outputLocation, PublishDirectory(tempRoot, dataset), s3);

    /// <summary>The output store the settings name, for <paramref name="dataset"/>.</summary>
    public static IOutputStore OutputStore(Configuration.EffectiveSettings settings, string dataset)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return OutputStore(settings.OutputDirectory, settings.TempDirectory, dataset, settings.S3Connection);
    }

    /// <summary>The output store a run's options name.</summary>
    public static IOutputStore OutputStore(ProcessingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return OutputStore(options.OutputDirectory, options.TempDirectory, options.Dataset, options.S3);
    }
    public static string StagingDirectory(string tempRoot, string dataset, DateOnly date) =>
        Path.Combine(tempRoot, dataset, "staging", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    public static string StagingRoot(string tempRoot, string dataset) => Path.Combine(tempRoot, dataset, "staging");

    public static string PublishDirectory(string tempRoot, string dataset) => Path.Combine(tempRoot, dataset, "publish");

    public static string ControlDirectory(string tempRoot) => Path.Combine(tempRoot, "control");

    /// <summary>Deletes the unfinished sub-unit files (<c>*.part</c>) of a date's staging folder; completed ones are kept for the resume.</summary>
    public static int DeletePartialStaging(string tempRoot, string dataset, DateOnly date)
    {
        var staging = StagingDirectory(tempRoot, dataset, date);
        if (!Directory.Exists(staging))
        {
            return 0;
        }

        var deleted = 0;
        foreach (var path in Directory.EnumerateFiles(staging, "*" + PartialExtension))
        {
            if (path.EndsWith(PartialExtension, StringComparison.Ordinal))
            {
                File.Delete(path);
                deleted++;
            }
        }

        return deleted;
    }

    /// <summary>The ending of a staged sub-unit still being written, for every dataset.</summary>
    public const string PartialExtension = ".part";
}
