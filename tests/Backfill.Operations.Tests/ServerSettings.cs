using Backfill.Engine.Configuration;
using Backfill.Ledger;

namespace Backfill.Operations.Tests;

/// <summary>The settings a status server test runs with: its own output and temp folders, a start date and a retry limit.</summary>
internal static class ServerSettings
{
    public static Task<EffectiveSettings> LoadAsync(ILedger ledger, string folder, DateOnly? startDate, CancellationToken ct)
    {
        var flags = new Dictionary<string, string>
        {
            [Settings.OutputDirectory] = Path.Combine(folder, "out"),
            [Settings.TempDirectory] = Path.Combine(folder, "tmp"),
            [Settings.RetryLimit] = "5",
        };
        if (startDate is { } start)
        {
            flags[Settings.StartDate] = start.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        }

        return new SettingsResolver(flags, new Dictionary<string, string>()).LoadAsync(ledger, ct);
    }

    /// <summary>Puts a file where <paramref name="dataset"/>'s output of <paramref name="date"/> lives and returns its path.</summary>
    public static string PlaceOutput(string folder, string dataset, DateOnly date)
    {
        var path = Backfill.Engine.Datasets.DatasetRegistry.Default.Get(dataset).Layout.PathFor(Path.Combine(folder, "out"), date);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "output");
        return path;
    }
}
