using Backfill.Engine.Datasets;
using Backfill.Tests.Shared;

namespace Backfill.Cli.Tests;

/// <summary>
/// Outputs and Crypto Lake in a bucket, through the real command tree against s3rver on loopback. The AWS SDK reads its
/// credentials from the process environment, so these tests run alone (<see cref="ProcessWideState"/>).
/// </summary>
[Collection(ProcessWideState.Name)]
public sealed class ObjectStorageCommandTests : IAsyncLifetime
{
    private S3TestServer? _server;
    private readonly Dictionary<string, string?> _saved = [];

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var (name, value) in _saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    private async Task<string[]> S3SettingsAsync(string key, string secret)
    {
        _server ??= await S3TestServer.StartAsync();
        foreach (var (name, value) in new[] { ("AWS_ACCESS_KEY_ID", key), ("AWS_SECRET_ACCESS_KEY", secret), ("AWS_SESSION_TOKEN", (string?)null), ("AWS_PROFILE", null) })
        {
            _saved.TryAdd(name, Environment.GetEnvironmentVariable(name));
            Environment.SetEnvironmentVariable(name, value);
        }

        return ["--set", $"s3.endpoint={_server.Endpoint}", "--set", "s3.region=us-east-1", "--set", "s3.forcePathStyle=true"];
    }

    [Fact]
    public async Task A_dataset_processed_into_a_bucket_is_listed_verified_deep_and_gap_free_and_the_ledger_holds_s3_uris()
    {
        var s3 = await S3SettingsAsync(S3TestServer.AccessKey, S3TestServer.AccessKey);
        using var cli = new CliRunner { Datasets = DatasetRegistry.Default.With(new TinyDataset.TinyDataset()) };
        string[] common = ["--dataset", "tiny", .. s3, "--set", "processing.outputDirectory=s3://backfill-test/team", "--set", $"processing.tempDirectory={Path.Combine(cli.Folder, "temp")}", "--set", "processing.startDate=2024-06-03"];

        var run = await cli.RunAsync([.. common, "process", "2024-06-03"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var list = await cli.RunAsync([.. common, "list", "--format", "json"]);
        Assert.True(list.ExitCode == 0, list.ToString());
        Assert.Contains("s3://backfill-test/team/tiny/2024/06/03/", list.Out, StringComparison.Ordinal);
        var verify = await cli.RunAsync([.. common, "verify", "--deep"]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var gaps = await cli.RunAsync([.. common, "gaps", "--from", "2024-06-03", "--to", "2024-06-03", "--format", "json"]);
        Assert.True(gaps.ExitCode == 0, gaps.ToString());
        Assert.DoesNotContain("2024-06-03", gaps.Out, StringComparison.Ordinal);
        var cleanup = await cli.RunAsync([.. common, "cleanup", "--temp-files"]);
        Assert.True(cleanup.ExitCode == 0, cleanup.ToString());
    }

    [Fact]
    public async Task Refused_credentials_stop_process_with_exit_3_naming_the_bucket_and_never_the_secret()
    {
        var s3 = await S3SettingsAsync("NOT-A-KEY", "do-not-print-this-secret");
        using var cli = new CliRunner();
        var run = await cli.RunAsync(["--dataset", "crypto-book", .. s3, "--set", "processing.outputDirectory=s3://backfill-test/team",
            "--set", $"processing.tempDirectory={Path.Combine(cli.Folder, "temp")}", "--set", "processing.startDate=2024-08-01",
            "--set", $"cryptolake.baseUrl={Path.Combine(cli.Folder, "mirror")}", "process", "2024-08-08"]);
        Assert.True(run.ExitCode == 3, run.ToString());
        Assert.Contains("backfill-test", run.Error, StringComparison.Ordinal);
        Assert.Contains("AWS_ACCESS_KEY_ID", run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("do-not-print-this-secret", run.Error + run.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Crypto_lake_read_from_a_bucket_is_rebuilt_into_a_bucket()
    {
        var s3 = await S3SettingsAsync(S3TestServer.AccessKey, S3TestServer.AccessKey);
        using var cli = new CliRunner(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        var mirror = Path.Combine(cli.Folder, "mirror");
        var simulate = await cli.RunAsync("simulate", "cryptolake", "--mirror", mirror, "--from", "2024-08-08", "--scale", "0.02");
        Assert.True(simulate.ExitCode == 0, simulate.ToString());
        using (var bucket = new Backfill.ObjectStorage.S3Bucket(S3TestServer.Bucket, new(_server!.Endpoint, "us-east-1", true)))
        {
            foreach (var file in Directory.GetFiles(mirror, "*.parquet", SearchOption.AllDirectories))
            {
                var key = "lake/" + Path.GetRelativePath(mirror, file).Replace(Path.DirectorySeparatorChar, '/');
                await bucket.PutFileAsync(key, file, new Dictionary<string, string>(), TestContext.Current.CancellationToken);
            }
        }

        string[] common = ["--dataset", "crypto-book", .. s3, "--set", "cryptolake.baseUrl=s3://backfill-test/lake", "--set", "processing.outputDirectory=s3://backfill-test/books",
            "--set", $"processing.tempDirectory={Path.Combine(cli.Folder, "temp")}", "--set", "processing.startDate=2024-08-01"];
        var run = await cli.RunAsync([.. common, "process", "2024-08-08"]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var list = await cli.RunAsync([.. common, "list", "--format", "json"]);
        Assert.Contains("s3://backfill-test/books/crypto-book/2024/08/08/crypto-book-2024-08-08.parquet", list.Out, StringComparison.Ordinal);
        var verify = await cli.RunAsync([.. common, "verify", "--deep"]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }
}
