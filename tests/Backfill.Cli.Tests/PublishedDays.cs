using Backfill.Sources.ThetaData.Greeks;
using Backfill.Engine.Processing;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;
using Backfill.Engine.Datasets.Spx.Parquet;
using Backfill.Storage.Publish;
using Backfill.Engine.Datasets.Spx.Staging;

namespace Backfill.Cli.Tests;

/// <summary>
/// Real output for CLI tests: an output and a temp folder inside the runner's folder (set in the ledger's config),
/// days staged with <see cref="GreeksStagingWriter"/>, written with <see cref="SpxParquetWriter"/>, published with
/// <see cref="AtomicFilePublisher"/> at their layout path and recorded as success.
/// </summary>
internal static class PublishedDays
{
    public const string Dataset = "spx";

    public static string OutputRoot(CliRunner cli) => Path.Combine(cli.Folder, "out");

    public static string TempRoot(CliRunner cli) => Path.Combine(cli.Folder, "temp");

    public static string Staging(CliRunner cli, DateOnly date) => EnginePaths.StagingDirectory(TempRoot(cli), Dataset, date);

    public static async Task ConfigureAsync(CliRunner cli)
    {
        foreach (var (key, value) in new[]
        {
            ("processing.startDate", "2024-12-02"),
            ("processing.outputDirectory", OutputRoot(cli)),
            ("processing.tempDirectory", TempRoot(cli)),
        })
        {
            var result = await cli.RunAsync("config", "set", key, value);
            Assert.True(result.ExitCode == 0, result.ToString());
        }
    }

    public static async Task StageAsync(CliRunner cli, DateOnly date, CancellationToken ct)
    {
        var directory = Staging(cli, date);
        foreach (var (root, expiration) in new[] { ("SPX", date.AddDays(17)), ("SPXW", date) })
        {
            await using var writer = GreeksStagingWriter.Create(directory, GreeksStaging.SubUnitName(root, expiration));
            for (var strike = 4_600_000; strike <= 4_800_000; strike += 100_000)
            {
                foreach (var right in "CP")
                {
                    for (var minute = 0; minute < 3; minute++)
                    {
                        var ms = 34_200_000 + (minute * 60_000);
                        await writer.WriteAsync(new OptionGreeksRow(date, root, expiration, strike, right, ms,
                            1 + minute, 1.1 + minute, 0.5, -0.1, 0.2, 0.01, -0.01, 12.5, 0.15, 0, ms, 4700.5), ct);
                    }
                }
            }

            await writer.CompleteAsync(ct);
        }
    }

    /// <summary>Stages, writes, publishes and records one day as success; returns the published file.</summary>
    public static async Task<PublishedFile> PublishAsync(CliRunner cli, DateOnly date, CancellationToken ct, bool record = true)
    {
        await StageAsync(cli, date, ct);
        var publisher = new AtomicFilePublisher(EnginePaths.PublishDirectory(TempRoot(cli), Dataset), OutputRoot(cli));
        SpxParquetWriteResult? written = null;
        var published = await publisher.PublishAsync(
            EnginePaths.OutputFile(OutputRoot(cli), Dataset, date),
            async (temp, token) => written = await new SpxParquetWriter().WriteAsync(
                GreeksStaging.ListComplete(Staging(cli, date)), temp, new SpxFileIdentity(date, "thetadata", "v2"), token),
            ct);
        if (record)
        {
            await using var ledger = new SqliteLedger(cli.Db, cli.Clock);
            await ledger.TryClaimUnitAsync(Dataset, date, "test", TimeSpan.FromMinutes(5), false, ct);
            await ledger.CompleteUnitAsync(Dataset, date, "test", new UnitSuccess
            {
                FilePath = published.Path,
                FileSize = published.SizeBytes,
                FileSha256 = published.Sha256,
                ContentSha256 = written!.ContentSha256,
                RowCount = written.RowCount,
            }, ct);
        }

        return published;
    }

    public static void FlipByte(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 3] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
    }
}
