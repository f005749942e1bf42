namespace Backfill.Storage.Disk;

/// <summary>Uses <see cref="DriveInfo"/> on the nearest existing ancestor of the path (statvfs on Unix).</summary>
public sealed class DriveInfoDiskSpaceProbe : IDiskSpaceProbe
{
    public long GetAvailableBytes(string path)
    {
        var existing = Path.GetFullPath(path);
        while (!Directory.Exists(existing))
        {
            var parent = Path.GetDirectoryName(existing);
            if (parent is null)
            {
                break;
            }

            existing = parent;
        }

        // On Unix DriveInfo accepts any directory and reports its filesystem; on Windows it needs the volume root.
        var drive = OperatingSystem.IsWindows() ? new DriveInfo(Path.GetPathRoot(existing)!) : new DriveInfo(existing);
        return drive.AvailableFreeSpace;
    }
}
