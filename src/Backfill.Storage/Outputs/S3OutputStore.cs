using System.Globalization;
using System.Runtime.CompilerServices;
using Backfill.Core.Errors;
using Backfill.Core.IO;
using Backfill.ObjectStorage;
using Backfill.Storage.Publish;
using ParquetSharp;

namespace Backfill.Storage.Outputs;

/// <summary>
/// Outputs in an S3 bucket (or an S3-compatible store) below a prefix: <c>s3://bucket/prefix/{key}</c>. A publish
/// writes the file in the local work folder, hashes it, then sends it as a multipart upload (one part up to 64 MiB) with
/// each part's SHA-256 as <c>x-amz-checksum-sha256</c>, which S3 checks before it stores anything, and the file's as
/// <c>x-amz-meta-sha256</c> (with <c>size</c>, <c>rows</c> for Parquet and the caller's short metadata); a HEAD then
/// checks size and SHA-256. An object becomes visible only when its multipart completion succeeds, so a killed
/// publish leaves no object: at most a local temp file or an incomplete multipart upload, which
/// <see cref="CleanLeftoversAsync"/> finds and removes where the store can list them.
/// </summary>
public sealed class S3OutputStore : IOutputStore, IDisposable
{
    /// <summary>User metadata S3 allows per object is 2 KB; what the caller gives beyond this is left out.</summary>
    private const int MetadataBudget = 1800;

    private readonly S3Location _location;
    private readonly S3Bucket _bucket;
    private readonly string _workDirectory;

    public S3OutputStore(S3Location location, S3ConnectionOptions connection, string workDirectory)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentException.ThrowIfNullOrWhiteSpace(workDirectory);
        _location = location;
        _bucket = new S3Bucket(location.Bucket, connection);
        _workDirectory = Path.GetFullPath(workDirectory);
    }

    /// <summary>Test hook: called after a step of a publish ("written": the local file is complete, nothing uploaded yet) to simulate a process killed there.</summary>
    internal Func<string, Task>? AfterPublishStep
    {
        get => _afterPublishStep;
        set
        {
            _afterPublishStep = value;
            _keepTempOnStop = value is not null;
        }
    }

    private Func<string, Task>? _afterPublishStep;
    private bool _keepTempOnStop;

    public string Root => _location.ToString();

    /// <summary>The bucket, for counters and descriptions.</summary>
    public S3Bucket Bucket => _bucket;

    public string LocationOf(string key) => $"{Root}/{CheckedKey(key)}";

    public string? KeyOf(string location)
    {
        if (string.IsNullOrEmpty(location) || !location.StartsWith(Root + "/", StringComparison.Ordinal))
        {
            return null;
        }

        var key = location[(Root.Length + 1)..];
        return key.Length == 0 || key.Split('/').Any(part => part is "" or "." or "..") ? null : key;
    }

    public Task CheckAccessAsync(CancellationToken cancellationToken) => _bucket.CheckAccessAsync(_location.KeyFor(string.Empty), cancellationToken);

    public async Task<StoredObject> PublishAsync(
        string key, Func<string, CancellationToken, Task> writeAsync, IReadOnlyDictionary<string, string>? metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(writeAsync);
        var finalKey = _location.KeyFor(CheckedKey(key));
        var name = key[(key.LastIndexOf('/') + 1)..];
        DeleteStaleTemps(name);

        OwnerOnly.CreateDirectory(_workDirectory);
        var temp = Path.Combine(_workDirectory, "." + name + "." + Guid.NewGuid().ToString("N") + ".tmp");
        var completed = false;
        try
        {
            await writeAsync(temp, cancellationToken);
            var size = new FileInfo(temp).Length;
            var sha256 = await AtomicFilePublisher.HashFileAsync(temp, cancellationToken);
            var objectMetadata = ObjectMetadata(temp, sha256, size, metadata);
            await StepAsync("written");

            // The multipart completion makes the whole object visible at once; an upload cut off leaves no object.
            await _bucket.PutFileAsync(finalKey, temp, objectMetadata, cancellationToken);
            var head = await _bucket.HeadAsync(finalKey, cancellationToken);
            if (head is null || head.Size != size || head.Metadata.GetValueOrDefault("sha256") != sha256)
            {
                throw new FileCorruptionException(
                    $"{LocationOf(key)} does not hold what was uploaded: {(head is null ? "no object" : $"{head.Size} bytes, sha256 {head.Metadata.GetValueOrDefault("sha256") ?? "missing"}")}, expected {size} bytes, sha256 {sha256}.");
            }

            completed = true;
            return new StoredObject(key, LocationOf(key), size, sha256);
        }
        finally
        {
            // A publish stopped by the test hook keeps its temp file, as a killed process would.
            if (completed || !_keepTempOnStop)
            {
                File.Delete(temp);
            }
        }
    }

    public async Task<StoredObject?> StatAsync(string key, CancellationToken cancellationToken)
    {
        var head = await _bucket.HeadAsync(_location.KeyFor(CheckedKey(key)), cancellationToken);
        return head is null ? null : new StoredObject(key, LocationOf(key), head.Size, head.Metadata.GetValueOrDefault("sha256"));
    }

    public async IAsyncEnumerable<StoredObject> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var root = _location.KeyFor(string.Empty);
        await foreach (var entry in _bucket.ListAsync(root + prefix, cancellationToken))
        {
            var key = entry.Key[root.Length..];
            if (key.Length > 0 && !key.Split('/').Any(part => part.Length == 0 || part.StartsWith('.')))
            {
                yield return new StoredObject(key, LocationOf(key), entry.Size, null);
            }
        }
    }

    public async Task<LocalCopy> OpenLocalAsync(string key, CancellationToken cancellationToken)
    {
        OwnerOnly.CreateDirectory(_workDirectory);
        var path = Path.Combine(_workDirectory, ".download-" + Guid.NewGuid().ToString("N") + ".tmp");
        try
        {
            await _bucket.DownloadAsync(_location.KeyFor(CheckedKey(key)), path, cancellationToken);
            return new LocalCopy(path, temporary: true);
        }
        catch (NoDataException)
        {
            File.Delete(path);
            throw new FileNotFoundException($"{LocationOf(key)} does not exist.", LocationOf(key));
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var full = _location.KeyFor(CheckedKey(key));
        if (await _bucket.HeadAsync(full, cancellationToken) is null)
        {
            return false;
        }

        await _bucket.DeleteAsync(full, cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<Leftover>> CleanLeftoversAsync(bool dryRun, CancellationToken cancellationToken)
    {
        var found = new List<Leftover>();
        var localTemps = new List<string>();
        if (Directory.Exists(_workDirectory))
        {
            foreach (var file in Directory.GetFiles(_workDirectory).Order(StringComparer.Ordinal))
            {
                var name = Path.GetFileName(file);
                if (name.StartsWith('.') && name.EndsWith(".tmp", StringComparison.Ordinal))
                {
                    localTemps.Add(file);
                    found.Add(new Leftover(file, SizeOf(file), "temp file of an interrupted publish or download", InOutputRoot: false));
                }
            }
        }

        var uploads = await _bucket.ListPendingUploadsAsync(_location.KeyFor(string.Empty), cancellationToken) ?? [];
        foreach (var upload in uploads)
        {
            found.Add(new Leftover($"s3://{_location.Bucket}/{upload.Key}", 0,
                $"incomplete multipart upload {upload.UploadId}" + (upload.Initiated is { } when ? $" started {when:yyyy-MM-dd HH:mm} UTC" : string.Empty), InOutputRoot: true));
        }

        if (!dryRun)
        {
            foreach (var file in localTemps)
            {
                File.Delete(file);
            }

            foreach (var upload in uploads)
            {
                await _bucket.AbortUploadAsync(upload.Key, upload.UploadId, cancellationToken);
            }
        }

        return found;
    }

    /// <summary>
    /// Null: an object's protection in a bucket is the bucket's policy and its public-access block, not a per-object
    /// mode; checking them needs rights (s3:GetBucketPolicyStatus) workers need not have. See docs/object-storage.md.
    /// </summary>
    public string? PermissionProblem(string key) => null;

    public void Dispose() => _bucket.Dispose();

    /// <summary>Removes the local temp files an earlier killed publish of the same name left (the caller holds the unit's claim).</summary>
    private void DeleteStaleTemps(string name)
    {
        if (!Directory.Exists(_workDirectory))
        {
            return;
        }

        foreach (var stale in Directory.EnumerateFiles(_workDirectory, "." + name + ".*.tmp"))
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

    private Task StepAsync(string step) => _afterPublishStep is { } hook ? hook(step) : Task.CompletedTask;

    /// <summary>
    /// <c>sha256</c>, <c>size</c>, <c>rows</c> (Parquet footer) and the caller's short ASCII metadata (the Parquet
    /// key-value pairs such as <c>backfill.date</c>), within S3's 2 KB of user metadata.
    /// </summary>
    private static Dictionary<string, string> ObjectMetadata(string path, string sha256, long size, IReadOnlyDictionary<string, string>? given)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["sha256"] = sha256,
            ["size"] = size.ToString(CultureInfo.InvariantCulture),
        };
        if (ParquetRows(path) is { } rows)
        {
            result["rows"] = rows.ToString(CultureInfo.InvariantCulture);
        }

        var used = result.Sum(p => p.Key.Length + p.Value.Length);
        foreach (var (name, value) in given ?? new Dictionary<string, string>())
        {
            var cleanName = name.ToLowerInvariant();
            if (value.Length is 0 or > 200 || !cleanName.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '.' or '_' or '-')
                || !value.All(c => c is >= ' ' and <= '~') || result.ContainsKey(cleanName) || used + cleanName.Length + value.Length > MetadataBudget)
            {
                continue;
            }

            result[cleanName] = value;
            used += cleanName.Length + value.Length;
        }

        return result;
    }

    private static long? ParquetRows(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            Span<byte> magic = stackalloc byte[4];
            if (stream.Length < 12 || stream.Read(magic) != 4 || !magic.SequenceEqual("PAR1"u8))
            {
                return null;
            }
        }
        catch (IOException)
        {
            return null;
        }

        try
        {
            using var reader = new ParquetFileReader(path);
            return reader.FileMetaData.NumRows;
        }
        catch (ParquetException)
        {
            return null;
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

    private static string CheckedKey(string key)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(key);
        if (key.StartsWith('/') || key.Split('/').Any(part => part is "" or "." or "..") || key.Contains('\\', StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{key}' is not a relative key.", nameof(key));
        }

        return key;
    }
}
