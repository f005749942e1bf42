using Backfill.Core.Errors;
using Backfill.Core.IO;
using Backfill.Core.Text;
using Backfill.ObjectStorage;

namespace Backfill.Sources.CryptoLake.Lake;

/// <summary>
/// Crypto Lake read straight from its bucket with the AWS SDK (<c>s3://bucket/prefix</c>): SigV4 with the credentials
/// the standard chain finds (the ones the vendor hands out), ListObjectsV2 paging, each object streamed to a scratch
/// file whose length must match both the listing and the response. Retries go through the shared retry table.
/// </summary>
internal sealed class S3LakeStore(S3Location location, S3ConnectionOptions connection) : LakeStore
{
    private readonly S3Bucket _bucket = new(location.Bucket, connection);

    public override string Description => location.ToString();

    public override int Requests => _bucket.Requests;

    public override int Retries => _bucket.Retries;

    public override async Task<IReadOnlyList<string>> ListAsync(LakePartition partition, CancellationToken cancellationToken)
    {
        var prefix = location.KeyFor(partition.RelativePrefix);
        var names = new List<string>();
        await foreach (var entry in _bucket.ListAsync(prefix, cancellationToken))
        {
            if (entry.Key.EndsWith(".parquet", StringComparison.Ordinal))
            {
                names.Add(CheckName(entry.Key[prefix.Length..]));
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names.Count == 0
            ? throw new NoDataException($"Crypto Lake has no {LakePartition.TableName(partition.Table)} files for {partition.Exchange} {partition.Symbol} {partition.Date:yyyy-MM-dd} at {Description}.")
            : names;
    }

    public override async Task<LakeFile> FetchAsync(LakePartition partition, string name, string scratchDirectory, CancellationToken cancellationToken)
    {
        OwnerOnly.CreateDirectory(scratchDirectory);
        var key = location.KeyFor(partition.RelativePrefix + CheckName(name));
        var path = Path.Combine(scratchDirectory, $"{Guid.NewGuid():N}.parquet.part");
        try
        {
            var bytes = await _bucket.DownloadAsync(key, path, cancellationToken);
            return new LakeFile(name, path, bytes, temporary: true);
        }
        catch (NoDataException e)
        {
            File.Delete(path);
            throw new NoDataException($"Crypto Lake's {VendorText.Sanitize(name)} vanished from {Description} after it was listed.", e);
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _bucket.Dispose();
        }
    }
}
