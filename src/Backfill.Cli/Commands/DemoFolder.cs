namespace Backfill.Cli.Commands;

/// <summary>The temporary folder every <c>demo</c> works in: kept with <c>--keep</c>, otherwise removed with everything in it.</summary>
internal static class DemoFolder
{
    public static string Create(string dataset)
    {
        var folder = Directory.CreateTempSubdirectory($"backfill-demo-{dataset}-").FullName;
        if (!OperatingSystem.IsWindows())
        {
            // The demo's ledger and outputs live here: owner-only like every folder the tool makes, whatever the umask.
            File.SetUnixFileMode(folder, Backfill.Core.IO.OwnerOnly.DirectoryMode);
        }

        return folder;
    }

    /// <param name="removed">What the user is told when the folder is removed.</param>
    public static void Finish(CommandContext context, string folder, bool keep, string removed = "Removed the temporary folder (use --keep to keep it).")
    {
        if (keep)
        {
            context.Say($"Kept {folder}.");
            return;
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
        context.Say(removed);
    }
}
