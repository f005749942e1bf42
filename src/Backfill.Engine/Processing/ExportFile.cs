using System.Text;
using Backfill.Storage.Publish;

namespace Backfill.Engine.Processing;

/// <summary>A file the user asked for (<c>export --output</c>): written atomically beside its final path, owner-only.</summary>
public static class ExportFile
{
    /// <summary>Writes <paramref name="text"/> (UTF-8, no BOM) to <paramref name="path"/> atomically (temp file beside it, fsync, rename; 0600).</summary>
    public static async Task<PublishedFile> WriteAsync(string path, string text, CancellationToken cancellationToken)
    {
        var final = Path.GetFullPath(path);
        var directory = Path.GetDirectoryName(final)!;
        var publisher = new AtomicFilePublisher(directory, directory);
        return await publisher.PublishAsync(final, (temp, ct) => File.WriteAllTextAsync(temp, text, new UTF8Encoding(false), ct), cancellationToken);
    }
}
