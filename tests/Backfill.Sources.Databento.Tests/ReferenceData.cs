namespace Backfill.Sources.Databento.Tests;

/// <summary>
/// Finds the public reference files kept beside the repository (<c>../shared/data</c> from the folder holding
/// <c>Backfill.slnx</c>), or in the folder named by <c>BACKFILL_REFERENCE_DATA</c>; skips the test with the reason otherwise.
/// </summary>
internal static class ReferenceData
{
    public const string Variable = "BACKFILL_REFERENCE_DATA";

    public static string Folder(string name)
    {
        var root = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(root))
        {
            var repository = new DirectoryInfo(AppContext.BaseDirectory);
            while (repository is not null && !File.Exists(Path.Combine(repository.FullName, "Backfill.slnx")))
            {
                repository = repository.Parent;
            }

            root = repository?.Parent is { } parent ? Path.Combine(parent.FullName, "shared", "data") : null;
        }

        var folder = root is null ? null : Path.Combine(root, name);
        if (folder is null || !Directory.Exists(folder))
        {
            Assert.Skip($"reference data '{name}' not found: set {Variable} to the folder holding it " +
                        "(the published files are described in the reference data README beside the repository)");
        }

        return folder;
    }
}
