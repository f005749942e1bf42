namespace Backfill.Sources.CryptoLake.Tests;

/// <summary>
/// Public reference data kept beside the repository (<c>../shared/data</c> from the folder holding Backfill.slnx), or
/// where <c>BACKFILL_REFERENCE_DATA</c> points. Tests that need it skip with the reason when it is absent.
/// </summary>
internal static class ReferenceData
{
    public const string Variable = "BACKFILL_REFERENCE_DATA";

    public static string RequireFile(string relative)
    {
        var root = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(root))
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Backfill.slnx")))
            {
                dir = dir.Parent;
            }

            root = dir is null ? null : Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
        }

        var path = root is null ? null : Path.Combine(root, relative);
        if (path is null || !File.Exists(path))
        {
            Assert.Skip($"reference data '{relative}' not found (looked in {root ?? "no repository root found"}); place it under ../shared/data beside the repository or set {Variable}.");
        }

        return path!;
    }
}
