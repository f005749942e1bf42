using Backfill.Core.IO;

namespace Backfill.Engine.LedgerFiles;

/// <summary>The file steps backup and restore share: an owner-only temp file beside the final name, fsync, rename, fsync of the folder.</summary>
internal static class LedgerFileWrites
{
    /// <summary>Creates an empty 0600 file with a hidden temp name in <paramref name="folder"/> for SQLite to fill.</summary>
    public static string CreateTemp(string folder, string finalName, string purpose)
    {
        var temp = Path.Combine(folder, $".{finalName}.{purpose}-{Guid.NewGuid().ToString("N")[..8]}");
        using (new FileStream(temp, OwnerOnly.WriteOptions(FileMode.CreateNew)))
        {
        }

        return temp;
    }

    /// <summary>Makes the file's bytes durable and its mode 0600 (SQLite may have rewritten it).</summary>
    public static void Seal(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, OwnerOnly.FileMode);
        }

        using var handle = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite);
        RandomAccess.FlushToDisk(handle);
    }

    /// <summary>Removes a temp file and whatever SQLite left beside it; a failure here must not hide the one being reported.</summary>
    public static void DeleteTemp(string temp)
    {
        foreach (var file in new[] { temp, temp + "-journal", temp + "-wal", temp + "-shm" })
        {
            try
            {
                File.Delete(file);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }
    }

    /// <summary>A UTC time as it appears in file names: <c>20261204T183000Z</c>.</summary>
    public static string Stamp(DateTimeOffset time, bool milliseconds = false) =>
        time.UtcDateTime.ToString(milliseconds ? "yyyyMMdd'T'HHmmssfff'Z'" : "yyyyMMdd'T'HHmmss'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
