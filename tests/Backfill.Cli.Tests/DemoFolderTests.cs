using System.Text.RegularExpressions;

namespace Backfill.Cli.Tests;

/// <summary>
/// <c>demo</c>'s folder: kept by default (the demo ends with a query and ledger commands for it, which must work as
/// printed), removed with <c>--clean</c> (and then no command naming it is printed).
/// </summary>
public sealed partial class DemoFolderTests
{
    [Fact]
    public async Task Demo_keeps_its_folder_by_default_and_the_printed_ledger_command_works_on_it()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("demo", "--scale", "0.05");
        Assert.True(result.ExitCode == 0, result.ToString());
        var kept = KeptLine().Match(result.Out);
        Assert.True(kept.Success, result.Out);
        var folder = kept.Groups[1].Value;
        try
        {
            Assert.True(Directory.Exists(folder), result.Out);
            Assert.Contains($"Remove it when done with: rm -rf {folder}", result.Out, StringComparison.Ordinal);
            Assert.Contains("SELECT", result.Out, StringComparison.Ordinal);

            // The ledger command the demo printed, run as printed (its --db names the kept folder's ledger).
            var printed = LedgerCommand().Match(result.Out);
            Assert.True(printed.Success, result.Out);
            var list = await cli.RunAsync("--db", printed.Groups[1].Value, "list");
            Assert.True(list.ExitCode == 0, list.ToString());
            Assert.Contains("2024-06-12", list.Out, StringComparison.Ordinal);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Demo_with_clean_removes_its_folder_and_prints_no_command_for_it()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("demo", "--scale", "0.05", "--clean");
        Assert.True(result.ExitCode == 0, result.ToString());
        var folder = DataFolderLine().Match(result.Out);
        Assert.True(folder.Success, result.Out);
        Assert.False(Directory.Exists(folder.Groups[1].Value), result.Out);
        Assert.DoesNotContain("SELECT", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("backfill --db", result.Out, StringComparison.Ordinal);
        Assert.DoesNotContain("Kept ", result.Out, StringComparison.Ordinal);
        Assert.Contains("Removed the demo's folder (--clean)", result.Out, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_with_keep_and_clean_together_is_a_usage_error_naming_both()
    {
        using var cli = new CliRunner();
        var result = await cli.RunAsync("demo", "--keep", "--clean");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--keep and --clean", result.Error, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"Kept (\S+)\.\s*$", RegexOptions.Multiline)]
    private static partial Regex KeptLine();

    [GeneratedRegex(@"^Data folder: (\S+)\s*$", RegexOptions.Multiline)]
    private static partial Regex DataFolderLine();

    [GeneratedRegex(@"backfill --db (\S+) list")]
    private static partial Regex LedgerCommand();
}
