using Backfill.Core.Errors;

namespace Backfill.Storage.Disk;

/// <summary>Refuses to start a write that could fill the disk: free space must be 1.5 × the estimate.</summary>
public sealed class DiskSpaceGuard(IDiskSpaceProbe probe)
{
    public const double SafetyFactor = 1.5;

    public DiskSpaceGuard()
        : this(new DriveInfoDiskSpaceProbe())
    {
    }

    /// <exception cref="InsufficientDiskException">Free space is below <see cref="SafetyFactor"/> × <paramref name="estimateBytes"/>.</exception>
    public void EnsureSpace(string path, long estimateBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(estimateBytes);
        if (Outputs.OutputStores.IsRemote(path))
        {
            // An object store has no local disk to fill; the bucket's quota, if any, answers the upload.
            return;
        }

        var required = (long)Math.Ceiling(estimateBytes * SafetyFactor);
        var available = probe.GetAvailableBytes(path);
        if (available < required)
        {
            throw new InsufficientDiskException(
                $"Not enough disk space at '{path}': {available:N0} bytes free, {required:N0} needed ({SafetyFactor} x estimate {estimateBytes:N0}).",
                required,
                available);
        }
    }
}
