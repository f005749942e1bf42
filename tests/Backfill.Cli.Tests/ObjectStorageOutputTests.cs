using System.Diagnostics;
using System.Text.Json;
using Backfill.Engine.Datasets;
using Backfill.ObjectStorage;
using Backfill.Simulators.ThetaData;
using Backfill.Tests.Shared;

namespace Backfill.Cli.Tests;

/// <summary>
/// Outputs in a bucket as a user reaches them: the standard AWS variables (<c>AWS_ENDPOINT_URL</c>, <c>AWS_REGION</c>,
/// the access keys) pointing at s3rver on loopback, <c>processing.outputDirectory=s3://...</c>, and the commands that
/// work on outputs (process, verify, list, gaps, cleanup, ledger rebuild, export), plus a publish SIGKILLed before and
/// during its upload. The SDK reads the process environment, so these tests run alone (<see cref="ProcessWideState"/>).
/// </summary>
[Collection(ProcessWideState.Name)]
public sealed class ObjectStorageOutputTests : IAsyncLifetime
{
    private const string SpxKey = "spx/2024/06/12/spx-options-2024-06-12.parquet";
    private readonly Dictionary<string, string?> _saved = [];
    private S3TestServer? _server;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

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

    /// <summary>Starts s3rver and points the standard AWS variables of this process at <paramref name="endpoint"/> (the server when null).</summary>
    private async Task<S3TestServer> ServerAsync()
    {
        _server ??= await S3TestServer.StartAsync();
        foreach (var (name, value) in AwsVariables(_server.Endpoint))
        {
            _saved.TryAdd(name, Environment.GetEnvironmentVariable(name));
            Environment.SetEnvironmentVariable(name, value);
        }

        return _server;
    }

    private static Dictionary<string, string?> AwsVariables(Uri endpoint) => new(StringComparer.Ordinal)
    {
        ["AWS_ENDPOINT_URL"] = endpoint.ToString(),
        ["AWS_ENDPOINT_URL_S3"] = null,
        ["AWS_REGION"] = "us-east-1",
        ["BACKFILL_S3_FORCEPATHSTYLE"] = "true",
        ["AWS_ACCESS_KEY_ID"] = S3TestServer.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = S3TestServer.AccessKey,
        ["AWS_SESSION_TOKEN"] = null,
        ["AWS_PROFILE"] = null,
    };

    /// <summary>Every key in the test bucket, under any prefix, hidden ones included.</summary>
    private async Task<List<string>> AllKeysAsync()
    {
        using var bucket = new S3Bucket(S3TestServer.Bucket, new S3ConnectionOptions(_server!.Endpoint, "us-east-1", true));
        var keys = new List<string>();
        await foreach (var entry in bucket.ListAsync(string.Empty, Ct))
        {
            keys.Add(entry.Key);
        }

        return keys;
    }

    private static string[] Spx(CliRunner cli, ThetaDataSimulator sim, string prefix) =>
    [
        "--set", $"thetadata.baseUrl={sim.BaseAddress.ToString().TrimEnd('/')}",
        "--set", "processing.startDate=2024-06-03",
        "--set", $"processing.outputDirectory=s3://{S3TestServer.Bucket}/{prefix}",
        "--set", $"processing.tempDirectory={Path.Combine(cli.Folder, "temp")}",
    ];

    [Fact]
    public async Task The_spx_day_processed_with_AWS_ENDPOINT_URL_is_one_object_in_the_bucket_that_verifies_and_rebuilds_a_lost_ledger()
    {
        await ServerAsync();
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.01 }, cancellationToken: Ct);
        using var cli = new CliRunner();
        var spx = Spx(cli, sim, "desk");

        var run = await cli.RunAsync(["process", "2024-06-12", .. spx]);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal(["desk/" + SpxKey], await AllKeysAsync());
        using (var bucket = new S3Bucket(S3TestServer.Bucket, new S3ConnectionOptions(_server!.Endpoint, "us-east-1", true)))
        {
            var head = await bucket.HeadAsync("desk/" + SpxKey, Ct);
            Assert.NotNull(head);
            Assert.Matches("^[0-9a-f]{64}$", head.Metadata["sha256"]);
            Assert.True(long.Parse(head.Metadata["rows"], System.Globalization.CultureInfo.InvariantCulture) > 0);
        }

        var list = await cli.RunAsync(["list", "--format", "json", .. spx]);
        var row = Assert.Single(list.Json().EnumerateArray());
        Assert.Equal($"s3://{S3TestServer.Bucket}/desk/{SpxKey}", row.GetProperty("file").GetString());
        var verify = await cli.RunAsync(["verify", .. spx]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
        var verifyDeep = await cli.RunAsync(["verify", "--deep", .. spx]);
        Assert.True(verifyDeep.ExitCode == 0, verifyDeep.ToString());

        var gaps = await cli.RunAsync(["gaps", "--from", "2024-06-10", "--to", "2024-06-14", "--format", "json", .. spx]);
        Assert.True(gaps.ExitCode == 0, gaps.ToString());
        Assert.DoesNotContain("2024-06-12", gaps.Out, StringComparison.Ordinal);
        Assert.Contains("2024-06-13", gaps.Out, StringComparison.Ordinal);

        // The ledger is lost: rebuilt from the objects in the bucket alone.
        LoseLedger(cli);

        var rebuild = await cli.RunAsync(["ledger", "rebuild", "--format", "json", .. spx]);
        Assert.True(rebuild.ExitCode == 0, rebuild.ToString());
        var registered = Assert.Single(rebuild.Json().EnumerateArray());
        Assert.Equal("registered", registered.GetProperty("status").GetString());
        var deep = await cli.RunAsync(["verify", "--deep", .. spx]);
        Assert.True(deep.ExitCode == 0, deep.ToString());
        var after = await cli.RunAsync(["list", "--format", "json", .. spx]);
        Assert.Equal($"s3://{S3TestServer.Bucket}/desk/{SpxKey}", Assert.Single(after.Json().EnumerateArray()).GetProperty("file").GetString());
        Assert.Equal(["desk/" + SpxKey], await AllKeysAsync());
    }

    [Fact]
    public async Task A_published_object_downloaded_from_the_bucket_is_read_by_DuckDB_with_its_rows_and_date()
    {
        var modules = DuckDb.RequireModules();
        var server = await ServerAsync();
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.01 }, cancellationToken: Ct);
        using var cli = new CliRunner();
        var run = await cli.RunAsync(["process", "2024-06-12", .. Spx(cli, sim, "duck")]);
        Assert.True(run.ExitCode == 0, run.ToString());

        // Downloaded as any S3 client would (aws s3 cp), then read with the queries docs/object-storage.md shows.
        var file = Path.Combine(cli.Folder, "spx-options-2024-06-12.parquet");
        string rows;
        using (var bucket = new S3Bucket(S3TestServer.Bucket, new S3ConnectionOptions(server.Endpoint, "us-east-1", true)))
        {
            rows = (await bucket.HeadAsync("duck/" + SpxKey, Ct))!.Metadata["rows"];
            await bucket.DownloadAsync("duck/" + SpxKey, file, Ct);
        }

        var result = await DuckDb.QueryAsync(modules, file, ["SELECT count(*) AS n FROM read_parquet({file})", DuckDb.MetadataQuery], Ct);
        Assert.Equal(rows, result[0][0].GetProperty("n").GetString());
        var metadata = DuckDb.Metadata(result[1]);
        Assert.Equal("2024-06-12", metadata["backfill.date"]);
        Assert.Equal(rows, metadata["backfill.row_count"]);
    }

    public static TheoryData<string> KillMoments => new("before-upload", "mid-upload");

    [Theory]
    [MemberData(nameof(KillMoments))]
    public async Task A_publish_killed_before_or_during_its_upload_leaves_no_object_cleanup_finds_its_leftovers_and_a_rerun_publishes(string moment)
    {
        var server = await ServerAsync();
        await using var proxy = new S3FaultProxy(server.Endpoint);
        await using var sim = await ThetaDataSimulator.StartAsync(new ThetaDataSimulatorOptions { Scale = 0.01 }, cancellationToken: Ct);
        using var cli = new CliRunner();
        var spx = Spx(cli, sim, "killed");
        var marker = Path.Combine(cli.Folder, "crash.marker");
        var env = new Dictionary<string, string?>(AwsVariables(moment == "mid-upload" ? proxy.Endpoint : server.Endpoint))
        {
            ["BACKFILL_METRICS_DIRECTORY"] = Path.Combine(cli.Folder, "metrics"),
            ["BACKFILL_LOGGING_DIRECTORY"] = Path.Combine(cli.Folder, "logs"),
        };
        if (moment == "before-upload")
        {
            // The Parquet file is complete in the work folder; nothing is sent yet.
            env[Backfill.Ledger.CrashPoint.Variable] = "publish.before-rename";
            env[Backfill.Ledger.CrashPoint.FileVariable] = marker;
        }
        else
        {
            // Half of the file's bytes reach the server in its part upload; the rest is held until the process dies.
            proxy.Inject(S3FaultProxy.Fault.Stall, "PUT", "/killed/spx/");
        }

        using (var child = StartChild(["process", "2024-06-12", "--db", cli.Db, .. spx], env))
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            limit.CancelAfter(TimeSpan.FromMinutes(3));
            if (moment == "before-upload")
            {
                while (!File.Exists(marker))
                {
                    Assert.False(child.HasExited, $"the run ended (exit {(child.HasExited ? child.ExitCode : 0)}) before its publish");
                    await Task.Delay(50, limit.Token);
                }
            }
            else
            {
                var request = await proxy.Stalled.WaitAsync(limit.Token);
                Assert.Contains("uploadId=", request, StringComparison.Ordinal);
            }

            child.Kill(entireProcessTree: true);
            await child.WaitForExitAsync(Ct);
        }

        // No object under any key: the final key was never made visible.
        Assert.Empty(await AllKeysAsync());
        if (moment == "mid-upload")
        {
            // The part's bytes did reach the server (s3rver keeps an unfinished upload's parts beside the bucket's objects).
            var uploads = Directory.GetFiles(server.Folder, "*", SearchOption.AllDirectories).Where(f => f.Contains("_S3rver_uploads", StringComparison.Ordinal)).ToList();
            Assert.NotEmpty(uploads);
        }

        var list = await cli.RunAsync(["list", "--format", "json", .. spx]);
        Assert.DoesNotContain("\"success\"", list.Out, StringComparison.Ordinal);

        // The local temp file of the killed publish is found, then removed. (An incomplete multipart upload is listed
        // and aborted too where the store can list them; s3rver cannot, see docs/object-storage.md.)
        var dry = await cli.RunAsync(["cleanup", "--temp-files", "--dry-run", "--format", "json", .. spx]);
        Assert.True(dry.ExitCode == 0, dry.ToString());
        var temp = Assert.Single(dry.Json().EnumerateArray(), i => i.GetProperty("path").GetString()!.Contains("spx-options-2024-06-12.parquet.", StringComparison.Ordinal));
        Assert.True(File.Exists(temp.GetProperty("path").GetString()));
        var clean = await cli.RunAsync(["cleanup", "--temp-files", .. spx]);
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.False(File.Exists(temp.GetProperty("path").GetString()));

        var rerun = await cli.RunAsync(["process", "2024-06-12", .. spx]);
        Assert.True(rerun.ExitCode == 0, rerun.ToString());
        Assert.Equal(["killed/" + SpxKey], await AllKeysAsync());
        var verify = await cli.RunAsync(["verify", "--deep", .. spx]);
        Assert.True(verify.ExitCode == 0, verify.ToString());
    }

    [Fact]
    public async Task A_corrupted_object_fails_verify_cleanup_failed_outputs_deletes_it_and_reopens_its_date_and_retention_prunes_objects()
    {
        var server = await ServerAsync();
        using var cli = new CliRunner { Datasets = DatasetRegistry.Default.With(new TinyDataset.TinyDataset()) };
        string[] tiny = ["--dataset", "tiny", "--set", "processing.outputDirectory=s3://backfill-test/tiny-run", "--set", $"processing.tempDirectory={Path.Combine(cli.Folder, "temp")}", "--set", "processing.startDate=2024-06-03"];
        var run = await cli.RunAsync(["process-range", "2024-06-03", "2024-06-04", .. tiny]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var keys = await AllKeysAsync();
        Assert.Equal(2, keys.Count);

        // Another writer replaces one object with other bytes.
        var bad = keys.Single(k => k.Contains("2024-06-03", StringComparison.Ordinal));
        var other = Path.Combine(cli.Folder, "other.bin");
        await File.WriteAllBytesAsync(other, [1, 2, 3], Ct);
        using (var bucket = new S3Bucket(S3TestServer.Bucket, new S3ConnectionOptions(server.Endpoint, "us-east-1", true)))
        {
            await bucket.PutFileAsync(bad, other, new Dictionary<string, string>(), Ct);
        }

        var verify = await cli.RunAsync(["verify", .. tiny]);
        Assert.NotEqual(0, verify.ExitCode);
        var cleanup = await cli.RunAsync(["cleanup", "--failed-outputs", "--format", "json", .. tiny]);
        Assert.True(cleanup.ExitCode == 0, cleanup.ToString());
        var item = Assert.Single(cleanup.Json().EnumerateArray());
        Assert.Equal($"s3://{S3TestServer.Bucket}/{bad}", item.GetProperty("path").GetString());
        Assert.DoesNotContain(bad, await AllKeysAsync());
        var gaps = await cli.RunAsync(["gaps", "--from", "2024-06-03", "--to", "2024-06-04", "--format", "json", .. tiny]);
        Assert.Contains("2024-06-03", gaps.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("2024-06-04", gaps.Out, StringComparison.Ordinal);
        var again = await cli.RunAsync(["verify", .. tiny]);
        Assert.True(again.ExitCode == 0, again.ToString());

        // Retention deletes the objects of dates past the period (the runner's clock is 2024-12-31).
        var retention = await cli.RunAsync(["cleanup", "--older-than", "30", "--format", "json", .. tiny]);
        Assert.True(retention.ExitCode == 0, retention.ToString());
        Assert.Equal($"s3://{S3TestServer.Bucket}/{keys.Single(k => k != bad)}", Assert.Single(retention.Json().EnumerateArray()).GetProperty("path").GetString());
        Assert.Empty(await AllKeysAsync());
    }

    [Fact]
    public async Task Fop_export_reads_its_outputs_from_a_bucket_into_the_same_bytes_as_from_a_folder_and_refuses_an_s3_output_file()
    {
        const string key = "db-cli-secret-key-abcdef0123456789";
        await ServerAsync();
        await using var databento = await Backfill.Simulators.Databento.DatabentoSimulator.StartAsync(
            new Backfill.Simulators.Databento.DatabentoSimulatorOptions { RequiredApiKey = key }, 0, Ct);
        using var cli = new CliRunner(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));
        cli.Env["BACKFILL_DATABENTO_APIKEY"] = key;
        string[] Fop(string output, string db) =>
        [
            "--dataset", "fop", "--db", db,
            "--set", $"databento.baseUrl={databento.BaseAddress.ToString().TrimEnd('/')}",
            "--set", "processing.startDate=2024-01-02",
            "--set", $"processing.outputDirectory={output}",
            "--set", $"processing.tempDirectory={Path.Combine(cli.Folder, "temp")}",
        ];
        var inBucket = Fop("s3://backfill-test/fop-run", Path.Combine(cli.Folder, "bucket.db"));
        var inFolder = Fop(Path.Combine(cli.Folder, "out"), Path.Combine(cli.Folder, "folder.db"));
        foreach (var flags in new[] { inBucket, inFolder })
        {
            var run = await cli.RunAsync(["process-range", "2025-01-02", "2025-01-03", .. flags]);
            Assert.True(run.ExitCode == 0, run.ToString());
        }

        Assert.NotEmpty(await AllKeysAsync());
        var fromBucket = await cli.RunAsync(["export", "--from", "2025-01-02", "--to", "2025-01-03", .. inBucket]);
        Assert.True(fromBucket.ExitCode == 0, fromBucket.ToString());
        Assert.StartsWith("timestamp,Futures_Price,", fromBucket.Out, StringComparison.Ordinal);
        var fromFolder = await cli.RunAsync(["export", "--from", "2025-01-02", "--to", "2025-01-03", .. inFolder]);
        Assert.Equal(fromFolder.Out, fromBucket.Out);

        var file = Path.Combine(cli.Folder, "export.csv");
        var toFile = await cli.RunAsync(["export", "--from", "2025-01-02", "--to", "2025-01-03", "--output", file, .. inBucket]);
        Assert.True(toFile.ExitCode == 0, toFile.ToString());
        Assert.Equal(fromBucket.Out, await File.ReadAllTextAsync(file, Ct));

        var keysBefore = await AllKeysAsync();
        var refused = await cli.RunAsync(["export", "--from", "2025-01-02", "--to", "2025-01-03", "--output", "s3://backfill-test/exports/fop.csv", .. inBucket]);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("'s3://backfill-test/exports/fop.csv' is not a local file", refused.Error, StringComparison.Ordinal);
        Assert.Equal(keysBefore, await AllKeysAsync());
        Assert.False(Directory.Exists(Path.Combine(Environment.CurrentDirectory, "s3:")));
    }

    [Fact]
    public async Task Ohlcv_outputs_in_a_bucket_are_backed_up_to_a_local_folder_and_recovered_into_the_bucket_from_it_or_in_place()
    {
        await ServerAsync();
        await using var alpha = await Backfill.Simulators.AlphaVantage.AlphaVantageSimulator.StartAsync(
            new Backfill.Simulators.AlphaVantage.AlphaVantageSimulatorOptions { Today = new DateOnly(2025, 6, 30) }, 0, Ct);
        using var cli = new CliRunner(new DateTimeOffset(2025, 6, 30, 23, 0, 0, TimeSpan.Zero));
        cli.Env["ALPHA_VANTAGE_API_KEY"] = "av-backup-test-key";
        cli.Env["BACKFILL_OHLCV_KEYFILE"] = Path.Combine(cli.Folder, "keys", "ohlcv-keys.json");
        string[] ohlcv =
        [
            "--dataset", "ohlcv",
            "--set", $"alphavantage.baseUrl={alpha.BaseAddress.ToString().TrimEnd('/')}",
            "--set", "alphavantage.minIntervalMs=0",
            "--set", "ohlcv.symbols=AAPL,MSFT",
            "--set", "processing.startDate=2025-06-02",
            "--set", "processing.outputDirectory=s3://backfill-test/av",
            "--set", $"processing.tempDirectory={Path.Combine(cli.Folder, "temp")}",
        ];
        Assert.Equal(0, (await cli.RunAsync("keys", "init")).ExitCode);
        var run = await cli.RunAsync(["process-range", "2025-06-23", "2025-06-25", .. ohlcv]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var objects = await AllKeysAsync();
        Assert.Equal(3, objects.Count);
        var original = new Dictionary<string, string>(StringComparer.Ordinal);
        using var bucket = new S3Bucket(S3TestServer.Bucket, new S3ConnectionOptions(_server!.Endpoint, "us-east-1", true));
        foreach (var key in objects)
        {
            original[key] = (await bucket.HeadAsync(key, Ct))!.Metadata["sha256"];
        }

        // No folder beside a bucket: the destination must be given.
        var noDestination = await cli.RunAsync(["backup", "create", .. ohlcv]);
        Assert.Equal(2, noDestination.ExitCode);
        Assert.Contains("--to FOLDER", noDestination.Error, StringComparison.Ordinal);

        var backups = Path.Combine(cli.Folder, "backups");
        var create = await cli.RunAsync(["backup", "create", "--to", backups, "--format", "json", .. ohlcv]);
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.Equal(3, create.Json().EnumerateArray().Count(r => r.GetProperty("status").GetString() == "ok"));
        var backup = Assert.Single(Directory.GetDirectories(backups, "ohlcv-backup-*"));
        var manifest = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(backup, "manifest.json"), Ct)).RootElement;
        Assert.Equal(
            original.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key["av/ohlcv/".Length..], p.Value)),
            manifest.GetProperty("files").EnumerateArray().Select(f => (f.GetProperty("path").GetString()!, f.GetProperty("sha256").GetString()!)));
        var verifyBackup = await cli.RunAsync(["backup", "verify", backup, .. ohlcv]);
        Assert.True(verifyBackup.ExitCode == 0, verifyBackup.ToString());

        // The bucket's objects and the ledger are lost; recover --from puts the same bytes back and registers them.
        foreach (var key in objects)
        {
            await bucket.DeleteAsync(key, Ct);
        }

        LoseLedger(cli);
        var recover = await cli.RunAsync(["recover", "--from", backup, "--format", "json", .. ohlcv]);
        Assert.True(recover.ExitCode == 0, recover.ToString());
        Assert.All(recover.Json().EnumerateArray(), r => Assert.Equal("restored", r.GetProperty("status").GetString()));
        Assert.Equal(objects, await AllKeysAsync());
        foreach (var key in objects)
        {
            Assert.Equal(original[key], (await bucket.HeadAsync(key, Ct))!.Metadata["sha256"]);
        }

        var list = await cli.RunAsync(["list", "--format", "json", .. ohlcv]);
        Assert.All(list.Json().EnumerateArray(), r => Assert.StartsWith("s3://backfill-test/av/ohlcv/", r.GetProperty("file").GetString(), StringComparison.Ordinal));
        var verify = await cli.RunAsync(["verify", "--deep", .. ohlcv]);
        Assert.True(verify.ExitCode == 0, verify.ToString());

        // Objects copied back by hand: recover without --from re-links them from the bucket.
        LoseLedger(cli);
        var inPlace = await cli.RunAsync(["recover", "--format", "json", .. ohlcv]);
        Assert.True(inPlace.ExitCode == 0, inPlace.ToString());
        Assert.Equal(3, inPlace.Json().EnumerateArray().Count(r => r.GetProperty("status").GetString() == "relinked"));
        var again = await cli.RunAsync(["recover", "--format", "json", .. ohlcv]);
        Assert.Equal(3, again.Json().EnumerateArray().Count(r => r.GetProperty("status").GetString() == "already-current"));
        Assert.Equal(objects, await AllKeysAsync());

        // keys check|rotate still work on a local folder only.
        var keys = await cli.RunAsync(["keys", "check", .. ohlcv]);
        Assert.Equal(2, keys.ExitCode);
        Assert.Contains("local output folder only", keys.Error, StringComparison.Ordinal);
    }

    private static void LoseLedger(CliRunner cli)
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.GetFiles(cli.Folder, Path.GetFileName(cli.Db) + "*"))
        {
            File.Delete(file);
        }
    }

    private static Process StartChild(IEnumerable<string> args, IReadOnlyDictionary<string, string?> env)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "backfill.dll"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (name, value) in env)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start)!;
        process.StandardInput.Close();
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }
}
