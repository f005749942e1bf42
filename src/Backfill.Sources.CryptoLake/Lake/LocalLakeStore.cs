using Backfill.Core.Errors;

namespace Backfill.Sources.CryptoLake.Lake;

/// <summary>A local copy of the bucket: <c>{root}/{table}/exchange=X/symbol=Y/dt=YYYY-MM-DD/*.parquet</c>.</summary>
internal sealed class LocalLakeStore(string root) : LakeStore
{
    public override string Description => root;

    public override Task<IReadOnlyList<string>> ListAsync(LakePartition partition, CancellationToken cancellationToken)
    {
        var folder = Folder(partition);
        if (!Directory.Exists(folder))
        {
            throw new NoDataException($"The mirror has no {LakePartition.TableName(partition.Table)} partition for {partition.Exchange} {partition.Symbol} {partition.Date:yyyy-MM-dd} ('{folder}' does not exist).");
        }

        var names = Directory.GetFiles(folder, "*.parquet").Select(Path.GetFileName).OfType<string>().Where(n => !n.StartsWith('.')).ToList();
        names.Sort(StringComparer.Ordinal);
        return names.Count == 0
            ? throw new NoDataException($"'{folder}' holds no .parquet file.")
            : Task.FromResult<IReadOnlyList<string>>(names);
    }

    public override Task<LakeFile> FetchAsync(LakePartition partition, string name, string scratchDirectory, CancellationToken cancellationToken)
    {
        var path = Path.Combine(Folder(partition), CheckName(name));
        return File.Exists(path)
            ? Task.FromResult(new LakeFile(name, path, new FileInfo(path).Length, temporary: false))
            : throw new NoDataException($"'{path}' is missing from the mirror.");
    }

    private string Folder(LakePartition partition) =>
        Path.Combine(root, partition.RelativePrefix.TrimEnd('/').Replace('/', Path.DirectorySeparatorChar));
}
