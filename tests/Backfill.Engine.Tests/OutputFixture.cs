using Backfill.Sources.ThetaData.Greeks;
using Backfill.Engine.Processing;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;
using Backfill.Engine.Datasets.Spx.Parquet;
using Backfill.Storage.Publish;
using Backfill.Engine.Datasets.Spx.Staging;

namespace Backfill.Engine.Tests;

/// <summary>
/// A temp folder with a real ledger, an output tree and a temp tree. <see cref="PublishDayAsync"/> stages rows with
/// <see cref="GreeksStagingWriter"/>, writes them with <see cref="SpxParquetWriter"/>, publishes the file atomically at
/// its layout path and records the unit as success, as the engine does.
/// </summary>
internal sealed class OutputFixture : IAsyncDisposable
{
    public const string Dataset = "spx";

    private OutputFixture(string folder)
    {
        Folder = folder;
        Ledger = new SqliteLedger(Path.Combine(folder, "backfill.db"));
    }

    public string Folder { get; }

    public string OutputRoot => Path.Combine(Folder, "out");

    public string TempRoot => Path.Combine(Folder, "temp");

    public SqliteLedger Ledger { get; }

    public static async Task<OutputFixture> CreateAsync(CancellationToken ct)
    {
        var fixture = new OutputFixture(Directory.CreateTempSubdirectory("backfill-engine-").FullName);
        await fixture.Ledger.MigrateAsync(ct);
        return fixture;
    }

    public string StagingFor(DateOnly date) => EnginePaths.StagingDirectory(TempRoot, Dataset, date);

    /// <summary>Stages a few expirations of <paramref name="date"/> into its staging folder.</summary>
    public async Task StageAsync(DateOnly date, CancellationToken ct)
    {
        var directory = StagingFor(date);
        foreach (var (root, expiration) in new[] { ("SPX", date.AddDays(17)), ("SPXW", date), ("SPXW", date.AddDays(1)) })
        {
            await using var writer = GreeksStagingWriter.Create(directory, GreeksStaging.SubUnitName(root, expiration));
            for (var strike = 4_600_000; strike <= 4_800_000; strike += 50_000)
            {
                foreach (var right in "CP")
                {
                    for (var minute = 0; minute < 5; minute++)
                    {
                        var seed = (strike / 1_000_000.0) + minute;
                        await writer.WriteAsync(
                            new OptionGreeksRow(date, root, expiration, strike, right, 34_200_000 + (minute * 60_000),
                                1 + seed, 1.1 + seed, 0.5, -0.1, 0.2, 0.01, -0.01, 12.5, 0.15, 0, 34_200_000 + (minute * 60_000), 4700.5),
                            ct);
                    }
                }
            }

            await writer.CompleteAsync(ct);
        }
    }

    /// <summary>Stages, writes, publishes and records one day; returns the published file.</summary>
    public async Task<PublishedFile> PublishDayAsync(DateOnly date, CancellationToken ct, bool record = true)
    {
        await StageAsync(date, ct);
        var publisher = new AtomicFilePublisher(EnginePaths.PublishDirectory(TempRoot, Dataset), OutputRoot);
        SpxParquetWriteResult? result = null;
        var published = await publisher.PublishAsync(
            EnginePaths.OutputFile(OutputRoot, Dataset, date),
            async (temp, token) => result = await new SpxParquetWriter().WriteAsync(
                GreeksStaging.ListComplete(StagingFor(date)), temp, new SpxFileIdentity(date, "thetadata", "v2"), token),
            ct);
        if (record)
        {
            await Ledger.TryClaimUnitAsync(Dataset, date, "test", TimeSpan.FromMinutes(5), false, ct);
            await Ledger.CompleteUnitAsync(Dataset, date, "test", new UnitSuccess
            {
                FilePath = published.Path,
                FileSize = published.SizeBytes,
                FileSha256 = published.Sha256,
                ContentSha256 = result!.ContentSha256,
                RowCount = result.RowCount,
            }, ct);
        }

        return published;
    }

    /// <summary>Flips one byte in the middle of a file (inside the column data).</summary>
    public static void FlipByte(string path)
    {
        var bytes = File.ReadAllBytes(path);
        bytes[bytes.Length / 3] ^= 0xFF;
        File.WriteAllBytes(path, bytes);
    }

    /// <summary>Damages the column data (every 7th byte before the footer) but leaves the footer intact.</summary>
    public static void DamageColumnData(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var footerStart = bytes.Length - 8 - BitConverter.ToInt32(bytes, bytes.Length - 8);
        for (var i = 16; i < footerStart; i += 7)
        {
            bytes[i] ^= 0x5A;
        }

        File.WriteAllBytes(path, bytes);
    }

    public async ValueTask DisposeAsync()
    {
        await Ledger.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
