using Backfill.Core.Errors;
using Backfill.Core.Text;
using Backfill.Core.Time;
using Backfill.ObjectStorage;

namespace Backfill.Sources.CryptoLake.Lake;

/// <summary>
/// Where Crypto Lake's files are read from: a local mirror folder laid out like the bucket, an <c>http(s)://</c>
/// base that answers S3's ListObjectsV2 (a public bucket's HTTPS endpoint, or the simulator), or the bucket itself
/// (<c>s3://bucket/prefix</c>, with the credentials of the standard AWS chain).
/// </summary>
public abstract class LakeStore : IDisposable
{
    /// <summary>Where the files come from, safe to print (query strings and credentials masked).</summary>
    public abstract string Description { get; }

    /// <summary>
    /// Opens <paramref name="location"/>: an absolute or relative folder, an <c>http(s)://</c> URL, or <c>s3://bucket/prefix</c>
    /// (reached as <paramref name="s3"/> says, or by the standard AWS environment variables when it is null).
    /// </summary>
    /// <param name="logger">Where an HTTP store logs its requests and retries at debug level.</param>
    public static LakeStore Open(
        string location, HttpMessageHandler? handler = null, TimeSpan? requestTimeout = null, RetryPolicyTable? retry = null,
        Microsoft.Extensions.Logging.ILogger? logger = null, S3ConnectionOptions? s3 = null)
    {
        var value = location?.Trim() ?? string.Empty;
        if (value.Length == 0)
        {
            throw new InvalidInputException("cryptolake.baseUrl: no location given. Use s3://BUCKET/PREFIX, a local mirror folder or an https:// base, e.g. s3://qnt.data/market-data/cryptofeed");
        }

        if (S3Location.IsS3(value))
        {
            var connection = s3 ?? S3ConnectionOptions.FromEnvironment();
            connection = connection with
            {
                Retry = retry ?? connection.Retry,
                RequestTimeout = requestTimeout ?? connection.RequestTimeout,
            };
            return new S3LakeStore(S3Location.Parse(value, "cryptolake.baseUrl"), connection);
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return new HttpLakeStore(uri, handler, requestTimeout ?? TimeSpan.FromMinutes(5), retry, logger);
        }

        if (value.Contains("://", StringComparison.Ordinal))
        {
            throw new InvalidInputException($"cryptolake.baseUrl: '{DateInput.Printable(value)}' is neither an s3:// or http(s):// URL nor a folder.");
        }

        return new LocalLakeStore(Path.GetFullPath(value));
    }

    /// <summary>HTTP requests sent (0 for a local mirror).</summary>
    public virtual int Requests => 0;

    /// <summary>Requests retried after a transient failure.</summary>
    public virtual int Retries => 0;

    /// <summary>The Parquet file names of a partition, sorted; <see cref="NoDataException"/> when it holds none.</summary>
    public abstract Task<IReadOnlyList<string>> ListAsync(LakePartition partition, CancellationToken cancellationToken);

    /// <summary>One file of a partition on local disk (downloaded into <paramref name="scratchDirectory"/> when remote).</summary>
    public abstract Task<LakeFile> FetchAsync(LakePartition partition, string name, string scratchDirectory, CancellationToken cancellationToken);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
    }

    /// <summary>A file name as listed must be a plain Parquet file name: no separators, no '..'.</summary>
    protected static string CheckName(string name) =>
        name.Length is > 0 and <= 200 && name.EndsWith(".parquet", StringComparison.Ordinal) && !name.StartsWith('.')
        && name.IndexOfAny(['/', '\\', ':', '\0']) < 0 && !name.Contains("..", StringComparison.Ordinal)
            ? name
            : throw new InvalidResponseException($"Crypto Lake listed a file named '{VendorText.Sanitize(name, 120)}', which is not a plain .parquet file name; refused.");
}
