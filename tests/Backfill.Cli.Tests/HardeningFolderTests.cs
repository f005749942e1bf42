using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using Backfill.Core.IO;

namespace Backfill.Cli.Tests;

/// <summary>
/// What the tool creates is owner-only whatever the umask, it never writes through a link it did not make, a mistyped
/// ledger URL is refused, and commands that only read leave nothing behind. The umask is process-wide: these run alone.
/// </summary>
[Collection(ProcessWideState.Name)]
public sealed partial class HardeningFolderTests : IDisposable
{
    private readonly CliRunner _cli = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _cli.Dispose();

    [Theory]
    [InlineData("crypto-book", "staging", "--date", "2024-08-08", "--scale", "0.02")]
    [InlineData("fop", "selections")]
    [InlineData("ohlcv", "files")]
    public async Task Every_folder_and_file_a_demo_run_creates_is_owner_only_even_under_an_open_umask(string dataset, string made, params string[] options)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        string? folder = null;
        var previous = Umask(0);
        try
        {
            // The ohlcv demo processes June 2025 and backs it up: its clock must be past that month.
            using var cli = new CliRunner(new DateTimeOffset(2025, 7, 1, 12, 0, 0, TimeSpan.Zero));
            var result = await cli.RunAsync(["demo", "--dataset", dataset, .. options, "--keep"]);
            Assert.True(result.ExitCode == 0, result.ToString());
            folder = KeptLine().Match(result.Out).Groups[1].Value;
            Assert.True(Directory.Exists(folder), result.Out);
        }
        finally
        {
            Umask(previous);
        }

        try
        {
            Assert.NotEmpty(Directory.EnumerateDirectories(folder, made, SearchOption.AllDirectories));
            AssertOwnerOnlyTree(folder);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task A_new_db_path_gets_every_missing_parent_folder_owner_only_even_under_an_open_umask()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var db = Path.Combine(_cli.Folder, "ledgers", "team", "backfill.db");
        var previous = Umask(0);
        try
        {
            var result = await _cli.RunAsync("--db", db, "config", "set", "thetadata.baseUrl", "http://127.0.0.1:25503/");
            Assert.True(result.ExitCode == 0, result.ToString());
        }
        finally
        {
            Umask(previous);
        }

        AssertOwnerOnlyTree(Path.Combine(_cli.Folder, "ledgers"));
    }

    [Fact]
    public async Task A_stop_request_makes_its_temp_and_control_folders_and_file_owner_only_even_under_an_open_umask()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var temp = Path.Combine(_cli.Folder, "temp");
        var previous = Umask(0);
        try
        {
            var result = await _cli.RunAsync("stop", "--set", $"processing.tempDirectory={temp}");
            Assert.True(result.ExitCode == 0, result.ToString());
        }
        finally
        {
            Umask(previous);
        }

        Assert.Single(Directory.GetFiles(temp, "stop-*", SearchOption.AllDirectories));
        AssertOwnerOnlyTree(temp);
    }

    [Fact]
    public void Creating_a_folder_creates_each_missing_level_owner_only_even_under_an_open_umask()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var root = Path.Combine(_cli.Folder, "temp");
        var previous = Umask(0);
        try
        {
            OwnerOnly.CreateDirectoryBelow(root, Path.Combine(root, "any", "staging", "2025-01-02"));
        }
        finally
        {
            Umask(previous);
        }

        AssertOwnerOnlyTree(root);
    }

    [Theory]
    [InlineData("any")]
    [InlineData("any/staging")]
    [InlineData("any/staging/2025-01-02")]
    public void Staging_refuses_to_write_through_a_planted_symlink_and_names_it(string planted)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var root = Path.Combine(_cli.Folder, "temp");
        var elsewhere = Directory.CreateDirectory(Path.Combine(_cli.Folder, "elsewhere")).FullName;
        var link = Path.Combine(root, planted);
        Directory.CreateDirectory(Path.GetDirectoryName(link)!);
        Directory.CreateSymbolicLink(link, elsewhere);

        var e = Assert.Throws<UnsafeFolderException>(() => OwnerOnly.CreateDirectoryBelow(root, Path.Combine(root, "any", "staging", "2025-01-02")));
        Assert.Equal(link, e.Path);
        Assert.Contains(link, e.Message, StringComparison.Ordinal);
        Assert.Contains("Remove it", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(elsewhere));
    }

    [Theory]
    [InlineData("postgres:bob:PW77@127.0.0.1/db")]
    [InlineData("postgresql:/bob:PW77@127.0.0.1/db")]
    [InlineData("bob:PW77@127.0.0.1/db")]
    [InlineData("mysql://bob:PW77@127.0.0.1/db")]
    public async Task A_db_value_shaped_like_a_url_but_not_a_postgres_url_is_refused_without_showing_the_password(string db)
    {
        var result = await _cli.RunAsync("--db", db, "config", "set", "thetadata.baseUrl", "http://127.0.0.1:25503/");
        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("postgres://", result.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("PW77", result.Error + result.Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(db.Split('/')[0]), "no folder named after the password");
    }

    [Theory]
    [InlineData(@"C:\ledgers\backfill.db")]
    [InlineData("ledgers/backfill.db")]
    [InlineData("backfill@home.db")]
    public void A_file_path_or_drive_letter_is_not_taken_for_a_url(string db) =>
        Assert.False(Backfill.Ledger.Postgres.PostgresUrl.LooksLikeUrl(db));

    [Theory]
    [InlineData("status")]
    [InlineData("gaps")]
    [InlineData("list")]
    [InlineData("verify")]
    [InlineData("health")]
    public async Task A_read_only_command_without_a_ledger_says_so_with_exit_3_and_creates_nothing(string command)
    {
        var folder = Path.Combine(_cli.Folder, "not-yet");
        var db = Path.Combine(folder, "backfill.db");
        var result = await _cli.RunAsync("--db", db, command);
        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Contains($"No ledger at {db} yet: run a processing command or 'backfill config set' first", result.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(folder), "the ledger's folder is not created");
    }

    private static void AssertOwnerOnlyTree(string root)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Assert.Equal(OwnerOnly.DirectoryMode, File.GetUnixFileMode(root));
        foreach (var entry in new DirectoryInfo(root).EnumerateFileSystemInfos("*", SearchOption.AllDirectories))
        {
            var expected = entry is DirectoryInfo ? OwnerOnly.DirectoryMode : OwnerOnly.FileMode;
            Assert.True(expected == entry.UnixFileMode, $"{entry.FullName} is {entry.UnixFileMode}, not {expected}");
        }
    }

    private static uint Umask(uint mask) => NativeMethods.umask(mask);

    [GeneratedRegex(@"Kept (\S+)\.\s*$", RegexOptions.Multiline)]
    private static partial Regex KeptLine();

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "umask")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        internal static extern uint umask(uint mask);
    }
}
