namespace Backfill.Engine.Health;

/// <summary>Free and total space of the file system holding a folder (or, before it exists, its nearest existing parent).</summary>
public sealed record DiskUsage(string Folder, string MeasuredAt, long FreeBytes, long TotalBytes)
{
    /// <summary>Free space as a percentage of the file system's size, 0..100 (0 when the size is unknown).</summary>
    public double FreePercent => TotalBytes > 0 ? Math.Round(100.0 * FreeBytes / TotalBytes, 1) : 0;

    /// <summary>Measures <paramref name="folder"/>; throws <see cref="IOException"/> when no part of the path can be read.</summary>
    public static DiskUsage Measure(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        var existing = Path.GetFullPath(folder);
        while (!Directory.Exists(existing) && Path.GetDirectoryName(existing) is { } parent)
        {
            existing = parent;
        }

        // On Unix DriveInfo accepts any directory and reports its file system (statvfs); on Windows it needs the volume root.
        var drive = OperatingSystem.IsWindows() ? new DriveInfo(Path.GetPathRoot(existing)!) : new DriveInfo(existing);
        return new DiskUsage(Path.GetFullPath(folder), existing, drive.AvailableFreeSpace, drive.TotalSize);
    }
}
