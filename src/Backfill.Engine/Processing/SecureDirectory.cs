namespace Backfill.Engine.Processing;

/// <summary>Creates directories readable only by their owner (0700 on Unix).</summary>
internal static class SecureDirectory
{
    public static void Create(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
