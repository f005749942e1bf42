using System.Runtime.InteropServices;

namespace Backfill.Storage.Publish;

/// <summary>Renames a file, replacing the destination. Injected so tests can simulate another filesystem.</summary>
internal interface IFileMover
{
    /// <exception cref="CrossDeviceMoveException">Source and destination are on different filesystems.</exception>
    void Move(string source, string destination);
}

/// <summary>The rename would cross filesystems (EXDEV): it cannot be atomic.</summary>
internal sealed class CrossDeviceMoveException(string message) : IOException(message);

/// <summary>
/// rename(2) on Linux, called directly: <c>File.Move</c> silently falls back to copy + delete across filesystems,
/// which would write the final path non-atomically. Elsewhere <c>File.Move</c>.
/// </summary>
internal sealed partial class RenameFileMover : IFileMover
{
    private const int CrossDevice = 18; // EXDEV

    public void Move(string source, string destination)
    {
        if (!OperatingSystem.IsLinux())
        {
            File.Move(source, destination, overwrite: true);
            return;
        }

        if (Rename(source, destination) != 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            if (errno == CrossDevice)
            {
                throw new CrossDeviceMoveException($"'{source}' and '{destination}' are on different filesystems.");
            }

            throw new IOException($"rename '{source}' -> '{destination}' failed (errno {errno}).");
        }
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Rename(string oldPath, string newPath);
}
