using System.Globalization;
using Backfill.Storage.Layout;

namespace Backfill.Engine.Processing;

/// <summary>
/// Where the engine keeps things. Output: <c>{out}/{dataset}/YYYY/MM/DD/{stem}-YYYY-MM-DD.parquet</c>.
/// Temp: <c>{temp}/{dataset}/staging/YYYY-MM-DD/*.ndjson</c> per unit (resumable), <c>{temp}/{dataset}/publish/</c>
/// for files being written before their atomic rename, and <c>{temp}/control/</c> for stop requests.
/// </summary>
public static class EnginePaths
{
    public static string OutputFile(string outputRoot, string dataset, DateOnly date) => OutputLayout.PathFor(outputRoot, dataset, date);

    public static string StagingDirectory(string tempRoot, string dataset, DateOnly date) =>
        Path.Combine(tempRoot, dataset, "staging", date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));

    public static string StagingRoot(string tempRoot, string dataset) => Path.Combine(tempRoot, dataset, "staging");

    public static string PublishDirectory(string tempRoot, string dataset) => Path.Combine(tempRoot, dataset, "publish");

    public static string ControlDirectory(string tempRoot) => Path.Combine(tempRoot, "control");
}
