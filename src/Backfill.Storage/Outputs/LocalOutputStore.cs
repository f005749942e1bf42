using System.Runtime.CompilerServices;
using Backfill.Storage.Publish;

namespace Backfill.Storage.Outputs;

/// <summary>
/// Outputs in a local folder: published by <see cref="AtomicFilePublisher"/> (temp file, fsync, SHA-256, 0600,
/// rename, directory fsync; folders 0700), listed by walking the folder, read in place. Hidden folders such as
/// <c>.incoming</c> are work areas, never outputs. Object metadata is carried inside the files themselves.
/// </summary>
public sealed class LocalOutputStore : IOutputStore
{
    private const UnixFileMode NotOwner =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute |
        UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private readonly string _root;
    private readonly string _workDirectory;

    public LocalOutputStore(string root, string workDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        ArgumentException.ThrowIfNullOrWhiteSpace(workDirectory);
        _root = Path.GetFullPath(root);
        _workDirectory = Path.GetFullPath(workDirectory);
    }

    public string Root => _root;

    public string LocationOf(string key) => Path.Combine(_root, CheckedKey(key).Replace('/', Path.DirectorySeparatorChar));

    public string? KeyOf(string location)
    {
        if (string.IsNullOrEmpty(location))
        {
            return null;
        }

        var relative = Path.GetRelativePath(_root, Path.GetFullPath(location));
        return relative == "." || relative.StartsWith("..", StringComparison.Ordinal) || Path.IsPathRooted(relative)
            ? null
            : relative.Replace(Path.DirectorySeparatorChar, '/');
    }

    public async Task<StoredObject> PublishAsync(
        string key, Func<string, CancellationToken, Task> writeAsync, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        var final = LocationOf(key);
        DeleteStaleTemps(final);
        var published = await new AtomicFilePublisher(_workDirectory, _root).PublishAsync(final, writeAsync, cancellationToken);
        return new StoredObject(key, published.Path, published.SizeBytes, published.Sha256);
    }

    public async Task<StoredObject?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var path = LocationOf(key);
        if (!File.Exists(path))
        {
            return null;
        }

        return new StoredObject(key, path, new FileInfo(path).Length, await AtomicFilePublisher.HashFileAsync(path, cancellationToken));
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // The folder part of the prefix is walked; the rest filters names (keys are compared whole).
        var slash = prefix.LastIndexOf('/');
        var folder = slash < 0 ? _root : Path.Combine(_root, prefix[..slash].Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(folder))
        {
            yield break;
        }

        var keys = new List<string>();
        foreach (var file in Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories))
        {
            var key = KeyOf(file);
            if (key is not null && key.StartsWith(prefix, StringComparison.Ordinal) && !key.Split('/').Any(part => part.StartsWith('.')))
            {
                keys.Add(key);
            }
        }

        keys.Sort(StringComparer.Ordinal);
        foreach (var key in keys)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var path = LocationOf(key);
            long size;
            try
            {
                size = new FileInfo(path).Length;
            }
            catch (FileNotFoundException)
            {
                continue;
            }

            yield return new StoredObject(key, path, size, null);
        }

        await Task.CompletedTask;
    }

    public Task<LocalCopy> OpenLocalAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult(new LocalCopy(LocationOf(key), temporary: false));

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = LocationOf(key);
        if (!File.Exists(path))
        {
            return Task.FromResult(false);
        }

        File.Delete(path);
        RemoveEmptyParents(Path.GetDirectoryName(path)!, Path.Combine(_root, key.Split('/')[0]));
        return Task.FromResult(true);
    }

    /// <summary>Removes folders left empty below the key's first segment (the dataset's folder), which stays.</summary>
    private static void RemoveEmptyParents(string directory, string stopAt)
    {
        while (directory.StartsWith(stopAt + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            && Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
        {
            Directory.Delete(directory);
            directory = Path.GetDirectoryName(directory)!;
        }
    }

    private static long SizeOf(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public Task<IReadOnlyList<Leftover>> CleanLeftoversAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var found = new List<Leftover>();
        if (Directory.Exists(_workDirectory))
        {
            foreach (var file in Directory.GetFiles(_workDirectory).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                if (name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal))
                {
                    found.Add(new Leftover(file, SizeOf(file), "temp file of an interrupted publish", InOutputRoot: false));
                }
            }
        }

        var incoming = Path.Combine(_root, AtomicFilePublisher.IncomingFolderName);
        if (Directory.Exists(incoming))
        {
            foreach (var file in Directory.GetFiles(incoming).Order(StringComparer.Ordinal))
            {
                found.Add(new Leftover(file, SizeOf(file), "leftover of an interrupted cross-filesystem publish", InOutputRoot: true));
            }
        }

        if (!dryRun)
        {
            foreach (var leftover in found)
            {
                File.Delete(leftover.Location);
            }
        }

        return Task.FromResult<IReadOnlyList<Leftover>>(found);
    }

    public string? PermissionProblem(string key)
    {
        var path = LocationOf(key);
        if (OperatingSystem.IsWindows() || !File.Exists(path))
        {
            return null;
        }

        var mode = File.GetUnixFileMode(path);
        return (mode & NotOwner) == 0
            ? null
            : $"'{path}' has mode 0{Convert.ToString((int)mode & 0xFFF, 8)}; output files must be owner-only (0600). Fix: chmod 600 '{path}'.";
    }

    private static string CheckedKey(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        if (key.StartsWith('/') || key.Split('/').Any(part => part is "" or "." or ".."))
        {
            throw new ArgumentException($"'{key}' is not a relative key.", nameof(key));
        }

        return key;
    }

    /// <summary>
    /// Removes temp files a killed earlier publish of this key left in the work folder (each is as large as the
    /// output, so repeated crashes would otherwise fill the disk). Only this key's: other keys' temps may belong to
    /// live workers.
    /// </summary>
    private void DeleteStaleTemps(string finalPath)
    {
        if (!Directory.Exists(_workDirectory))
        {
            return;
        }

        foreach (var stale in Directory.EnumerateFiles(_workDirectory, "." + Path.GetFileName(finalPath) + ".*.tmp"))
        {
            try
            {
                File.Delete(stale);
            }
            catch (IOException)
            {
                // Left for 'backfill cleanup --temp-files'.
            }
        }
    }
}
