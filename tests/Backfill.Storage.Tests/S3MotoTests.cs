using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Backfill.ObjectStorage;
using Backfill.Storage.Outputs;
using Backfill.Tests.Shared;
using S3Bucket = Backfill.ObjectStorage.S3Bucket;
using S3Location = Backfill.ObjectStorage.S3Location;

namespace Backfill.Storage.Tests;

/// <summary>The store contract on a second S3-compatible server, moto (see <see cref="MotoTestServer"/>).</summary>
public sealed class S3OutputStoreMotoContractTests : S3StoreContract
{
    protected override string Bucket => MotoTestServer.Bucket;

    protected override async Task<(IAsyncDisposable Server, Uri Endpoint)> StartServerAsync()
    {
        var server = await S3MotoTests.StartWithBucketAsync();
        return (server, server.Endpoint);
    }
}

/// <summary>What only moto of the two test servers implements: listing and aborting incomplete multipart uploads.</summary>
public sealed class S3MotoTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private MotoTestServer? _server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        _temp.Dispose();
    }

    internal static async Task<MotoTestServer> StartWithBucketAsync()
    {
        var server = await MotoTestServer.StartAsync();
        using var bucket = new S3Bucket(MotoTestServer.Bucket, S3OutputStoreContractTests.Connection(server.Endpoint));
        await bucket.CreateIfMissingAsync(TestContext.Current.CancellationToken);
        return server;
    }

    [Fact]
    public async Task Cleanup_lists_the_incomplete_multipart_uploads_a_killed_publish_leaves_under_the_prefix_and_aborts_them()
    {
        _server = await StartWithBucketAsync();
        var connection = S3OutputStoreContractTests.Connection(_server.Endpoint);
        using var store = new S3OutputStore(new S3Location(MotoTestServer.Bucket, "team"), connection, _temp.Combine("work"));
        var published = await store.PublishAsync("tiny/2024/06/11/tiny-2024-06-11.bin", (path, ct) => File.WriteAllBytesAsync(path, [1, 2, 3], ct), null, Ct);

        // What a publish killed between its part upload and its completion leaves: an upload with a part, no object.
        using var client = new AmazonS3Client(new BasicAWSCredentials(S3TestServer.AccessKey, S3TestServer.AccessKey),
            new AmazonS3Config { ServiceURL = _server.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1", MaxErrorRetry = 0 });
        var killed = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = MotoTestServer.Bucket, Key = "team/tiny/2024/06/12/tiny-2024-06-12.bin" }, Ct);
        await client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = MotoTestServer.Bucket, Key = "team/tiny/2024/06/12/tiny-2024-06-12.bin", UploadId = killed.UploadId, PartNumber = 1,
            InputStream = new MemoryStream(new byte[1000]), UseChunkEncoding = false,
        }, Ct);
        var elsewhere = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = MotoTestServer.Bucket, Key = "other-team/x.bin" }, Ct);
        Assert.Null(await store.StatAsync("tiny/2024/06/12/tiny-2024-06-12.bin", Ct));

        var dry = await store.CleanLeftoversAsync(dryRun: true, Ct);
        var leftover = Assert.Single(dry);
        Assert.Equal("s3://backfill-test/team/tiny/2024/06/12/tiny-2024-06-12.bin", leftover.Location);
        Assert.Contains($"incomplete multipart upload {killed.UploadId}", leftover.Detail, StringComparison.Ordinal);

        Assert.Single(await store.CleanLeftoversAsync(dryRun: false, Ct));
        Assert.Empty(await store.CleanLeftoversAsync(dryRun: true, Ct));
        var remaining = await client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = MotoTestServer.Bucket }, Ct);
        Assert.Equal([elsewhere.UploadId], (remaining.MultipartUploads ?? []).Select(u => u.UploadId));
        Assert.Equal(published.Sha256, (await store.StatAsync("tiny/2024/06/11/tiny-2024-06-11.bin", Ct))!.Sha256);
    }
}
