using System.Security.Cryptography;
using Backfill.Storage.Outputs;
using Backfill.Tests.Shared;

namespace Backfill.Storage.Tests;

/// <summary>
/// What every output store promises, run on the local folder store and on the S3 store against a real S3-compatible
/// server: publish, stat, list (paged, hidden work areas skipped), read back, delete, and what a killed publish leaves.
/// </summary>
public abstract class OutputStoreContract : IAsyncLifetime
{
    private readonly TempDirectory _temp = new();

    protected string WorkDirectory => _temp.Combine("work");

    /// <summary>The store under test; a test skips when the store's server is not available.</summary>
    protected abstract Task<IOutputStore> StoreAsync();

    /// <summary>Leaves what a publish of <paramref name="key"/> killed after its upload (before the object appears) leaves.</summary>
    protected abstract Task KillPublishMidwayAsync(IOutputStore store, string key, byte[] content);

    public virtual ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public virtual ValueTask DisposeAsync()
    {
        _temp.Dispose();
        GC.SuppressFinalize(this);
        return ValueTask.CompletedTask;
    }

    protected static Func<string, CancellationToken, Task> Writes(byte[] content) => (path, ct) => File.WriteAllBytesAsync(path, content, ct);

    protected static string Sha(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_published_object_is_stated_with_its_size_and_sha256_and_its_location_maps_back_to_its_key()
    {
        var store = await StoreAsync();
        var content = RandomNumberGenerator.GetBytes(70_000);
        var published = await store.PublishAsync("tiny/2024/06/12/tiny-2024-06-12.bin", Writes(content), null, Ct);
        Assert.Equal(content.Length, published.SizeBytes);
        Assert.Equal(Sha(content), published.Sha256);
        Assert.Equal(store.LocationOf("tiny/2024/06/12/tiny-2024-06-12.bin"), published.Location);
        Assert.Equal("tiny/2024/06/12/tiny-2024-06-12.bin", store.KeyOf(published.Location));

        var stat = await store.StatAsync("tiny/2024/06/12/tiny-2024-06-12.bin", Ct);
        Assert.NotNull(stat);
        Assert.Equal(content.Length, stat.SizeBytes);
        Assert.Equal(Sha(content), stat.Sha256);
        Assert.Null(await store.StatAsync("tiny/2024/06/13/tiny-2024-06-13.bin", Ct));
    }

    [Fact]
    public async Task Listing_by_prefix_returns_every_object_in_key_order_across_pages_and_never_a_work_area()
    {
        var store = await StoreAsync();
        var keys = Enumerable.Range(1, 7).Select(d => $"tiny/2024/07/{d:00}/tiny-2024-07-{d:00}.bin").Reverse().ToList();
        foreach (var key in keys)
        {
            await store.PublishAsync(key, Writes([(byte)key.Length, 1, 2]), null, Ct);
        }

        await store.PublishAsync("other/2024/07/01/other-2024-07-01.bin", Writes([9]), null, Ct);
        await KillPublishMidwayAsync(store, "tiny/2024/07/08/tiny-2024-07-08.bin", [1, 2, 3, 4]);

        var listed = new List<StoredObject>();
        await foreach (var item in store.ListAsync("tiny/", Ct))
        {
            listed.Add(item);
        }

        Assert.Equal(keys.Order(StringComparer.Ordinal), listed.Select(o => o.Key));
        Assert.All(listed, o => Assert.Equal(3, o.SizeBytes));
        Assert.All(listed, o => Assert.Equal(store.LocationOf(o.Key), o.Location));
    }

    [Fact]
    public async Task An_object_reads_back_through_a_local_copy_and_a_delete_removes_it_once()
    {
        var store = await StoreAsync();
        var content = RandomNumberGenerator.GetBytes(12_345);
        await store.PublishAsync("tiny/2024/08/01/tiny-2024-08-01.bin", Writes(content), null, Ct);
        string copyPath;
        using (var local = await store.OpenLocalAsync("tiny/2024/08/01/tiny-2024-08-01.bin", Ct))
        {
            copyPath = local.Path;
            Assert.Equal(content, await File.ReadAllBytesAsync(local.Path, Ct));
        }

        Assert.True(await store.DeleteAsync("tiny/2024/08/01/tiny-2024-08-01.bin", Ct));
        Assert.False(await store.DeleteAsync("tiny/2024/08/01/tiny-2024-08-01.bin", Ct));
        Assert.Null(await store.StatAsync("tiny/2024/08/01/tiny-2024-08-01.bin", Ct));
        await Assert.ThrowsAnyAsync<IOException>(async () =>
        {
            using var gone = await store.OpenLocalAsync("tiny/2024/08/01/tiny-2024-08-01.bin", Ct);
            await using var read = File.OpenRead(gone.Path);
        });
        Assert.Equal("tiny/2024/08/01/tiny-2024-08-01.bin", store.KeyOf(store.LocationOf("tiny/2024/08/01/tiny-2024-08-01.bin")));
        Assert.NotEmpty(copyPath);
    }

    [Fact]
    public async Task Publishing_a_key_again_replaces_the_object_whole()
    {
        var store = await StoreAsync();
        await store.PublishAsync("tiny/2024/09/01/tiny-2024-09-01.bin", Writes([1, 2, 3]), null, Ct);
        var second = RandomNumberGenerator.GetBytes(5000);
        await store.PublishAsync("tiny/2024/09/01/tiny-2024-09-01.bin", Writes(second), null, Ct);
        var stat = await store.StatAsync("tiny/2024/09/01/tiny-2024-09-01.bin", Ct);
        Assert.Equal(Sha(second), stat!.Sha256);
        using var local = await store.OpenLocalAsync("tiny/2024/09/01/tiny-2024-09-01.bin", Ct);
        Assert.Equal(second, await File.ReadAllBytesAsync(local.Path, Ct));
    }

    [Fact]
    public async Task A_publish_killed_midway_leaves_no_visible_object_and_cleanup_finds_and_removes_what_it_left()
    {
        var store = await StoreAsync();
        await KillPublishMidwayAsync(store, "tiny/2024/10/01/tiny-2024-10-01.bin", RandomNumberGenerator.GetBytes(3000));
        Assert.Null(await store.StatAsync("tiny/2024/10/01/tiny-2024-10-01.bin", Ct));
        await foreach (var item in store.ListAsync(string.Empty, Ct))
        {
            Assert.Fail($"{item.Key} is listed after a killed publish.");
        }

        var found = await store.CleanLeftoversAsync(dryRun: true, Ct);
        Assert.NotEmpty(found);
        Assert.Equal(found.Select(f => f.Location), (await store.CleanLeftoversAsync(dryRun: false, Ct)).Select(f => f.Location));
        Assert.Empty(await store.CleanLeftoversAsync(dryRun: true, Ct));

        var content = RandomNumberGenerator.GetBytes(3000);
        var published = await store.PublishAsync("tiny/2024/10/01/tiny-2024-10-01.bin", Writes(content), null, Ct);
        Assert.Equal(Sha(content), published.Sha256);
        Assert.Empty(await store.CleanLeftoversAsync(dryRun: true, Ct));
    }

    [Fact]
    public async Task A_retried_publish_removes_what_an_earlier_killed_publish_of_the_same_key_left()
    {
        var store = await StoreAsync();
        await KillPublishMidwayAsync(store, "tiny/2024/11/01/tiny-2024-11-01.bin", [1, 2, 3]);
        await store.PublishAsync("tiny/2024/11/01/tiny-2024-11-01.bin", Writes([4, 5, 6]), null, Ct);
        Assert.Empty(await store.CleanLeftoversAsync(dryRun: true, Ct));
    }
}

/// <summary>The contract on a local folder.</summary>
public sealed class LocalOutputStoreContractTests : OutputStoreContract
{
    private readonly TempDirectory _root = new();

    protected override Task<IOutputStore> StoreAsync() => Task.FromResult<IOutputStore>(new LocalOutputStore(_root.Combine("out"), WorkDirectory));

    /// <summary>A killed local publish leaves its temp file in the work folder (the rename never happened).</summary>
    protected override async Task KillPublishMidwayAsync(IOutputStore store, string key, byte[] content)
    {
        Directory.CreateDirectory(WorkDirectory);
        var name = key[(key.LastIndexOf('/') + 1)..];
        await File.WriteAllBytesAsync(Path.Combine(WorkDirectory, $".{name}.{Guid.NewGuid():N}.tmp"), content, TestContext.Current.CancellationToken);
    }

    public override ValueTask DisposeAsync()
    {
        _root.Dispose();
        return base.DisposeAsync();
    }
}
