using Backfill.Core.Errors;
using Backfill.Core.Text;
using Backfill.Core.Time;

namespace Backfill.Sources.CryptoLake.Lake;

/// <summary>
/// Where Crypto Lake's files are read from: a local mirror folder laid out like the bucket, or an <c>http(s)://</c>
/// base that answers S3's ListObjectsV2 (a public bucket's HTTPS endpoint, or the simulator).
/// </summary>
public abstract class LakeStore : IDisposable
{
    /// <summary>Where the files come from, safe to print (query strings and credentials masked).</summary>
    public abstract string Description { get; }

    /// <summary>
    /// Opens <paramref name="location"/>: an absolute or relative folder, or an <c>http(s)://</c> URL. <c>s3://</c> is refused
    /// with the way around it: the bucket's HTTPS endpoint or a local mirror.
    /// </summary>
    /// <param name="logger">Where an HTTP store logs its requests and retries at debug level.</param>
    public static LakeStore Open(string location, HttpMessageHandler? handler = null, TimeSpan? requestTimeout = null, RetryPolicyTable? retry = null, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        var value = location?.Trim() ?? string.Empty;
        if (value.Length == 0)
        {
            throw new InvalidInputException("cryptolake.baseUrl: no location given. Use a local mirror folder or an https:// base, e.g. https://s3.eu-west-1.amazonaws.com/BUCKET/market-data/cryptofeed");
        }

        if (value.StartsWith("s3://", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidInputException(
                $"cryptolake.baseUrl: '{DateInput.Printable(value)}' uses s3://, which this version does not read (no AWS SDK). " +
                "Use the bucket's HTTPS endpoint instead (https://s3.REGION.amazonaws.com/BUCKET/PREFIX, for buckets that allow anonymous listing) or a local mirror folder (e.g. one synced with 'aws s3 sync').");
        }

        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps))
        {
            return new HttpLakeStore(uri, handler, requestTimeout ?? TimeSpan.FromMinutes(5), retry, logger);
        }

        if (value.Contains("://", StringComparison.Ordinal))
        {
            throw new InvalidInputException($"cryptolake.baseUrl: '{DateInput.Printable(value)}' is neither an http(s):// URL nor a folder.");
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
