namespace Backfill.Core.IO;

/// <summary>
/// Creates the folders and files the tool owns so that only their owner can read them (0700 and 0600 on Unix),
/// whatever the process umask: outputs, staging and ledgers hold paid-for data and sometimes secrets.
/// </summary>
public static class OwnerOnly
{
    public const UnixFileMode DirectoryMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    public const UnixFileMode FileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>Creates <paramref name="path"/> and every missing folder above it, each 0700.</summary>
    public static void CreateDirectory(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
            return;
        }

        // Directory.CreateDirectory(path, mode) gives the mode to the last level only; the levels above it would
        // get 0777 less the umask, so each missing level is created on its own.
        var missing = new Stack<string>();
        for (var d = Path.GetFullPath(path); !string.IsNullOrEmpty(d) && !Directory.Exists(d); d = Path.GetDirectoryName(d))
        {
            missing.Push(d);
        }

        while (missing.TryPop(out var d))
        {
            Directory.CreateDirectory(d, DirectoryMode);
            if (!OperatingSystem.IsWindows())
            {
                // mkdir applies the umask; a stricter umask is fine, but chmod keeps the result exact.
                File.SetUnixFileMode(d, DirectoryMode);
            }
        }
    }

    /// <summary>
    /// Creates <paramref name="path"/> below <paramref name="root"/> like <see cref="CreateDirectory"/>, and refuses
    /// when any level below the root is a symbolic link: the tool writes there, and a link planted by someone else
    /// would send its files elsewhere. The root itself may be a link (the user chose it).
    /// </summary>
    /// <exception cref="UnsafeFolderException">A level below the root is a symbolic link.</exception>
    public static void CreateDirectoryBelow(string root, string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var fullRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
        var fullPath = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        for (var d = fullPath; d is not null && d.Length > fullRoot.Length; d = Path.GetDirectoryName(d))
        {
            if (new DirectoryInfo(d).LinkTarget is not null)
            {
                throw new UnsafeFolderException(d);
            }
        }

        CreateDirectory(fullPath);
    }

    /// <summary>Options that open a file for writing and, when it is created, make it 0600.</summary>
    public static FileStreamOptions WriteOptions(System.IO.FileMode mode, FileOptions options = FileOptions.None, int bufferSize = 4096)
    {
        var result = new FileStreamOptions { Mode = mode, Access = FileAccess.Write, Share = FileShare.None, Options = options, BufferSize = bufferSize };
        if (!OperatingSystem.IsWindows())
        {
            result.UnixCreateMode = FileMode;
        }

        return result;
    }

    /// <summary>Writes <paramref name="contents"/> to a new file (replacing nothing) readable only by its owner.</summary>
    public static async Task WriteNewFileAsync(string path, string contents, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, WriteOptions(System.IO.FileMode.CreateNew, FileOptions.Asynchronous));
        await using var writer = new StreamWriter(stream);
        await writer.WriteAsync(contents.AsMemory(), cancellationToken);
    }
}

/// <summary>A folder the tool would write into is a symbolic link it did not create; it refuses rather than follow it.</summary>
public sealed class UnsafeFolderException(string path)
    : IOException($"{path} is a symbolic link; refusing to write through it. Remove it (the tool creates this folder itself) and run again.")
{
    /// <summary>The level that is a link.</summary>
    public string Path { get; } = path;
}
