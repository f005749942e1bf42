namespace Backfill.Encryption;

/// <summary>Replaces a file atomically with new ciphertext: temp file beside it (0600), fsync, rename, fsync of the directory.</summary>
public static class EncryptedFileWriter
{
    /// <summary>Suffix of the temp files; leftovers of an interruption are removed by <see cref="RemoveLeftovers"/>.</summary>
    public const string TempSuffix = ".rekey.tmp";

    public static void ReplaceAtomically(string path, ReadOnlySpan<byte> ciphertext, Action<string>? checkpoint = null)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var temp = Path.Combine(directory, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N") + TempSuffix);
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            }

            using (var stream = new FileStream(temp, options))
            {
                stream.Write(ciphertext);
                checkpoint?.Invoke("temp-written");
                stream.Flush(flushToDisk: true);
            }

            checkpoint?.Invoke("before-rename");
            File.Move(temp, path, overwrite: true);
            FsyncDirectory(directory);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Deletes temp files an interrupted rotation left under <paramref name="root"/>; returns how many.</summary>
    public static int RemoveLeftovers(string root)
    {
        if (!Directory.Exists(root))
        {
            return 0;
        }

        var n = 0;
        foreach (var file in Directory.EnumerateFiles(root, "*" + TempSuffix, SearchOption.AllDirectories))
        {
            File.Delete(file);
            n++;
        }

        return n;
    }

    private static void FsyncDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        try
        {
            using var handle = File.OpenHandle(directory, FileMode.Open, FileAccess.Read);
            RandomAccess.FlushToDisk(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Some filesystems refuse to open or flush a directory; the rename itself is still atomic.
        }
    }
}
