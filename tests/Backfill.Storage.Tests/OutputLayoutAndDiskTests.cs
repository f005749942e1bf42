using Backfill.Tests.Shared;
using Backfill.Core.Errors;
using Backfill.Storage.Disk;
using Backfill.Storage.Layout;
using Backfill.Storage.Outputs;

namespace Backfill.Storage.Tests;

public sealed class OutputLayoutAndDiskTests
{
    private static readonly OutputLayout Spx = new("spx", "spx-options", OutputLayout.Parquet);

    [Fact]
    public void Spx_path_follows_the_layout_and_parses_back()
    {
        var path = Spx.PathFor("/data/out", new DateOnly(2024, 3, 7));

        Assert.Equal(Path.Combine("/data/out", "spx", "2024", "03", "07", "spx-options-2024-03-07.parquet"), path);
        Assert.True(Spx.TryParsePath("/data/out", path, out var date));
        Assert.Equal(new DateOnly(2024, 3, 7), date);
        Assert.Equal("spx/2024/03/07/spx-options-2024-03-07.parquet", Spx.KeyFor(date));
    }

    [Fact]
    public void Keys_of_another_layout_or_a_bent_date_do_not_parse()
    {
        Assert.False(Spx.TryParseKey("fop/2024/03/07/spx-options-2024-03-07.parquet", out _));
        Assert.False(Spx.TryParseKey("spx/2024/03/08/spx-options-2024-03-07.parquet", out _));
        Assert.False(Spx.TryParseKey("spx/2024/03/07/spx-options-2024-03-07.csv", out _));
    }

    [Fact]
    public async Task Other_files_and_incoming_are_not_outputs()
    {
        using var dir = new TempDirectory();
        var good = Spx.PathFor(dir.Path, new DateOnly(2024, 1, 2));
        Directory.CreateDirectory(Path.GetDirectoryName(good)!);
        File.WriteAllText(good, "x");
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(good)!, "notes.parquet"), "x");
        File.WriteAllText(Path.Combine(Path.GetDirectoryName(good)!, "spx-options-2024-01-03.parquet"), "x"); // wrong folder
        Directory.CreateDirectory(dir.Combine(".incoming"));
        File.WriteAllText(dir.Combine(".incoming", "spx-options-2024-01-02.parquet"), "x");

        var store = new LocalOutputStore(dir.Path, dir.Combine("work"));
        var files = new List<(string, DateOnly)>();
        await foreach (var (item, date) in Spx.ListAsync(store, TestContext.Current.CancellationToken))
        {
            files.Add((item.Location, date));
        }

        Assert.Equal([(good, new DateOnly(2024, 1, 2))], files);
        Assert.False(Spx.TryParsePath(dir.Path, dir.Combine(".incoming", "spx-options-2024-01-02.parquet"), out _));
    }

    [Fact]
    public void Disk_guard_requires_one_and_a_half_times_the_estimate()
    {
        var guard = new DiskSpaceGuard(new FixedProbe(1500));
        guard.EnsureSpace("/anywhere", 1000);

        var ex = Assert.Throws<InsufficientDiskException>(() => guard.EnsureSpace("/anywhere", 1001));
        Assert.Equal(1500, ex.AvailableBytes);
        Assert.Equal(1502, ex.RequiredBytes);
    }

    [Fact]
    public void Default_probe_resolves_a_path_that_does_not_exist_yet()
    {
        using var dir = new TempDirectory();
        Assert.True(new DriveInfoDiskSpaceProbe().GetAvailableBytes(dir.Combine("a", "b", "c.parquet")) > 0);
    }

    private sealed class FixedProbe(long available) : IDiskSpaceProbe
    {
        public long GetAvailableBytes(string path) => available;
    }
}
