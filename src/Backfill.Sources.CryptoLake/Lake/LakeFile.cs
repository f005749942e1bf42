namespace Backfill.Sources.CryptoLake.Lake;

/// <summary>
/// A Parquet file of a partition, on local disk: the mirror's own file, or a downloaded copy in scratch space that is
/// deleted on dispose (Parquet needs random access to its footer, so a body is streamed to disk, never held in memory).
/// </summary>
public sealed class LakeFile(string name, string path, long bytes, bool temporary) : IDisposable
{
    public string Name { get; } = name;

    public string Path { get; } = path;

    public long Bytes { get; } = bytes;

    public void Dispose()
    {
        if (temporary)
        {
            File.Delete(Path);
        }
    }
}
