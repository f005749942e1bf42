namespace Backfill.Storage.Outputs;

/// <summary>
/// Where every dataset's outputs live: published, listed, read back, verified and deleted through this interface
/// only. Objects are named by a <em>key</em>, a relative path with <c>/</c> separators
/// (<c>spx/2024/06/12/spx-options-2024-06-12.parquet</c>); the store turns a key into the location the ledger records.
/// The seam is shaped for object storage as well as a folder: publishing is all-or-nothing (no rename is promised),
/// listing is by key prefix, and each object can carry metadata.
/// </summary>
public interface IOutputStore
{
    /// <summary>The store's root as a user would write it (a folder, or a URI such as <c>s3://bucket/prefix</c>).</summary>
    string Root { get; }

    /// <summary>The location of <paramref name="key"/> as the ledger records it and messages show it.</summary>
    string LocationOf(string key);

    /// <summary>The key of a location this store returned, or null when the location is not inside this store.</summary>
    string? KeyOf(string location);

    /// <summary>
    /// Calls <paramref name="writeAsync"/> with a local temp path to fill, then makes the object visible at
    /// <paramref name="key"/> whole or not at all, with owner-only permissions, and returns its size and SHA-256.
    /// Leftovers of an earlier killed publish of the same key are removed first (the caller holds the unit's claim).
    /// </summary>
    Task<StoredObject> PublishAsync(
        string key, Func<string, CancellationToken, Task> writeAsync, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken);

    /// <summary>The object at <paramref name="key"/>, or null when there is none.</summary>
    Task<StoredObject?> StatAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every object whose key starts with <paramref name="prefix"/>, in ordinal key order; hidden work areas are never listed.</summary>
    IAsyncEnumerable<StoredObject> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>
    /// A local file holding the object's bytes, for readers that need a path (Parquet): the file itself on a local
    /// store, a downloaded copy elsewhere. Dispose it when done.
    /// </summary>
    Task<LocalCopy> OpenLocalAsync(string key, CancellationToken cancellationToken);

    /// <summary>Deletes an object; false when it was not there.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// What interrupted publishes left behind (temp files, partial uploads), removed unless <paramref name="dryRun"/>.
    /// Only call it while no publish is under way: a live publish's temp file looks the same.
    /// </summary>
    Task<IReadOnlyList<Leftover>> CleanLeftoversAsync(bool dryRun, CancellationToken cancellationToken);

    /// <summary>Problems with the object's protection (a local file readable by group or others), or null when it is owner-only.</summary>
    string? PermissionProblem(string key);

    /// <summary>
    /// One cheap request that fails with a typed error when the store refuses us (an object store's credentials or
    /// bucket), so a command can stop with a clear message before any work; a local folder has nothing to check here.
    /// </summary>
    Task CheckAccessAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>An object in an <see cref="IOutputStore"/>: its key, location, size and (where known) SHA-256 of its bytes.</summary>
public sealed record StoredObject(string Key, string Location, long SizeBytes, string? Sha256);

/// <summary>A leftover of an interrupted publish: where it is, its size, and what it is, for the cleanup report.</summary>
public sealed record Leftover(string Location, long Bytes, string Detail, bool InOutputRoot);

/// <summary>A local path holding an object's bytes; deletes the copy on dispose when it is one.</summary>
public sealed class LocalCopy(string path, bool temporary) : IDisposable
{
    public string Path { get; } = path;

    public void Dispose()
    {
        if (temporary)
        {
            try
            {
                File.Delete(Path);
            }
            catch (IOException)
            {
                // A leftover download in the temp folder is harmless.
            }
        }
    }
}
