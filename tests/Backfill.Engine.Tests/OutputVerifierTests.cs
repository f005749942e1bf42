using Backfill.Engine.Verification;
using Backfill.Ledger.Model;
using Backfill.Storage.Publish;
using Backfill.Storage.Verification;

namespace Backfill.Engine.Tests;

public sealed class OutputVerifierTests
{
    private static readonly DateOnly Day1 = new(2024, 12, 2);
    private static readonly DateOnly Day2 = new(2024, 12, 3);
    private static readonly DateOnly Day3 = new(2024, 12, 4);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Published_and_recorded_files_verify_ok_shallow_and_deep()
    {
        await using var f = await OutputFixture.CreateAsync(Ct);
        await f.PublishDayAsync(Day1, Ct);
        await f.PublishDayAsync(Day2, Ct);

        foreach (var deep in new[] { false, true })
        {
            var report = await new OutputVerifier(f.Ledger).VerifyAsync(OutputFixture.Dataset, f.OutputRoot, null, null, deep, Ct);
            Assert.True(report.AllOk, string.Join("\n", report.Findings));
            Assert.Equal(2, report.Count(OutputFileStatus.Ok));
            Assert.Equal([Day1, Day2], report.Findings.Select(x => x.Date));
            Assert.All(report.Findings, x => Assert.Equal(x.ExpectedSha256, x.ActualSha256));
        }
    }

    [Fact]
    public async Task A_flipped_byte_is_corrupted_with_both_checksums()
    {
        await using var f = await OutputFixture.CreateAsync(Ct);
        var file = await f.PublishDayAsync(Day1, Ct);
        await f.PublishDayAsync(Day2, Ct);
        OutputFixture.FlipByte(file.Path);

        var report = await new OutputVerifier(f.Ledger).VerifyAsync(OutputFixture.Dataset, f.OutputRoot, null, null, false, Ct);

        var bad = Assert.Single(report.Findings, x => x.Status != OutputFileStatus.Ok);
        Assert.Equal(Day1, bad.Date);
        Assert.Equal(OutputFileStatus.Corrupted, bad.Status);
        Assert.Equal(VerificationStatus.ChecksumMismatch, bad.Detail);
        Assert.Equal(file.Sha256, bad.ExpectedSha256);
        Assert.NotEqual(file.Sha256, bad.ActualSha256);
        Assert.Contains("SHA-256", bad.Message, StringComparison.Ordinal);
        Assert.False(report.AllOk);
    }

    [Fact]
    public async Task Deep_verify_finds_damaged_rows_the_ledger_checksum_cannot_see()
    {
        await using var f = await OutputFixture.CreateAsync(Ct);
        var file = await f.PublishDayAsync(Day1, Ct);
        OutputFixture.DamageColumnData(file.Path);
        // The ledger's checksum now agrees with the damaged bytes: only re-reading the rows can tell.
        var newSha = await AtomicFilePublisher.HashFileAsync(file.Path, Ct);
        var unit = (await f.Ledger.GetUnitAsync(OutputFixture.Dataset, Day1, Ct))!;
        await f.Ledger.TryClaimUnitAsync(OutputFixture.Dataset, Day1, "t2", TimeSpan.FromMinutes(1), true, Ct);
        await f.Ledger.CompleteUnitAsync(OutputFixture.Dataset, Day1, "t2", new UnitSuccess
        {
            FilePath = file.Path, FileSize = file.SizeBytes, FileSha256 = newSha, RowCount = unit.RowCount!.Value,
        }, Ct);

        var shallow = await new OutputVerifier(f.Ledger).VerifyAsync(OutputFixture.Dataset, f.OutputRoot, null, null, false, Ct);
        var deep = await new OutputVerifier(f.Ledger).VerifyAsync(OutputFixture.Dataset, f.OutputRoot, null, null, true, Ct);

        Assert.Equal(OutputFileStatus.Ok, Assert.Single(shallow.Findings).Status);
        var finding = Assert.Single(deep.Findings);
        Assert.Equal(OutputFileStatus.Corrupted, finding.Status);
        Assert.Contains(finding.Detail, new VerificationStatus?[] { VerificationStatus.ChecksumMismatch, VerificationStatus.Unreadable });
    }

    [Fact]
    public async Task A_deleted_file_is_missing()
    {
        await using var f = await OutputFixture.CreateAsync(Ct);
        var file = await f.PublishDayAsync(Day1, Ct);
        File.Delete(file.Path);

        var report = await new OutputVerifier(f.Ledger).VerifyAsync(OutputFixture.Dataset, f.OutputRoot, null, null, false, Ct);

        var finding = Assert.Single(report.Findings);
        Assert.Equal(OutputFileStatus.Missing, finding.Status);
        Assert.Equal(file.Path, finding.Path);
        Assert.Null(finding.ActualSha256);
    }

    [Fact]
    public async Task An_unrecorded_layout_file_is_extra_but_incoming_and_other_files_are_ignored()
    {
        await using var f = await OutputFixture.CreateAsync(Ct);
        await f.PublishDayAsync(Day1, Ct);
        var extra = await f.PublishDayAsync(Day2, Ct, record: false);
        var incoming = Path.Combine(f.OutputRoot, AtomicFilePublisher.IncomingFolderName);
        Directory.CreateDirectory(incoming);
        await File.WriteAllTextAsync(Path.Combine(incoming, ".x.tmp"), "partial", Ct);
        await File.WriteAllTextAsync(Path.Combine(f.OutputRoot, "spx", "notes.txt"), "not an output", Ct);

        var report = await new OutputVerifier(f.Ledger).VerifyAsync(OutputFixture.Dataset, f.OutputRoot, null, null, false, Ct);

        Assert.Equal(2, report.Findings.Count);
        var finding = Assert.Single(report.Findings, x => x.Status == OutputFileStatus.Extra);
        Assert.Equal(extra.Path, finding.Path);
        Assert.Equal(Day2, finding.Date);
        Assert.Equal(1, report.UnitsChecked);

        var outside = await new OutputVerifier(f.Ledger).VerifyAsync(OutputFixture.Dataset, f.OutputRoot, Day1, Day1, false, Ct);
        Assert.True(outside.AllOk);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_group_readable_file_is_insecure_on_unix()
    {
        await using var f = await OutputFixture.CreateAsync(Ct);
        var file = await f.PublishDayAsync(Day1, Ct);
        await f.PublishDayAsync(Day3, Ct);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file.Path));
        File.SetUnixFileMode(file.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var report = await new OutputVerifier(f.Ledger).VerifyAsync(OutputFixture.Dataset, f.OutputRoot, null, null, false, Ct);

        var finding = Assert.Single(report.Findings, x => x.Status != OutputFileStatus.Ok);
        Assert.Equal(OutputFileStatus.InsecurePermissions, finding.Status);
        Assert.Contains("0644", finding.Message, StringComparison.Ordinal);
        Assert.Equal("insecure-permissions", OutputVerificationReport.Name(finding.Status));
    }
}
