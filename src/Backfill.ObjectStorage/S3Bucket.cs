using System.Net;
using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Backfill.Core.Errors;
using Backfill.Core.IO;
using Polly;
using InvalidRequestException = Backfill.Core.Errors.InvalidRequestException;

namespace Backfill.ObjectStorage;

/// <summary>An object as listed: key, size and last change.</summary>
public sealed record S3Entry(string Key, long Size, DateTimeOffset? LastModified);

/// <summary>An object's head: size and user metadata (names without the <c>x-amz-meta-</c> prefix, lower case).</summary>
public sealed record S3Head(string Key, long Size, IReadOnlyDictionary<string, string> Metadata);

/// <summary>A multipart upload that was started and never completed nor aborted.</summary>
public sealed record S3PendingUpload(string Key, string UploadId, DateTimeOffset? Initiated);

/// <summary>
/// One bucket through the official AWS SDK: SigV4, the standard credential chain, ListObjectsV2 paging, streamed and
/// ranged GETs, multipart uploads with a SHA-256 checksum the server checks where it supports it. The
/// SDK's own retries are off; every request goes through the project's retry table (throttling, resets and server
/// errors retried; refused credentials never), and every failure leaves as a typed <see cref="BackfillException"/>.
/// </summary>
public sealed class S3Bucket : IDisposable
{
    private readonly AmazonS3Client _client;
    private readonly ResiliencePipeline _retry;
    private readonly S3ConnectionOptions _options;
    private int _requests;
    private int _retries;

    public S3Bucket(string bucket, S3ConnectionOptions options)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(bucket);
        ArgumentNullException.ThrowIfNull(options);
        Name = bucket;
        _options = options;
        var config = new AmazonS3Config
        {
            ForcePathStyle = options.ForcePathStyle,
            MaxErrorRetry = 0,
            Timeout = options.RequestTimeout,

            // Checksums only where an operation needs one: ours are given explicitly (x-amz-checksum-sha256), and
            // the SDK's default trailing checksums need aws-chunked bodies that many S3-compatible stores refuse.
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        if (options.Region is { } region)
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        if (options.Endpoint is { } endpoint)
        {
            config.ServiceURL = endpoint.ToString();
            config.AuthenticationRegion = options.Region ?? "us-east-1";
        }
        else if (options.Region is null && FallbackRegionFactory.GetRegionEndpoint() is null)
        {
            config.RegionEndpoint = RegionEndpoint.USEast1;
        }

        _client = options.Credentials is { } credentials ? new AmazonS3Client(credentials, config) : new AmazonS3Client(config);
        _retry = RetryPipeline.Create(options.Retry, (_, _, _) =>
        {
            Interlocked.Increment(ref _retries);
            return ValueTask.CompletedTask;
        });
    }

    public string Name { get; }

    /// <summary>Requests sent, retries included.</summary>
    public int Requests => _requests;

    /// <summary>Requests retried after a transient failure.</summary>
    public int Retries => _retries;

    /// <summary>Where the bucket is reached, safe to print.</summary>
    public string Describe() => $"s3://{Name} at {_options.Describe()}";

    /// <summary>One cheap listing (one key) that fails with <see cref="ObjectStoreAccessException"/> when the bucket refuses us.</summary>
    public Task CheckAccessAsync(string prefix, CancellationToken cancellationToken) =>
        RunAsync("listing", null, async ct =>
        {
            await _client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = Name, Prefix = prefix, MaxKeys = 1 }, ct);
            return true;
        }, cancellationToken);

    /// <summary>Every object whose key starts with <paramref name="prefix"/>, in S3's (UTF-8 binary) key order, page by page.</summary>
    public async IAsyncEnumerable<S3Entry> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        string? token = null;
        do
        {
            var request = new ListObjectsV2Request { BucketName = Name, Prefix = prefix, MaxKeys = _options.ListPageSize, ContinuationToken = token };
            var page = await RunAsync("listing", prefix, ct => _client.ListObjectsV2Async(request, ct), cancellationToken);
            foreach (var item in page.S3Objects ?? [])
            {
                yield return new S3Entry(item.Key, item.Size ?? 0, item.LastModified is { } when ? new DateTimeOffset(when.ToUniversalTime(), TimeSpan.Zero) : null);
            }

            token = page.IsTruncated == true
                ? page.NextContinuationToken ?? throw new InvalidResponseException($"s3://{Name}: a truncated listing gave no continuation token.")
                : null;
        }
        while (token is not null);
    }

    /// <summary>The object's head, or null when there is none.</summary>
    public async Task<S3Head?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync("HEAD", key, async ct =>
            {
                var head = await _client.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = Name, Key = key }, ct);
                var metadata = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                foreach (var name in head.Metadata.Keys)
                {
                    var shortName = name.StartsWith("x-amz-meta-", StringComparison.OrdinalIgnoreCase) ? name[11..] : name;
                    metadata[shortName.ToLowerInvariant()] = head.Metadata[name];
                }

                return new S3Head(key, head.ContentLength, metadata);
            }, cancellationToken);
        }
        catch (NoDataException)
        {
            return null;
        }
    }

    /// <summary>
    /// Streams the object (or the byte range [<paramref name="from"/>, <paramref name="to"/>]) into a new owner-only
    /// file at <paramref name="path"/>; its length must match what the server announced. Returns the bytes written.
    /// </summary>
    public Task<long> DownloadAsync(string key, string path, CancellationToken cancellationToken, long? from = null, long? to = null) =>
        RunAsync("GET", key, async ct =>
        {
            var request = new GetObjectRequest { BucketName = Name, Key = key };
            if (from is { } start)
            {
                request.ByteRange = new ByteRange(start, to ?? long.MaxValue);
            }

            using var response = await _client.GetObjectAsync(request, ct);
            var expected = response.ContentLength;
            await using var file = new FileStream(path, OwnerOnly.WriteOptions(FileMode.Create, FileOptions.Asynchronous, 1 << 16));
            await response.ResponseStream.CopyToAsync(file, 1 << 16, ct);
            return file.Length == expected
                ? file.Length
                : throw new ConnectionFailedException($"The body of s3://{Name}/{key} ended early: {file.Length} of {expected} bytes.");
        }, cancellationToken);

    /// <summary>
    /// Uploads a local file to <paramref name="key"/> as a multipart upload (one part up to
    /// <see cref="S3ConnectionOptions.PartSize"/>), each part with its SHA-256 as <c>x-amz-checksum-sha256</c>, which S3
    /// checks (for a one-part file that is the whole file's SHA-256); the file's SHA-256 (hex) goes in the metadata the
    /// caller gives. Multipart and not a single PUT because the object then becomes visible only when the completion
    /// succeeds on every S3-compatible store: some (s3rver) write a PUT's body in place, so a PUT cut off mid-body leaves
    /// a truncated object at the key, while an unfinished multipart upload never shows. A failed upload is aborted; one
    /// killed with the process stays as an incomplete upload for <c>backfill cleanup --temp-files</c>.
    /// </summary>
    public Task PutFileAsync(string key, string path, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) =>
        PutMultipartAsync(key, path, new FileInfo(path).Length, metadata, cancellationToken);

    /// <summary>
    /// Copies <paramref name="sourceKey"/> to <paramref name="destinationKey"/> with its metadata. With
    /// <paramref name="onlyIfAbsent"/> the copy is conditional (<c>If-None-Match: *</c>); false when an object was
    /// already there. A store that does not implement conditional copies gets a plain one.
    /// </summary>
    public async Task<bool> CopyAsync(string sourceKey, string destinationKey, bool onlyIfAbsent, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync("copy", destinationKey, async ct =>
            {
                var request = new CopyObjectRequest { SourceBucket = Name, SourceKey = sourceKey, DestinationBucket = Name, DestinationKey = destinationKey, MetadataDirective = S3MetadataDirective.COPY };
                if (onlyIfAbsent)
                {
                    request.IfNoneMatch = "*";
                }

                try
                {
                    await _client.CopyObjectAsync(request, ct);
                    return true;
                }
                catch (AmazonS3Exception e) when (onlyIfAbsent && e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
                {
                    return false;
                }
            }, cancellationToken);
        }
        catch (InvalidRequestException e) when (onlyIfAbsent && S3Errors.IsNotImplemented(e))
        {
            return await CopyAsync(sourceKey, destinationKey, onlyIfAbsent: false, cancellationToken);
        }
    }

    /// <summary>Deletes an object (S3 answers the same whether it was there or not).</summary>
    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        RunAsync("DELETE", key, async ct =>
        {
            await _client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = Name, Key = key }, ct);
            return true;
        }, cancellationToken);

    /// <summary>Multipart uploads under <paramref name="prefix"/> never completed; null when the store cannot list them.</summary>
    public async Task<IReadOnlyList<S3PendingUpload>?> ListPendingUploadsAsync(string prefix, CancellationToken cancellationToken)
    {
        var found = new List<S3PendingUpload>();
        string? keyMarker = null, uploadMarker = null;
        try
        {
            do
            {
                var request = new ListMultipartUploadsRequest { BucketName = Name, Prefix = prefix, KeyMarker = keyMarker, UploadIdMarker = uploadMarker };
                var page = await RunAsync("multipart listing", prefix, ct => _client.ListMultipartUploadsAsync(request, ct), cancellationToken);
                found.AddRange((page.MultipartUploads ?? []).Select(u => new S3PendingUpload(u.Key, u.UploadId, u.Initiated is { } when ? new DateTimeOffset(when.ToUniversalTime(), TimeSpan.Zero) : null)));
                (keyMarker, uploadMarker) = page.IsTruncated == true ? (page.NextKeyMarker, page.NextUploadIdMarker) : (null, null);
            }
            while (keyMarker is not null);
        }
        catch (BackfillException e) when (S3Errors.IsNotImplemented(e))
        {
            return null;
        }

        return found;
    }

    /// <summary>Aborts a multipart upload, freeing its parts.</summary>
    public Task AbortUploadAsync(string key, string uploadId, CancellationToken cancellationToken) =>
        RunAsync("abort of a multipart upload", key, async ct =>
        {
            await _client.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = Name, Key = key, UploadId = uploadId }, ct);
            return true;
        }, cancellationToken);

    /// <summary>Creates the bucket (tests and first-time setup of an S3-compatible store); true when it was created.</summary>
    public async Task<bool> CreateIfMissingAsync(CancellationToken cancellationToken)
    {
        try
        {
            await RunAsync("bucket creation", null, async ct =>
            {
                await _client.PutBucketAsync(new PutBucketRequest { BucketName = Name }, ct);
                return true;
            }, cancellationToken);
            return true;
        }
        catch (InvalidRequestException e) when (e.InnerException is AmazonS3Exception { ErrorCode: "BucketAlreadyOwnedByYou" or "BucketAlreadyExists" })
        {
            return false;
        }
    }

    public void Dispose() => _client.Dispose();

    private async Task PutMultipartAsync(string key, string path, long size, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var start = new InitiateMultipartUploadRequest { BucketName = Name, Key = key, ChecksumAlgorithm = ChecksumAlgorithm.SHA256 };
        AddMetadata(start.Metadata, metadata);
        var upload = await RunAsync("multipart start", key, ct => _client.InitiateMultipartUploadAsync(start, ct), cancellationToken);
        try
        {
            var parts = new List<PartETag>();
            var number = 1;
            // An empty file is one empty part.
            for (long offset = 0; offset < size || number == 1; offset += _options.PartSize, number++)
            {
                var length = Math.Min(_options.PartSize, size - offset);
                var checksum = Convert.ToBase64String(await HashRangeAsync(path, offset, length, cancellationToken));
                var partNumber = number;
                var position = offset;
                var part = await RunAsync("part upload", key, ct => _client.UploadPartAsync(
                    new UploadPartRequest
                    {
                        BucketName = Name, Key = key, UploadId = upload.UploadId, PartNumber = partNumber, FilePath = path, FilePosition = position,
                        PartSize = length, UseChunkEncoding = false, ChecksumSHA256 = checksum,
                    }, ct), cancellationToken);
                parts.Add(new PartETag { PartNumber = partNumber, ETag = part.ETag, ChecksumSHA256 = checksum });
            }

            await RunAsync("multipart completion", key, ct => _client.CompleteMultipartUploadAsync(
                new CompleteMultipartUploadRequest { BucketName = Name, Key = key, UploadId = upload.UploadId, PartETags = parts }, ct), cancellationToken);
        }
        catch
        {
            try
            {
                await AbortUploadAsync(key, upload.UploadId, CancellationToken.None);
            }
            catch (BackfillException)
            {
                // Left for 'backfill cleanup --temp-files'.
            }

            throw;
        }
    }

    private static async Task<byte[]> HashRangeAsync(string path, long offset, long length, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        file.Position = offset;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        while (length > 0)
        {
            var read = await file.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length)), cancellationToken);
            if (read == 0)
            {
                throw new IOException($"'{path}' is shorter than expected.");
            }

            sha.AppendData(buffer, 0, read);
            length -= read;
        }

        return sha.GetHashAndReset();
    }

    private static void AddMetadata(MetadataCollection target, IReadOnlyDictionary<string, string> metadata)
    {
        foreach (var (name, value) in metadata)
        {
            target.Add(name, value);
        }
    }

    private async Task<T> RunAsync<T>(string operation, string? key, Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken) =>
        await _retry.ExecuteAsync(async ct =>
        {
            Interlocked.Increment(ref _requests);
            try
            {
                return await call(ct);
            }
            catch (Exception e) when (e is not BackfillException && !(e is OperationCanceledException && ct.IsCancellationRequested))
            {
                throw S3Errors.Translate(e, operation, Name, key, ct);
            }
        }, cancellationToken);
}
