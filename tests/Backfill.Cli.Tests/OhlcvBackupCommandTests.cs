using System.Text;
using System.Text.Json;
using Backfill.Encryption;
using Backfill.Simulators.AlphaVantage;

namespace Backfill.Cli.Tests;

/// <summary><c>backup create|verify</c>, <c>recover</c> and <c>cleanup --older-than</c> for the encrypted ohlcv dataset, through the command tree.</summary>
public sealed class OhlcvBackupCommandTests : IAsyncLifetime
{
    private readonly CliRunner _cli = new(new DateTimeOffset(2025, 6, 30, 23, 0, 0, TimeSpan.Zero));
    private AlphaVantageSimulator _simulator = null!;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private string Out => Path.Combine(_cli.Folder, "out");

    private string Temp => Path.Combine(_cli.Folder, "temp");

    private string Backups => Path.Combine(_cli.Folder, "backups");

    private string KeyFile => Path.Combine(_cli.Folder, "keys", "ohlcv-keys.json");

    public async ValueTask InitializeAsync()
    {
        _simulator = await AlphaVantageSimulator.StartAsync(new AlphaVantageSimulatorOptions { Today = new DateOnly(2025, 6, 30) }, 0, Ct);
        _cli.Env["ALPHA_VANTAGE_API_KEY"] = "av-backup-test-key";
        _cli.Env["BACKFILL_OHLCV_KEYFILE"] = KeyFile;
    }

    public async ValueTask DisposeAsync()
    {
        await _simulator.DisposeAsync();
        _cli.Dispose();
    }

    private Task<CliResult> Ohlcv(params string[] args) => _cli.RunAsync(
    [
        .. args, "--dataset", "ohlcv",
        "--set", $"alphavantage.baseUrl={_simulator.BaseAddress.ToString().TrimEnd('/')}",
        "--set", "alphavantage.minIntervalMs=0",
        "--set", "ohlcv.symbols=AAPL,MSFT",
        "--set", "processing.startDate=2025-06-02",
        "--set", $"processing.outputDirectory={Out}",
        "--set", $"processing.tempDirectory={Temp}",
    ]);

    private string OutputFile(int day) => Path.Combine(Out, "ohlcv", "2025", "06", $"{day:D2}", $"ohlcv-2025-06-{day:D2}.csv.enc");

    private async Task ProcessAsync(string from, string to)
    {
        Assert.Equal(0, (await _cli.RunAsync("keys", "init")).ExitCode);
        var run = await Ohlcv("process-range", from, to);
        Assert.True(run.ExitCode == 0, run.ToString());
    }

    private static Dictionary<string, string> StatusByDate(CliResult result) =>
        result.Json().EnumerateArray().ToDictionary(r => r.GetProperty("date").GetString()!, r => r.GetProperty("status").GetString()!);

    private async Task<string> CreateBackupAsync(string? to = null)
    {
        var create = await Ohlcv("backup", "create", "--to", to ?? Backups, "--format", "json");
        Assert.True(create.ExitCode == 0, create.ToString());
        Assert.All(create.Json().EnumerateArray(), r => Assert.Equal("ok", r.GetProperty("status").GetString()));
        return to ?? Assert.Single(Directory.GetDirectories(Backups, "ohlcv-backup-*"));
    }

    [Fact]
    public async Task Backup_create_copies_the_ciphertext_with_a_manifest_of_checksums_and_key_ids_never_keys_and_verify_decrypts_all()
    {
        await ProcessAsync("2025-06-23", "2025-06-25");
        var backup = await CreateBackupAsync();
        Assert.Equal("ohlcv-backup-20250630T230000Z", Path.GetFileName(backup));

        var store = KeyStore.Load(KeyFile, null);
        var manifestText = await File.ReadAllTextAsync(Path.Combine(backup, "manifest.json"), Ct);
        var manifest = JsonDocument.Parse(manifestText).RootElement;
        Assert.Equal(store.ActiveKey.Id, Assert.Single(manifest.GetProperty("key_ids").EnumerateArray()).GetString());
        Assert.Equal(3, manifest.GetProperty("files").GetArrayLength());
        var material = JsonDocument.Parse(await File.ReadAllTextAsync(KeyFile, Ct)).RootElement.GetProperty("keys")[0].GetProperty("material").GetString()!;
        foreach (var file in Directory.GetFiles(backup, "*", SearchOption.AllDirectories))
        {
            var text = Encoding.UTF8.GetString(await File.ReadAllBytesAsync(file, Ct));
            Assert.DoesNotContain(material, text, StringComparison.Ordinal);
            Assert.DoesNotContain("symbol,date", text, StringComparison.Ordinal);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
            }
        }

        // The backed-up file is byte-identical to the output (still encrypted).
        Assert.Equal(await File.ReadAllBytesAsync(OutputFile(24), Ct),
            await File.ReadAllBytesAsync(Path.Combine(backup, "files", "2025", "06", "24", "ohlcv-2025-06-24.csv.enc"), Ct));
        Assert.Empty(Directory.GetFileSystemEntries(Backups, ".*"));

        var verify = await Ohlcv("backup", "verify", backup, "--all", "--format", "json");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Equal(["ok", "ok", "ok"], StatusByDate(verify).Values);

        // A sample decrypts only that many; the others are checked by their ciphertext hash. No argument: the newest backup.
        var sample = await Ohlcv("backup", "verify", "--sample", "1", "--format", "json");
        Assert.Equal(0, sample.ExitCode);
        var counts = StatusByDate(sample).Values.GroupBy(s => s).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(1, counts["ok"]);
        Assert.Equal(2, counts["hash-ok"]);

        // Never overwrites a backup.
        var again = await Ohlcv("backup", "create", "--to", Backups);
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already exists", again.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Backup_verify_reports_a_tampered_copy_a_missing_file_and_an_unknown_key_with_exit_1()
    {
        await ProcessAsync("2025-06-23", "2025-06-25");
        var backup = await CreateBackupAsync();
        var tampered = Path.Combine(backup, "files", "2025", "06", "24", "ohlcv-2025-06-24.csv.enc");
        var bytes = await File.ReadAllBytesAsync(tampered, Ct);
        bytes[^5] ^= 0x40;
        await File.WriteAllBytesAsync(tampered, bytes, Ct);
        File.Delete(Path.Combine(backup, "files", "2025", "06", "25", "ohlcv-2025-06-25.csv.enc"));

        var verify = await Ohlcv("backup", "verify", backup, "--all", "--format", "json");
        Assert.Equal(1, verify.ExitCode);
        var statuses = StatusByDate(verify);
        Assert.Equal("ok", statuses["2025-06-23"]);
        Assert.Equal("corrupted", statuses["2025-06-24"]);
        Assert.Equal("missing", statuses["2025-06-25"]);

        // A key store without the files' key: each sampled file is 'unknown-key', named by id.
        File.Move(KeyFile, KeyFile + ".bak");
        Assert.Equal(0, (await _cli.RunAsync("keys", "init")).ExitCode);
        var unknown = await Ohlcv("backup", "verify", backup, "--all", "--format", "json");
        Assert.Equal(1, unknown.ExitCode);
        var first = unknown.Json().EnumerateArray().First(r => r.GetProperty("date").GetString() == "2025-06-23");
        Assert.Equal("unknown-key", first.GetProperty("status").GetString());
        Assert.Contains(first.GetProperty("key_id").GetString()!, first.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tar_backup_round_trips_and_recover_restores_lost_files_into_the_tree_and_ledger()
    {
        await ProcessAsync("2025-06-23", "2025-06-25");
        var tar = Path.Combine(Backups, "ohlcv.tar");
        await CreateBackupAsync(tar);
        Assert.True(File.Exists(tar));
        Assert.Equal(0, (await Ohlcv("backup", "verify", tar, "--all")).ExitCode);

        var original = await File.ReadAllBytesAsync(OutputFile(24), Ct);
        File.Delete(OutputFile(24));
        var damaged = await File.ReadAllBytesAsync(OutputFile(25), Ct);
        damaged[40] ^= 0x01;
        await File.WriteAllBytesAsync(OutputFile(25), damaged, Ct);
        Assert.Equal(1, (await Ohlcv("verify")).ExitCode);

        var requests = _simulator.Stats.Requests;
        var recover = await Ohlcv("recover", "--from", tar, "--format", "json");
        Assert.True(recover.ExitCode == 0, recover.ToString());
        var statuses = StatusByDate(recover);
        Assert.Equal("already-current", statuses["2025-06-23"]);
        Assert.Equal("restored", statuses["2025-06-24"]);
        Assert.Equal("restored", statuses["2025-06-25"]);
        Assert.Equal(original, await File.ReadAllBytesAsync(OutputFile(24), Ct));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(OutputFile(24)));
        }

        var verify = await Ohlcv("verify");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Equal(requests, _simulator.Stats.Requests);
    }

    [Fact]
    public async Task Recover_refuses_before_changing_anything_when_a_key_is_missing_and_names_it()
    {
        await ProcessAsync("2025-06-23", "2025-06-24");
        var backup = await CreateBackupAsync();
        var keyId = KeyStore.Load(KeyFile, null).ActiveKey.Id;
        File.Delete(OutputFile(23));
        File.Move(KeyFile, KeyFile + ".bak");
        Assert.Equal(0, (await _cli.RunAsync("keys", "init")).ExitCode);

        var refused = await Ohlcv("recover", "--from", backup);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains(keyId, refused.Error, StringComparison.Ordinal);
        Assert.Contains("Nothing was changed", refused.Error, StringComparison.Ordinal);
        Assert.Contains(KeyStore.EnvironmentVariable, refused.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(OutputFile(23)));

        // With the old key file back, the same command restores the file.
        File.Move(KeyFile + ".bak", KeyFile, overwrite: true);
        var recovered = await Ohlcv("recover", "--from", backup, "--format", "json");
        Assert.True(recovered.ExitCode == 0, recovered.ToString());
        Assert.Equal("restored", StatusByDate(recovered)["2025-06-23"]);
        Assert.Equal(0, (await Ohlcv("verify")).ExitCode);
    }

    [Fact]
    public async Task Recover_in_place_relinks_files_copied_back_into_a_fresh_ledger()
    {
        await ProcessAsync("2025-06-23", "2025-06-25");
        foreach (var file in Directory.GetFiles(_cli.Folder, "backfill.db*"))
        {
            File.Delete(file);
        }

        var before = await Ohlcv("verify", "--format", "json");
        Assert.Equal(3, before.ExitCode); // verify only reads: it creates no ledger
        Assert.Contains("No ledger at", before.Error, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_cli.Folder, "backfill.db*"));

        var recover = await Ohlcv("recover", "--format", "json");
        Assert.True(recover.ExitCode == 0, recover.ToString());
        Assert.Equal(["relinked", "relinked", "relinked"], StatusByDate(recover).Values);
        Assert.Equal(0, (await Ohlcv("verify")).ExitCode);
        var gaps = await Ohlcv("gaps", "--from", "2025-06-23", "--to", "2025-06-25", "--format", "json");
        Assert.Empty(gaps.Json().EnumerateArray());

        var again = await Ohlcv("recover", "--format", "json");
        Assert.Equal(["already-current", "already-current", "already-current"], StatusByDate(again).Values);
    }

    [Fact]
    public async Task A_file_copied_to_another_dates_path_is_not_relinked_and_verify_fails_on_it()
    {
        await ProcessAsync("2025-06-23", "2025-06-25");
        // The hostile probe: the 23rd's ciphertext planted at the 25th's path, and the ledger lost.
        File.Copy(OutputFile(23), OutputFile(25), overwrite: true);
        var verify = await Ohlcv("verify", "--format", "json");
        Assert.Equal(1, verify.ExitCode);
        Assert.Contains("not 2025-06-25", verify.Out, StringComparison.Ordinal);

        foreach (var file in Directory.GetFiles(_cli.Folder, "backfill.db*"))
        {
            File.Delete(file);
        }

        var recover = await Ohlcv("recover", "--format", "json");
        Assert.Equal(1, recover.ExitCode);
        var statuses = StatusByDate(recover);
        Assert.Equal("relinked", statuses["2025-06-23"]);
        Assert.Equal("corrupted", statuses["2025-06-25"]);
        Assert.Contains("2025-06-23", recover.Json().EnumerateArray().Single(r => r.GetProperty("date").GetString() == "2025-06-25").GetProperty("message").GetString(), StringComparison.Ordinal);
        var gaps = await Ohlcv("gaps", "--from", "2025-06-25", "--to", "2025-06-25", "--format", "json");
        Assert.Equal("2025-06-25", Assert.Single(gaps.Json().EnumerateArray()).GetProperty("date").GetString());
        Assert.Equal(1, (await Ohlcv("verify")).ExitCode); // the planted file is reported (extra), never taken for the 25th
    }

    [Fact]
    public async Task A_backup_manifest_whose_date_was_edited_restores_nothing_for_that_date()
    {
        await ProcessAsync("2025-06-23", "2025-06-24");
        var backup = await CreateBackupAsync();
        var manifest = Path.Combine(backup, "manifest.json");
        var text = await File.ReadAllTextAsync(manifest, Ct);
        await File.WriteAllTextAsync(manifest, text.Replace("\"date\": \"2025-06-23\"", "\"date\": \"2025-06-27\"", StringComparison.Ordinal), Ct);
        Assert.Contains("2025-06-27", await File.ReadAllTextAsync(manifest, Ct), StringComparison.Ordinal);

        var recover = await Ohlcv("recover", "--from", backup, "--format", "json");
        Assert.Equal(1, recover.ExitCode);
        Assert.Equal("corrupted", StatusByDate(recover)["2025-06-27"]);
        Assert.False(File.Exists(OutputFile(27)));
        var list = await Ohlcv("list", "--format", "json");
        Assert.DoesNotContain(list.Json().EnumerateArray(), r => r.GetProperty("date").GetString() == "2025-06-27");

        var verify = await Ohlcv("backup", "verify", backup, "--all", "--format", "json");
        Assert.Equal(1, verify.ExitCode);
    }

    [Fact]
    public async Task Cleanup_older_than_prunes_old_dates_which_gaps_shows_as_pruned_and_process_gaps_skips_until_recover()
    {
        await ProcessAsync("2025-06-23", "2025-06-25");
        var backup = await CreateBackupAsync();
        var requests = _simulator.Stats.Requests;

        // Today is 2025-06-30 in New York: older than 6 days means before 2025-06-24.
        var dry = await Ohlcv("cleanup", "--older-than", "6", "--dry-run", "--format", "json");
        Assert.True(dry.ExitCode == 0, dry.ToString());
        var planned = Assert.Single(dry.Json().EnumerateArray());
        Assert.Equal("pruned-output", planned.GetProperty("kind").GetString());
        Assert.Equal("2025-06-23", planned.GetProperty("date").GetString());
        Assert.True(File.Exists(OutputFile(23)));

        var outside = Path.Combine(_cli.Folder, "not-output.txt");
        await File.WriteAllTextAsync(outside, "keep", Ct);
        var prune = await Ohlcv("cleanup", "--older-than", "6", "--format", "json");
        Assert.True(prune.ExitCode == 0, prune.ToString());
        Assert.False(File.Exists(OutputFile(23)));
        Assert.False(Directory.Exists(Path.GetDirectoryName(OutputFile(23))));
        Assert.True(File.Exists(OutputFile(24)));
        Assert.True(File.Exists(outside));

        var gaps = await Ohlcv("gaps", "--from", "2025-06-23", "--to", "2025-06-25", "--format", "json");
        var gap = Assert.Single(gaps.Json().EnumerateArray());
        Assert.Equal("pruned", gap.GetProperty("category").GetString());
        Assert.Equal(0, (await Ohlcv("verify")).ExitCode);

        var fill = await Ohlcv("process-gaps", "--from", "2025-06-23", "--to", "2025-06-25");
        Assert.True(fill.ExitCode == 0, fill.ToString());
        Assert.Equal(requests, _simulator.Stats.Requests);
        Assert.False(File.Exists(OutputFile(23)));

        var recover = await Ohlcv("recover", "--from", backup, "--format", "json");
        Assert.True(recover.ExitCode == 0, recover.ToString());
        Assert.Equal("restored", StatusByDate(recover)["2025-06-23"]);
        Assert.Empty((await Ohlcv("gaps", "--from", "2025-06-23", "--to", "2025-06-25", "--format", "json")).Json().EnumerateArray());
    }

    [Fact]
    public async Task Cleanup_of_failed_outputs_decrypts_ohlcv_files_and_removes_only_a_tampered_one()
    {
        await ProcessAsync("2025-06-23", "2025-06-24");
        var clean = await Ohlcv("cleanup", "--format", "json");
        Assert.True(clean.ExitCode == 0, clean.ToString());
        Assert.Empty(clean.Json().EnumerateArray());
        Assert.True(File.Exists(OutputFile(23)) && File.Exists(OutputFile(24)));

        var bytes = await File.ReadAllBytesAsync(OutputFile(24), Ct);
        bytes[^3] ^= 0x01;
        await File.WriteAllBytesAsync(OutputFile(24), bytes, Ct);
        var failed = await Ohlcv("cleanup", "--failed-outputs", "--format", "json");
        Assert.True(failed.ExitCode == 0, failed.ToString());
        var removed = Assert.Single(failed.Json().EnumerateArray());
        Assert.Equal("2025-06-24", removed.GetProperty("date").GetString());
        Assert.True(File.Exists(OutputFile(23)));
        Assert.False(File.Exists(OutputFile(24)));
    }

    [Fact]
    public async Task Older_than_must_be_a_positive_number_of_days_and_backup_needs_the_ohlcv_dataset()
    {
        var zero = await Ohlcv("cleanup", "--older-than", "0");
        Assert.Equal(2, zero.ExitCode);
        Assert.Contains("--older-than 0", zero.Error, StringComparison.Ordinal);
        var spx = await _cli.RunAsync("backup", "create");
        Assert.Equal(2, spx.ExitCode);
        Assert.Contains("--dataset ohlcv", spx.Error, StringComparison.Ordinal);
    }
}
