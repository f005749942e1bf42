namespace Backfill.Storage.Disk;

/// <summary>Free space where a path would be written.</summary>
public interface IDiskSpaceProbe
{
    /// <summary>Bytes available to this user on the filesystem that holds <paramref name="path"/> (which may not exist yet).</summary>
    long GetAvailableBytes(string path);
}
