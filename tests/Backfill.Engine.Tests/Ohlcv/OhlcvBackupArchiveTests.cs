using Backfill.Engine.Datasets;
using System.Text;
using Backfill.Core.Errors;
using Backfill.Engine.Datasets.Ohlcv;

namespace Backfill.Engine.Tests.Ohlcv;

public sealed class OhlcvBackupArchiveTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("2025/06/24/ohlcv-2025-06-24.csv.enc", true)]
    [InlineData("../../etc/passwd.enc", false)]
    [InlineData("2025/06/../ohlcv.csv.enc", false)]
    [InlineData("/2025/06/24/x.enc", false)]
    [InlineData("2025/06/24/sub/x.enc", false)]
    [InlineData("2025\\06\\24\\x.enc", false)]
    [InlineData("", false)]
    public void Only_a_dated_layout_path_is_a_safe_manifest_path(string path, bool safe) =>
        Assert.Equal(safe, BackupManifest.IsSafeRelativePath(path));

    [Fact]
    public async Task A_manifest_naming_a_path_outside_the_backup_is_refused_as_damaged()
    {
        var folder = Directory.CreateTempSubdirectory("backfill-backup-evil-").FullName;
        try
        {
            var manifest = new BackupManifest("ohlcv", DateTimeOffset.UnixEpoch,
                [new BackupEntry("2025/06/24/ohlcv-2025-06-24.csv.enc", new DateOnly(2025, 6, 24), "k1", 1, "00", "00", 1)]);
            var json = Encoding.UTF8.GetString(manifest.ToJson()).Replace("2025/06/24/ohlcv-2025-06-24.csv.enc", "../../../../tmp/x/y", StringComparison.Ordinal);
            await File.WriteAllTextAsync(Path.Combine(folder, BackupManifest.FileName), json, Ct);
            var refused = await Assert.ThrowsAsync<FileCorruptionException>(() => OhlcvBackupArchive.OpenAsync(folder, Ct));
            Assert.Contains("unsafe path", refused.Message, StringComparison.Ordinal);

            await File.WriteAllTextAsync(Path.Combine(folder, BackupManifest.FileName), Encoding.UTF8.GetString(manifest.ToJson()), Ct);
            var archive = await OhlcvBackupArchive.OpenAsync(folder, Ct);
            Assert.Equal(["k1"], archive.Manifest.KeyIds);
            Assert.Null(await archive.ReadAsync(archive.Manifest.Files[0], Ct));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
