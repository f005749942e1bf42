using Backfill.Engine.Cleanup;
using Backfill.Engine.Processing;
using Backfill.Ledger.Model;
using Backfill.Storage.Publish;

namespace Backfill.Engine.Tests;

public sealed class OutputCleanerTests
{
    private static readonly DateOnly Done = new(2024, 12, 2);
    private static readonly DateOnly Interrupted = new(2024, 12, 3);
    private static readonly DateOnly Running = new(2024, 12, 4);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Temp_cleanup_removes_parts_success_staging_and_leftovers_but_keeps_resumable_staging()
    {
        await using var f = await OutputFixture.CreateAsync(Ct);
        await f.PublishDayAsync(Done, Ct);
        await f.StageAsync(Interrupted, Ct);
        var part = Path.Combine(f.StagingFor(Interrupted), "SPXW-20241220.ndjson.part");
        await File.WriteAllTextAsync(part, "{\"d\":2024", Ct);
        await f.Ledger.TryClaimUnitAsync(OutputFixture.Dataset, Interrupted, "w", TimeSpan.FromMinutes(5), false, Ct);
        await f.Ledger.InterruptUnitAsync(OutputFixture.Dataset, Interrupted, "w", "Ctrl-C", Ct);
        var publishTemp = Path.Combine(EnginePaths.PublishDirectory(f.TempRoot, OutputFixture.Dataset), ".spx-options-2024-12-05.parquet.abc.tmp");
        await File.WriteAllTextAsync(publishTemp, "half a file", Ct);
        var incoming = Path.Combine(f.OutputRoot, AtomicFilePublisher.IncomingFolderName, ".x.tmp");
        Directory.CreateDirectory(Path.GetDirectoryName(incoming)!);
        await File.WriteAllTextAsync(incoming, "copy", Ct);
        var completedBefore = Directory.GetFiles(f.StagingFor(Interrupted), "*.ndjson");

        var cleaner = new OutputCleaner(f.Ledger);
        var dry = await cleaner.CleanAsync(OutputFixture.Dataset, f.OutputRoot, f.TempRoot, new CleanupRequest(true, false, DryRun: true), Ct);
        Assert.True(File.Exists(part) && File.Exists(publishTemp) && File.Exists(incoming) && Directory.Exists(f.StagingFor(Done)));

        var report = await cleaner.CleanAsync(OutputFixture.Dataset, f.OutputRoot, f.TempRoot, new CleanupRequest(true, false, DryRun: false), Ct);

        Assert.Equal(dry.Items.Select(i => i.Path), report.Items.Select(i => i.Path));
        Assert.Equal(dry.BytesFreed, report.BytesFreed);
        Assert.Equal(1, report.Count(CleanupItemKind.PartialStagingFile));
        Assert.Equal(1, report.Count(CleanupItemKind.SuccessStaging));
        Assert.Equal(1, report.Count(CleanupItemKind.PublishTempFile));
        Assert.Equal(1, report.Count(CleanupItemKind.IncomingFile));
        Assert.True(report.BytesFreed > 0);
        Assert.False(File.Exists(part));
        Assert.False(File.Exists(publishTemp));
        Assert.False(File.Exists(incoming));
        Assert.False(Directory.Exists(f.StagingFor(Done)));
        Assert.Equal(completedBefore, Directory.GetFiles(f.StagingFor(Interrupted), "*.ndjson"));
        var kept = Assert.Single(report.Kept);
        Assert.Equal(UnitStatus.Interrupted, kept.Status);
        Assert.Equal(3, kept.CompletedSubUnits);
        Assert.True(File.Exists(EnginePaths.OutputFile(f.OutputRoot, OutputFixture.Dataset, Done)));
    }

    [Fact]
    public async Task A_live_processing_unit_keeps_its_staging_and_the_publish_folder_untouched()
    {
        await using var f = await OutputFixture.CreateAsync(Ct);
        await f.StageAsync(Running, Ct);
        var part = Path.Combine(f.StagingFor(Running), "SPXW-20241220.ndjson.part");
        await File.WriteAllTextAsync(part, "{", Ct);
        await f.Ledger.TryClaimUnitAsync(OutputFixture.Dataset, Running, "w", TimeSpan.FromHours(1), false, Ct);
        var publishTemp = Path.Combine(EnginePaths.PublishDirectory(f.TempRoot, OutputFixture.Dataset), ".spx-options-2024-12-04.parquet.abc.tmp");
        Directory.CreateDirectory(Path.GetDirectoryName(publishTemp)!);
        await File.WriteAllTextAsync(publishTemp, "being written", Ct);

        var report = await new OutputCleaner(f.Ledger).CleanAsync(OutputFixture.Dataset, f.OutputRoot, f.TempRoot, new CleanupRequest(true, true, false), Ct);

        Assert.Empty(report.Items);
        Assert.True(File.Exists(part));
        Assert.True(File.Exists(publishTemp));
        Assert.Equal(UnitStatus.Processing, Assert.Single(report.Kept).Status);
        Assert.Contains(report.Notes, n => n.Contains("live lease", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Failed_outputs_are_deleted_their_units_reset_and_a_file_corruption_error_recorded()
    {
        await using var f = await OutputFixture.CreateAsync(Ct);
        var bad = await f.PublishDayAsync(Done, Ct);
        var good = await f.PublishDayAsync(Interrupted, Ct);
        OutputFixture.FlipByte(bad.Path);
        var cleaner = new OutputCleaner(f.Ledger);

        var dry = await cleaner.CleanAsync(OutputFixture.Dataset, f.OutputRoot, f.TempRoot, new CleanupRequest(false, true, DryRun: true), Ct);
        Assert.True(File.Exists(bad.Path));
        Assert.Equal(UnitStatus.Success, (await f.Ledger.GetUnitAsync(OutputFixture.Dataset, Done, Ct))!.Status);

        var report = await cleaner.CleanAsync(OutputFixture.Dataset, f.OutputRoot, f.TempRoot, new CleanupRequest(false, true, DryRun: false), Ct);

        var item = Assert.Single(report.Items);
        Assert.Equal(Assert.Single(dry.Items), item);
        Assert.Equal(CleanupItemKind.CorruptedOutput, item.Kind);
        Assert.Equal(bad.SizeBytes, item.Bytes);
        Assert.False(File.Exists(bad.Path));
        Assert.True(File.Exists(good.Path));
        var unit = (await f.Ledger.GetUnitAsync(OutputFixture.Dataset, Done, Ct))!;
        Assert.NotEqual(UnitStatus.Success, unit.Status);
        Assert.Null(unit.FilePath);
        var error = Assert.Single(await f.Ledger.ListErrorsAsync(OutputFixture.Dataset, Done, 10, Ct));
        Assert.Equal("FileCorruption", error.ErrorType);
        Assert.False(error.WillRetry);
        Assert.True(Directory.Exists(f.StagingFor(Done)));
    }

    [Fact]
    public async Task Retention_prunes_old_parquet_outputs_marks_them_pruned_and_leaves_newer_and_unknown_files()
    {
        await using var f = await OutputFixture.CreateAsync(Ct);
        var old = new DateOnly(2024, 11, 29);
        var recent = new DateOnly(2024, 12, 2);
        var oldFile = (await f.PublishDayAsync(old, Ct)).Path;
        var recentFile = (await f.PublishDayAsync(recent, Ct)).Path;
        var stray = (await f.PublishDayAsync(new DateOnly(2024, 11, 27), Ct, record: false)).Path;
        var today = new DateOnly(2024, 12, 5);

        var cleaner = new OutputCleaner(f.Ledger);
        var report = await cleaner.CleanAsync(OutputFixture.Dataset, f.OutputRoot, f.TempRoot,
            new CleanupRequest(false, false, DryRun: false, OlderThanDays: 4, Today: today), Ct);

        var item = Assert.Single(report.Items);
        Assert.Equal(CleanupItemKind.PrunedOutput, item.Kind);
        Assert.Equal(old, item.Date);
        Assert.False(File.Exists(oldFile));
        Assert.True(File.Exists(recentFile));
        Assert.True(File.Exists(stray));
        Assert.Contains(report.Notes, n => n.Contains("left alone", StringComparison.Ordinal));

        var unit = await f.Ledger.GetUnitAsync(OutputFixture.Dataset, old, Ct);
        Assert.True(Retention.IsPruned(unit!));
        Assert.NotNull(unit!.FileSha256);
        var gaps = Gaps.GapAnalyzer.Analyze(OutputFixture.Dataset, Core.Calendars.NyseCalendar.Instance, old, recent,
            await f.Ledger.ListUnitsAsync(OutputFixture.Dataset, null, null, null, Ct), 5, DateTimeOffset.UtcNow);
        Assert.Equal(Gaps.GapCategory.Pruned, gaps.Gaps.Single(g => g.Date == old).Category);
        Assert.Equal(gaps.Gaps.Single(g => g.Date == old), gaps.Gaps[^1]);

        var again = await cleaner.CleanAsync(OutputFixture.Dataset, f.OutputRoot, f.TempRoot,
            new CleanupRequest(false, false, DryRun: false, OlderThanDays: 4, Today: today), Ct);
        Assert.Empty(again.Items);
    }
}
