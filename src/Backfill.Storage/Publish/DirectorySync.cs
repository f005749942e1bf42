using System.Runtime.InteropServices;

namespace Backfill.Storage.Publish;

/// <summary>
/// Makes a rename durable by fsyncing the directory that holds the new name. .NET cannot open a directory as a
/// file handle (<c>File.OpenHandle</c> rejects directories on Linux), so this calls libc <c>open(O_DIRECTORY)</c>
/// and <c>fsync</c> directly. On Windows (NTFS journals metadata) and where libc is missing it is a no-op.
/// </summary>
public static partial class DirectorySync
{
    private const int ReadOnly = 0;
    private const int OpenDirectory = 0x10000; // O_DIRECTORY on Linux x64 and arm64.
    private const int CloseOnExec = 0x80000;   // O_CLOEXEC

    public static void Fsync(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(directory, ReadOnly | OpenDirectory | CloseOnExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"Could not open directory '{directory}' to fsync it (errno {errno}).");
        }

        try
        {
            if (FsyncFd(fd) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"fsync of directory '{directory}' failed (errno {errno}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int FsyncFd(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
