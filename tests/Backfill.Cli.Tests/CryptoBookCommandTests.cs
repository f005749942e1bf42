using System.Text.RegularExpressions;

namespace Backfill.Cli.Tests;

/// <summary>The crypto-book dataset's demo through the real command tree.</summary>
public sealed partial class CryptoBookCommandTests : IDisposable
{
    private readonly CliRunner _cli = new(new DateTimeOffset(2025, 6, 1, 12, 0, 0, TimeSpan.Zero));

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Demo_crypto_book_rebuilds_a_day_against_the_simulator_and_shows_the_file_and_the_validation()
    {
        var result = await _cli.RunAsync("demo", "--dataset", "crypto-book", "--date", "2024-08-08", "--scale", "0.02", "--keep");
        Assert.True(result.ExitCode == 0, result.ToString());
        var published = PublishedLine().Match(result.Out);
        Assert.True(published.Success, result.Out);
        Assert.EndsWith("2024-08-08.parquet", published.Groups[1].Value, StringComparison.Ordinal);
        var validation = ValidationLine().Match(result.Out);
        Assert.True(validation.Success, result.Out);
        // A snapshot a minute: the first seeds the book, the other 1,440 are compared.
        Assert.Equal(1440, int.Parse(validation.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal("0", validation.Groups[2].Value);
        Assert.Equal("0", validation.Groups[3].Value);
        Assert.Equal("0", validation.Groups[4].Value);
        Assert.Contains("SELECT event_type", result.Out, StringComparison.Ordinal);

        var kept = KeptLine().Match(result.Out);
        Assert.True(kept.Success, result.Out);
        var folder = kept.Groups[1].Value;
        try
        {
            Assert.True(File.Exists(published.Groups[1].Value));
            Assert.Single(Directory.GetFiles(Path.Combine(folder, "data", "metrics"), "crypto-book-2024-08-08.jsonl"));
            var verify = await _cli.RunAsync("--dataset", "crypto-book", "--db", Path.Combine(folder, "backfill.db"), "verify", "--deep");
            Assert.True(verify.ExitCode == 0, verify.ToString());
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public async Task Demo_crypto_book_refuses_a_scale_above_one_naming_the_value()
    {
        var result = await _cli.RunAsync("demo", "--dataset", "crypto-book", "--scale", "3");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("--scale: 3", result.Error, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"^Published (\S+\.parquet)\s*$", RegexOptions.Multiline)]
    private static partial Regex PublishedLine();

    [GeneratedRegex(@"Validation: (\d+) vendor snapshots compared with the rebuilt book, (\d+) level mismatches, max mid deviation (\S+) ticks, (\d+) gap\(s\)")]
    private static partial Regex ValidationLine();

    [GeneratedRegex(@"Kept (\S+)\.\s*$", RegexOptions.Multiline)]
    private static partial Regex KeptLine();
}
