using System.Net;
using System.Net.Sockets;
using System.Text;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Backfill.Tests.Shared;

namespace Backfill.Storage.Tests;

/// <summary>
/// What the test server (s3rver 3.7.1) does where AWS S3 would refuse or behave otherwise, checked against the running
/// server so docs/object-storage.md states facts: each test sends one request AWS S3 answers differently and pins
/// s3rver's answer. A test here that starts failing means the server changed: update the docs' list with it.
/// </summary>
public sealed class S3TestServerFidelityTests : IAsyncLifetime
{
    private static readonly byte[] Content = Encoding.ASCII.GetBytes("the same bytes every time");
    private S3TestServer? _server;
    private AmazonS3Client? _client;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        _client?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>The shared client with the server's own credentials, or a new one (the caller disposes it) with others.</summary>
    private async Task<AmazonS3Client> ClientAsync(string key = S3TestServer.AccessKey, string secret = S3TestServer.AccessKey)
    {
        _server ??= await S3TestServer.StartAsync();
        var own = key == S3TestServer.AccessKey && secret == S3TestServer.AccessKey;
        if (own && _client is not null)
        {
            return _client;
        }

        var config = new AmazonS3Config
        {
            ServiceURL = _server.Endpoint.ToString(),
            AuthenticationRegion = "us-east-1",
            ForcePathStyle = true,
            MaxErrorRetry = 0,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        var client = new AmazonS3Client(new BasicAWSCredentials(key, secret), config);
        if (own)
        {
            _client = client;
        }

        return client;
    }

    private static PutObjectRequest Put(string key) => new()
    {
        BucketName = S3TestServer.Bucket, Key = key, InputStream = new MemoryStream(Content), UseChunkEncoding = false,
    };

    private async Task<long?> SizeAsync(string key)
    {
        var client = await ClientAsync();
        try
        {
            return (await client.GetObjectMetadataAsync(S3TestServer.Bucket, key, Ct)).ContentLength;
        }
        catch (AmazonS3Exception e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    [Fact]
    public async Task A_wrong_x_amz_checksum_sha256_is_not_checked_and_the_object_is_stored()
    {
        // AWS S3 answers 400 BadDigest and stores nothing.
        var client = await ClientAsync();
        var request = Put("fidelity/checksum.bin");
        request.ChecksumSHA256 = Convert.ToBase64String(new byte[32]);
        await client.PutObjectAsync(request, Ct);
        Assert.Equal(Content.Length, await SizeAsync("fidelity/checksum.bin"));
    }

    [Fact]
    public async Task A_wrong_content_md5_is_not_checked_and_the_object_is_stored()
    {
        // AWS S3 answers 400 BadDigest.
        var client = await ClientAsync();
        var request = Put("fidelity/md5.bin");
        request.MD5Digest = Convert.ToBase64String(new byte[16]);
        await client.PutObjectAsync(request, Ct);
        Assert.Equal(Content.Length, await SizeAsync("fidelity/md5.bin"));
    }

    [Fact]
    public async Task A_known_access_key_with_a_wrong_secret_is_accepted_on_sigv4_but_an_unknown_key_is_refused()
    {
        // AWS S3 answers 403 SignatureDoesNotMatch to the wrong secret.
        using var wrongSecret = await ClientAsync(S3TestServer.AccessKey, "not-the-secret");
        await wrongSecret.PutObjectAsync(Put("fidelity/wrong-secret.bin"), Ct);
        Assert.Equal(Content.Length, await SizeAsync("fidelity/wrong-secret.bin"));

        using var unknown = await ClientAsync("NOT-A-KEY", "not-the-secret");
        var refused = await Assert.ThrowsAsync<AmazonS3Exception>(() => unknown.PutObjectAsync(Put("fidelity/unknown-key.bin"), Ct));
        Assert.Equal("InvalidAccessKeyId", refused.ErrorCode);
    }

    [Fact]
    public async Task An_unsigned_request_is_accepted()
    {
        // AWS S3 refuses an anonymous write to a private bucket (403 AccessDenied).
        await ClientAsync();
        var (status, _) = await RawAsync("PUT", "/fidelity/anonymous.bin", Content, Content.Length);
        Assert.Equal(200, status);
        Assert.Equal(Content.Length, await SizeAsync("fidelity/anonymous.bin"));
    }

    [Fact]
    public async Task A_put_cut_off_mid_body_leaves_a_truncated_object_visible_at_its_key()
    {
        // AWS S3 stores nothing unless the whole body arrived. This is why publishes use multipart uploads.
        await ClientAsync();
        var (status, _) = await RawAsync("PUT", "/fidelity/cut.bin", new byte[500], 1000);
        Assert.Equal(0, status);
        var size = await WaitForSizeAsync("fidelity/cut.bin");
        Assert.True(size is > 0 and < 1000, $"size {size}");
    }

    [Fact]
    public async Task An_unfinished_multipart_upload_is_invisible_but_cannot_be_listed_or_aborted()
    {
        // AWS S3 lists it (ListMultipartUploads) and aborts it (DELETE ?uploadId).
        var client = await ClientAsync();
        var upload = await client.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = S3TestServer.Bucket, Key = "fidelity/multipart.bin" }, Ct);
        await client.UploadPartAsync(new UploadPartRequest
        {
            BucketName = S3TestServer.Bucket, Key = "fidelity/multipart.bin", UploadId = upload.UploadId, PartNumber = 1, InputStream = new MemoryStream(Content), UseChunkEncoding = false,
        }, Ct);
        Assert.Null(await SizeAsync("fidelity/multipart.bin"));
        var list = await Assert.ThrowsAsync<AmazonS3Exception>(() => client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = S3TestServer.Bucket }, Ct));
        Assert.Equal("NotImplemented", list.ErrorCode);
        var abort = await Assert.ThrowsAsync<AmazonS3Exception>(() => client.AbortMultipartUploadAsync(
            new AbortMultipartUploadRequest { BucketName = S3TestServer.Bucket, Key = "fidelity/multipart.bin", UploadId = upload.UploadId }, Ct));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, abort.StatusCode);
    }

    [Fact]
    public async Task A_conditional_put_with_if_none_match_overwrites_an_existing_object()
    {
        // AWS S3 answers 412 PreconditionFailed and keeps the first object.
        var client = await ClientAsync();
        await client.PutObjectAsync(Put("fidelity/conditional.bin"), Ct);
        var second = new PutObjectRequest
        {
            BucketName = S3TestServer.Bucket, Key = "fidelity/conditional.bin", InputStream = new MemoryStream(new byte[3]), UseChunkEncoding = false, IfNoneMatch = "*",
        };
        await client.PutObjectAsync(second, Ct);
        Assert.Equal(3, await SizeAsync("fidelity/conditional.bin"));
    }

    [Fact]
    public async Task A_copy_whose_source_key_holds_a_slash_is_not_found()
    {
        // AWS S3 decodes the percent-encoded copy source the SDK sends and copies.
        var client = await ClientAsync();
        await client.PutObjectAsync(Put("fidelity/source/a.bin"), Ct);
        var copy = await Assert.ThrowsAsync<AmazonS3Exception>(() => client.CopyObjectAsync(new CopyObjectRequest
        {
            SourceBucket = S3TestServer.Bucket, SourceKey = "fidelity/source/a.bin", DestinationBucket = S3TestServer.Bucket, DestinationKey = "fidelity/copy.bin",
        }, Ct));
        Assert.Equal(HttpStatusCode.NotFound, copy.StatusCode);
    }

    /// <summary>s3rver finishes writing a cut-off body a moment after the connection drops.</summary>
    private async Task<long?> WaitForSizeAsync(string key)
    {
        for (var i = 0; i < 50; i++)
        {
            if (await SizeAsync(key) is { } size)
            {
                return size;
            }

            await Task.Delay(100, Ct);
        }

        return null;
    }

    /// <summary>
    /// One unsigned HTTP request with <paramref name="declaredLength"/> as its Content-Length; when the body is shorter the
    /// connection is reset after it (status 0). Returns the status code and the answer.
    /// </summary>
    private async Task<(int Status, string Answer)> RawAsync(string method, string path, byte[] body, int declaredLength)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, _server!.Endpoint.Port, Ct);
        var stream = client.GetStream();
        var head = $"{method} /{S3TestServer.Bucket}{path} HTTP/1.1\r\nHost: 127.0.0.1:{_server.Endpoint.Port}\r\nContent-Length: {declaredLength}\r\nConnection: close\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), Ct);
        await stream.WriteAsync(body, Ct);
        await stream.FlushAsync(Ct);
        if (body.Length < declaredLength)
        {
            await Task.Delay(300, Ct);
            client.Client.LingerState = new LingerOption(true, 0);
            return (0, string.Empty);
        }

        using var reader = new StreamReader(stream, Encoding.ASCII);
        var answer = await reader.ReadToEndAsync(Ct);
        var status = int.Parse(answer.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        return (status, answer);
    }
}
