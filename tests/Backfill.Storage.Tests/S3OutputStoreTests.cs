using Amazon.Runtime;
using Backfill.Core.Errors;
using Backfill.ObjectStorage;
using Backfill.Storage.Outputs;
using Backfill.Tests.Shared;

namespace Backfill.Storage.Tests;

/// <summary>
/// The store contract on an S3-compatible server the subclass starts: one store per test under its own prefix, and a
/// publish killed once its file is written, before the upload (the temp file stays in the work folder).
/// </summary>
public abstract class S3StoreContract : OutputStoreContract
{
    private IAsyncDisposable? _server;
    private Uri? _endpoint;
    private readonly string _prefix = "run-" + Guid.NewGuid().ToString("N")[..8];

    /// <summary>The bucket the server holds for the tests.</summary>
    protected abstract string Bucket { get; }

    /// <summary>Starts the server (with <see cref="Bucket"/> in it), or skips the test saying why it cannot.</summary>
    protected abstract Task<(IAsyncDisposable Server, Uri Endpoint)> StartServerAsync();

    protected override async Task<IOutputStore> StoreAsync()
    {
        if (_endpoint is null)
        {
            (_server, _endpoint) = await StartServerAsync();
        }

        return new S3OutputStore(new S3Location(Bucket, _prefix), S3OutputStoreContractTests.Connection(_endpoint), WorkDirectory);
    }

    protected override async Task KillPublishMidwayAsync(IOutputStore store, string key, byte[] content)
    {
        var s3 = (S3OutputStore)store;
        s3.AfterPublishStep = step => step == "written" ? throw new OperationCanceledException("killed") : Task.CompletedTask;
        try
        {
            await Assert.ThrowsAsync<OperationCanceledException>(() => s3.PublishAsync(key, Writes(content), null, TestContext.Current.CancellationToken));
        }
        finally
        {
            s3.AfterPublishStep = null;
        }
    }

    public override async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        await base.DisposeAsync();
    }
}

/// <summary>The store contract on S3, against s3rver on loopback (see <see cref="S3TestServer"/> for what it checks).</summary>
public sealed class S3OutputStoreContractTests : S3StoreContract
{
    internal static S3ConnectionOptions Connection(Uri endpoint, string key = S3TestServer.AccessKey, string secret = S3TestServer.AccessKey) =>
        new(endpoint, "us-east-1", ForcePathStyle: true)
        {
            Credentials = new BasicAWSCredentials(key, secret),
            Retry = RetryPolicyTable.Default.WithDelayScale(0.001),
            ListPageSize = 2,
            RequestTimeout = TimeSpan.FromSeconds(30),
        };

    protected override string Bucket => S3TestServer.Bucket;

    protected override async Task<(IAsyncDisposable Server, Uri Endpoint)> StartServerAsync()
    {
        var server = await S3TestServer.StartAsync();
        return (server, server.Endpoint);
    }
}

/// <summary>S3 specifics: object metadata, faults injected between the SDK and the server, refused credentials, locations.</summary>
public sealed class S3OutputStoreTests : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();
    private S3TestServer? _server;

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

    private async Task<Uri> ServerAsync() => (_server ??= await S3TestServer.StartAsync()).Endpoint;

    private S3OutputStore Store(Uri endpoint, string prefix, S3ConnectionOptions? connection = null) =>
        new(new S3Location(S3TestServer.Bucket, prefix), connection ?? S3OutputStoreContractTests.Connection(endpoint), _temp.Combine("work"));

    [Fact]
    public async Task A_published_parquet_object_carries_its_sha256_size_rows_and_the_callers_metadata()
    {
        var endpoint = await ServerAsync();
        using var store = Store(endpoint, "meta");
        var metadata = new Dictionary<string, string> { ["backfill.date"] = "2024-06-12", ["backfill.row_count"] = "3", ["Bad Name"] = "x", ["backfill.empty"] = string.Empty };
        var published = await store.PublishAsync("tiny/2024/06/12/tiny-2024-06-12.parquet", (path, _) =>
        {
            using (var writer = new ParquetSharp.ParquetFileWriter(path, [new ParquetSharp.Column<long>("v")]))
            {
                using var group = writer.AppendRowGroup();
                using var column = group.NextColumn().LogicalWriter<long>();
                column.WriteBatch([1, 2, 3]);
                writer.Close();
            }

            return Task.CompletedTask;
        }, metadata, Ct);

        var head = await store.Bucket.HeadAsync("meta/tiny/2024/06/12/tiny-2024-06-12.parquet", Ct);
        Assert.NotNull(head);
        Assert.Equal(published.Sha256, head.Metadata["sha256"]);
        Assert.Equal(published.SizeBytes.ToString(System.Globalization.CultureInfo.InvariantCulture), head.Metadata["size"]);
        Assert.Equal("3", head.Metadata["rows"]);
        Assert.Equal("2024-06-12", head.Metadata["backfill.date"]);
        Assert.False(head.Metadata.ContainsKey("bad name"));
        Assert.False(head.Metadata.ContainsKey("backfill.empty"));
        Assert.Equal("s3://backfill-test/meta/tiny/2024/06/12/tiny-2024-06-12.parquet", published.Location);
    }

    [Fact]
    public async Task A_put_cut_off_mid_body_is_retried_and_the_object_arrives_whole()
    {
        var endpoint = await ServerAsync();
        await using var proxy = new S3FaultProxy(endpoint);
        using var store = Store(proxy.Endpoint, "cut");
        proxy.Inject(S3FaultProxy.Fault.CutBody, "PUT", "/cut/tiny/");
        var content = System.Security.Cryptography.RandomNumberGenerator.GetBytes(200_000);
        var published = await store.PublishAsync("tiny/2024/06/12/tiny-2024-06-12.bin", (path, ct) => File.WriteAllBytesAsync(path, content, ct), null, Ct);

        Assert.Equal(0, proxy.PendingFaults);
        // Sent again (by the retry table, or by the SDK's own retry of a connection that broke before any answer).
        Assert.Equal(2, proxy.Seen.Count(s => s.StartsWith("PUT ", StringComparison.Ordinal)));
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(content)), published.Sha256);
        using var local = await store.OpenLocalAsync("tiny/2024/06/12/tiny-2024-06-12.bin", Ct);
        Assert.Equal(content, await File.ReadAllBytesAsync(local.Path, Ct));
    }

    [Fact]
    public async Task A_503_slow_down_on_a_list_page_is_retried_and_the_listing_is_complete()
    {
        var endpoint = await ServerAsync();
        using (var direct = Store(endpoint, "slow"))
        {
            for (var d = 1; d <= 5; d++)
            {
                await direct.PublishAsync($"tiny/2024/06/{d:00}/tiny-2024-06-{d:00}.bin", (path, ct) => File.WriteAllBytesAsync(path, [1], ct), null, Ct);
            }
        }

        await using var proxy = new S3FaultProxy(endpoint);
        using var store = Store(proxy.Endpoint, "slow");
        proxy.Inject(S3FaultProxy.Fault.SlowDown, "GET", "continuation-token");
        var keys = new List<string>();
        await foreach (var item in store.ListAsync("tiny/", Ct))
        {
            keys.Add(item.Key);
        }

        Assert.Equal(5, keys.Count);
        Assert.Equal(0, proxy.PendingFaults);
        Assert.Equal(1, store.Bucket.Retries);
    }

    [Theory]
    // s3rver answers an unknown access key with InvalidAccessKeyId; it does not catch a wrong secret on SigV4 requests.
    [InlineData("NOT-A-KEY", "wrong-secret-0123456789")]
    public async Task Refused_credentials_stop_with_a_message_naming_the_bucket_and_what_to_check_and_no_secret(string key, string secret)
    {
        var endpoint = await ServerAsync();
        using var store = Store(endpoint, "denied", S3OutputStoreContractTests.Connection(endpoint, key, secret));
        var e = await Assert.ThrowsAsync<ObjectStoreAccessException>(() => store.CheckAccessAsync(Ct));
        Assert.Equal(ErrorKind.PermissionDenied, e.Kind);
        Assert.Contains("backfill-test", e.Message, StringComparison.Ordinal);
        Assert.Contains("AWS_ACCESS_KEY_ID", e.Message, StringComparison.Ordinal);
        Assert.Contains("InvalidAccessKeyId", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, e.Message, StringComparison.Ordinal);
        Assert.Equal(0, store.Bucket.Retries);

        await Assert.ThrowsAsync<ObjectStoreAccessException>(() => store.PublishAsync("tiny/2024/06/12/tiny-2024-06-12.bin", (p, ct) => File.WriteAllBytesAsync(p, [1], ct), null, Ct));
    }

    [Theory]
    [InlineData("s3://Bad_Bucket/x", "valid bucket")]
    [InlineData("s3://user:topsecret@bucket/x", "credentials")]
    [InlineData("s3://bucket/a/../b", "'..'")]
    [InlineData("s3://bucket/x?token=abc", "query")]
    public void A_malformed_s3_location_is_refused_naming_the_setting_and_never_echoing_a_secret(string location, string expected)
    {
        var e = Assert.Throws<InvalidInputException>(() => OutputStores.Open(location, _temp.Path));
        Assert.Contains("processing.outputDirectory", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("topsecret", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_s3_location_opens_an_s3_store_whose_locations_are_s3_uris_and_other_schemes_are_refused()
    {
        var store = OutputStores.Open("s3://my-bucket/backfill/", _temp.Path, new S3ConnectionOptions(new Uri("http://127.0.0.1:9"), "us-east-1", true));
        Assert.IsType<S3OutputStore>(store);
        Assert.Equal("s3://my-bucket/backfill", store.Root);
        Assert.Equal("s3://my-bucket/backfill/spx/2024/06/12/spx-options-2024-06-12.parquet", store.LocationOf("spx/2024/06/12/spx-options-2024-06-12.parquet"));
        Assert.Null(store.PermissionProblem("spx/2024/06/12/spx-options-2024-06-12.parquet"));
        var e = Assert.Throws<InvalidInputException>(() => OutputStores.Open("gs://bucket/x", _temp.Path));
        Assert.Contains("'gs://'", e.Message, StringComparison.Ordinal);
    }
}
