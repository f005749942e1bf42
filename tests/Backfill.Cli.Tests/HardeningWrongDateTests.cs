using Backfill.Engine.Datasets.Spx.Parquet;
using Backfill.Engine.Verification;
using ParquetSharp;
using Backfill.Engine.Processing;
using Backfill.Ledger.Model;
using Backfill.Ledger.Sqlite;
using Backfill.Storage.Publish;

namespace Backfill.Cli.Tests;

/// <summary>
/// Hostile probe: outputs that hold another date's data. A Parquet file carries its date in its metadata and in every
/// row; <c>verify</c> (and <c>--deep</c> for the rows) must refuse one that the ledger records for another date, however
/// it got there (copied by hand, relinked by a naive recovery). The ohlcv cases (recover in place, an edited backup
/// manifest) are in <see cref="OhlcvBackupCommandTests"/>; the rebuild case in <see cref="LedgerRebuildTests"/>.
/// </summary>
public sealed class HardeningWrongDateTests
{
    private static readonly DateOnly Monday = new(2024, 12, 2);
    private static readonly DateOnly Tuesday = new(2024, 12, 3);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Verify_refuses_a_file_whose_metadata_names_another_date_even_when_the_ledger_matches_its_bytes()
    {
        using var cli = new CliRunner();
        await PublishedDays.ConfigureAsync(cli);
        var monday = await PublishedDays.PublishAsync(cli, Monday, Ct);
        var tuesdayPath = EnginePaths.OutputFile(PublishedDays.OutputRoot(cli), PublishedDays.Dataset, Tuesday);
        Directory.CreateDirectory(Path.GetDirectoryName(tuesdayPath)!);
        File.Copy(monday.Path, tuesdayPath);
        OwnerOnlyFile(tuesdayPath);
        await RecordAsync(cli, Tuesday, tuesdayPath, monday.Sha256, monday.SizeBytes);

        var verify = await cli.RunAsync("verify", "--format", "json");
        Assert.Equal(1, verify.ExitCode);
        var rows = verify.Json().EnumerateArray().ToDictionary(r => r.GetProperty("date").GetString()!, r => r);
        Assert.Equal("ok", rows["2024-12-02"].GetProperty("status").GetString());
        Assert.Equal("corrupted", rows["2024-12-03"].GetProperty("status").GetString());
        Assert.Contains("holds the data of 2024-12-02", rows["2024-12-03"].GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_row_date_checks_name_rows_of_another_day()
    {
        using var cli = new CliRunner();
        await PublishedDays.ConfigureAsync(cli);
        var monday = await PublishedDays.PublishAsync(cli, Monday, Ct, record: false);
        Assert.Null(ParquetRowDates.CheckDateColumn(monday.Path, 0, "trade_date", Monday));
        Assert.Contains("36 of its 36 row(s) have trade_date 2024-12-02, not 2024-12-03",
            ParquetRowDates.CheckDateColumn(monday.Path, 0, "trade_date", Tuesday), StringComparison.Ordinal);

        // Received times (crypto-book): the UTC day, with a slack for a message received just across midnight.
        var events = Path.Combine(cli.Folder, "events.parquet");
        var midnight = (Tuesday.ToDateTime(TimeOnly.MinValue, DateTimeKind.Utc) - DateTime.UnixEpoch).Ticks * 100;
        var minute = TimeSpan.FromMinutes(1).Ticks * 100;
        using (var file = new ParquetFileWriter(events, [new Column<long>("received_time_ns")]))
        {
            using (var group = file.AppendRowGroup())
            using (var column = group.NextColumn().LogicalWriter<long>())
            {
                column.WriteBatch([midnight - minute, midnight + minute, midnight + (TimeSpan.FromHours(23).Ticks * 100)]);
            }

            file.Close();
        }

        Assert.Null(ParquetRowDates.CheckUtcDayNanos(events, 0, "received_time_ns", Tuesday, TimeSpan.FromHours(1)));
        Assert.Contains("1 of its 3 row(s) have received_time_ns 2024-12-02 23:59:00Z, not 2024-12-03",
            ParquetRowDates.CheckUtcDayNanos(events, 0, "received_time_ns", Tuesday, TimeSpan.Zero), StringComparison.Ordinal);
        Assert.Contains("3 of its 3 row(s)", ParquetRowDates.CheckUtcDayNanos(events, 0, "received_time_ns", Monday.AddDays(-1), TimeSpan.FromHours(1)), StringComparison.Ordinal);
    }

    private static async Task RecordAsync(CliRunner cli, DateOnly date, string path, string sha256, long size, long rows = 0, string? content = null)
    {
        await using var ledger = new SqliteLedger(cli.Db, cli.Clock);
        if (rows == 0)
        {
            var unit = await ledger.GetUnitAsync(PublishedDays.Dataset, Monday, Ct);
            rows = unit!.RowCount!.Value;
            content = unit.ContentSha256;
        }

        await ledger.TryClaimUnitAsync(PublishedDays.Dataset, date, "test", TimeSpan.FromMinutes(5), false, Ct);
        await ledger.CompleteUnitAsync(PublishedDays.Dataset, date, "test",
            new UnitSuccess { FilePath = path, FileSize = size, FileSha256 = sha256, ContentSha256 = content, RowCount = rows }, Ct);
    }

    private static void OwnerOnlyFile(string path)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
