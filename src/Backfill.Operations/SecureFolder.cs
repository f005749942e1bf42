namespace Backfill.Operations;

/// <summary>Creates folders owner-only (0700), like the output tree: metrics and logs may describe private work.</summary>
internal static class SecureFolder
{
    public static void Create(string path)
    {
        if (Directory.Exists(path))
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
