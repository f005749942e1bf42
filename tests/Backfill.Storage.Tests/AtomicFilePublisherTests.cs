using Backfill.Tests.Shared;
using Backfill.Storage.Publish;

namespace Backfill.Storage.Tests;

public sealed class AtomicFilePublisherTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Published_file_has_hash_size_and_private_permissions_and_no_temp_left()
    {
        using var dir = new TempDirectory();
        var publisher = new AtomicFilePublisher(dir.Combine("work"), dir.Combine("out"));
        var final = dir.Combine("out", "spx", "2024", "01", "02", "f.parquet");

        var published = await publisher.PublishAsync(final, (temp, ct) => File.WriteAllTextAsync(temp, "hello", ct), Ct);

        Assert.Equal(final, published.Path);
        Assert.Equal(5, published.SizeBytes);
        Assert.Equal("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", published.Sha256);
        Assert.Empty(Directory.GetFiles(dir.Combine("work")));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(final));
            foreach (var d in new[] { "out/spx", "out/spx/2024", "out/spx/2024/01", "out/spx/2024/01/02" })
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir.Combine(d)));
            }
        }
    }

    [Fact]
    public async Task Writer_failing_midway_leaves_no_final_file_and_no_temp()
    {
        using var dir = new TempDirectory();
        var publisher = new AtomicFilePublisher(dir.Combine("work"), dir.Combine("out"));
        var final = dir.Combine("out", "spx", "f.parquet");

        await Assert.ThrowsAsync<InvalidOperationException>(() => publisher.PublishAsync(
            final,
            async (temp, ct) =>
            {
                await File.WriteAllTextAsync(temp, "half", ct);
                throw new InvalidOperationException("writer crashed");
            },
            Ct));

        Assert.False(File.Exists(final));
        Assert.Empty(Directory.GetFiles(dir.Combine("work")));
    }

    [Fact]
    public async Task Republishing_replaces_the_previous_file_atomically()
    {
        using var dir = new TempDirectory();
        var publisher = new AtomicFilePublisher(dir.Combine("work"), dir.Combine("out"));
        var final = dir.Combine("out", "spx", "f.parquet");
        await publisher.PublishAsync(final, (temp, ct) => File.WriteAllTextAsync(temp, "old", ct), Ct);
        await Assert.ThrowsAsync<IOException>(() => publisher.PublishAsync(final, (_, _) => throw new IOException("disk"), Ct));
        Assert.Equal("old", await File.ReadAllTextAsync(final, Ct));

        await publisher.PublishAsync(final, (temp, ct) => File.WriteAllTextAsync(temp, "new", ct), Ct);
        Assert.Equal("new", await File.ReadAllTextAsync(final, Ct));
    }

    [Fact]
    public async Task Cross_filesystem_rename_falls_back_to_incoming_folder_at_the_output_root()
    {
        using var dir = new TempDirectory();
        var mover = new CrossDeviceOnceMover();
        var publisher = new AtomicFilePublisher(dir.Combine("work"), dir.Combine("out"), mover);
        var final = dir.Combine("out", "spx", "f.parquet");

        var published = await publisher.PublishAsync(final, (temp, ct) => File.WriteAllTextAsync(temp, "payload", ct), Ct);

        Assert.Equal("payload", await File.ReadAllTextAsync(final, Ct));
        Assert.Equal(2, mover.Calls.Count);
        Assert.StartsWith(dir.Combine("out", AtomicFilePublisher.IncomingFolderName) + Path.DirectorySeparatorChar, mover.Calls[1].Source, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir.Combine("work")));
        Assert.Empty(Directory.GetFiles(dir.Combine("out", AtomicFilePublisher.IncomingFolderName)));
        Assert.Equal(await AtomicFilePublisher.HashFileAsync(final, Ct), published.Sha256);
    }

    [Fact]
    public void Clean_incoming_removes_leftovers()
    {
        using var dir = new TempDirectory();
        Directory.CreateDirectory(dir.Combine("out", ".incoming"));
        File.WriteAllText(dir.Combine("out", ".incoming", ".f.parquet.123.tmp"), "partial");
        var publisher = new AtomicFilePublisher(dir.Combine("work"), dir.Combine("out"));

        Assert.Equal(1, publisher.CleanIncoming());
        Assert.Empty(Directory.GetFiles(dir.Combine("out", ".incoming")));
    }

    private sealed class CrossDeviceOnceMover : IFileMover
    {
        public List<(string Source, string Destination)> Calls { get; } = [];

        public void Move(string source, string destination)
        {
            Calls.Add((source, destination));
            if (Calls.Count == 1)
            {
                throw new CrossDeviceMoveException("simulated EXDEV");
            }

            new RenameFileMover().Move(source, destination);
        }
    }
}
