namespace Backfill.Cli.Commands;

/// <summary>
/// The folder every <c>demo</c> works in. It is kept by default, because the demo ends by printing a query and ledger
/// commands for it; <c>--clean</c> removes it with everything in it (and then those commands are not printed).
/// </summary>
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

    /// <summary>How to remove the kept folder, as a shell command line (the path quoted when it needs it).</summary>
    public static string RemoveCommand(string folder) =>
        OperatingSystem.IsWindows()
            ? $"rmdir /s /q \"{folder}\""
            : $"rm -rf {ShellQuote(folder)}";

    /// <param name="removed">What the user is told when the folder is removed.</param>
    public static void Finish(CommandContext context, string folder, bool clean, string removed)
    {
        if (!clean)
        {
            context.Say($"Kept {folder}.");
            context.Say($"Remove it when done with: {RemoveCommand(folder)}   (or run the demo with --clean)");
            return;
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(folder, recursive: true);
        context.Say(removed);
    }

    private static string ShellQuote(string path) =>
        path.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-' or '+' or ',' or ':' or '@' or '%')
            ? path
            : "'" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
