using System.Security.Cryptography;
using Backfill.Core.IO;

namespace Backfill.Storage.Publish;

/// <summary>
/// Publishes a file so that its final path only ever holds a complete, fsynced file: the content is written to a
/// temp file in the work directory, fsynced, hashed, made 0600, renamed over the final path (parents created 0700),
/// and the destination directory is fsynced. When the work directory is on another filesystem, the temp file is
/// first copied into <c>{outputRoot}/.incoming</c> (same filesystem as the destination) and renamed from there.
/// </summary>
public sealed class AtomicFilePublisher
{
    /// <summary>Hidden staging folder at the output root; never a dataset output, ignored by listings and verify.</summary>
    public const string IncomingFolderName = ".incoming";

    private const UnixFileMode FileMode0600 = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private readonly string _workDirectory;
    private readonly string _outputRoot;
    private readonly IFileMover _mover;

    public AtomicFilePublisher(string workDirectory, string outputRoot)
        : this(workDirectory, outputRoot, new RenameFileMover())
    {
    }

    internal AtomicFilePublisher(string workDirectory, string outputRoot, IFileMover mover)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(workDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(outputRoot);
        _workDirectory = Path.GetFullPath(workDirectory);
        _outputRoot = Path.GetFullPath(outputRoot);
        _mover = mover;
    }

    /// <summary>
    /// Calls <paramref name="writeAsync"/> with a temp path to fill, then publishes that file at
    /// <paramref name="finalPath"/> (which must lie under the output root).
    /// </summary>
    public async Task<PublishedFile> PublishAsync(string finalPath, Func<string, CancellationToken, Task> writeAsync, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(writeAsync);
        var final = Path.GetFullPath(finalPath);
        if (!final.StartsWith(_outputRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{finalPath}' is not under the output root '{_outputRoot}'.", nameof(finalPath));
        }

        CreateDirectory(_workDirectory);
        var tempName = "." + Path.GetFileName(final) + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var temp = Path.Combine(_workDirectory, tempName);
        string? incoming = null;
        try
        {
            await writeAsync(temp, cancellationToken);
            var (size, sha256) = await FsyncAndHashAsync(temp, cancellationToken);
            SetFileMode(temp);
            var finalDirectory = Path.GetDirectoryName(final)!;
            CreateDirectory(finalDirectory);
            try
            {
                _mover.Move(temp, final);
            }
            catch (CrossDeviceMoveException)
            {
                var incomingDirectory = Path.Combine(_outputRoot, IncomingFolderName);
                CreateDirectory(incomingDirectory);
                incoming = Path.Combine(incomingDirectory, tempName);
                await CopyAsync(temp, incoming, cancellationToken);
                var (_, copiedSha) = await FsyncAndHashAsync(incoming, cancellationToken);
                if (copiedSha != sha256)
                {
                    throw new IOException($"Copy of '{temp}' into '{incomingDirectory}' does not match the original.");
                }

                SetFileMode(incoming);
                _mover.Move(incoming, final);
                incoming = null;
                File.Delete(temp);
            }

            DirectorySync.Fsync(finalDirectory);
            return new PublishedFile(final, size, sha256);
        }
        finally
        {
            TryDelete(temp);
            if (incoming is not null)
            {
                TryDelete(incoming);
            }
        }
    }

    /// <summary>Removes leftovers of interrupted cross-filesystem publishes; returns how many files were deleted.</summary>
    public int CleanIncoming()
    {
        var incomingDirectory = Path.Combine(_outputRoot, IncomingFolderName);
        if (!Directory.Exists(incomingDirectory))
        {
            return 0;
        }

        var deleted = 0;
        foreach (var file in Directory.EnumerateFiles(incomingDirectory))
        {
            File.Delete(file);
            deleted++;
        }

        return deleted;
    }

    /// <summary>Streams a file through SHA-256; lower-case hex.</summary>
    public static async Task<string> HashFileAsync(string path, CancellationToken cancellationToken = default)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }

    private static async Task<(long Size, string Sha256)> FsyncAndHashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        stream.Flush(flushToDisk: true);
        var hash = await SHA256.HashDataAsync(stream, cancellationToken);
        return (stream.Length, Convert.ToHexStringLower(hash));
    }

    private static async Task CopyAsync(string source, string destination, CancellationToken cancellationToken)
    {
        await using var input = new FileStream(source, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await using var output = new FileStream(destination, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous);
        await input.CopyToAsync(output, cancellationToken);
        await output.FlushAsync(cancellationToken);
    }

    private static void SetFileMode(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, FileMode0600);
        }
    }

    private static void CreateDirectory(string path) => OwnerOnly.CreateDirectory(path);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp file is harmless (never at a final path) and cleanup removes it.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
