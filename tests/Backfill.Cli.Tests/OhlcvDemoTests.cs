using System.Text.RegularExpressions;

namespace Backfill.Cli.Tests;

/// <summary><c>demo --dataset ohlcv</c> against the embedded Alpha Vantage simulator, and <c>keys decrypt</c> on what it kept.</summary>
public sealed partial class OhlcvDemoTests : IDisposable
{
    private readonly CliRunner _cli = new(new DateTimeOffset(2025, 7, 1, 12, 0, 0, TimeSpan.Zero));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => _cli.Dispose();

    [Fact]
    public async Task Demo_ohlcv_processes_june_2025_encrypted_verifies_backs_up_and_says_how_to_decrypt()
    {
        var result = await _cli.RunAsync("demo", "--dataset", "ohlcv", "--keep");
        Assert.True(result.ExitCode == 0, result.ToString());
        var published = PublishedLine().Match(result.Out);
        Assert.True(published.Success, result.Out);
        Assert.Equal("19", published.Groups[1].Value); // June 2025 sessions from the 2nd to the 27th (Juneteenth closed)
        Assert.DoesNotContain("av-demo-", result.Out + result.Error, StringComparison.Ordinal);
        Assert.Contains("keys decrypt", result.Out, StringComparison.Ordinal);

        var kept = KeptLine().Match(result.Out);
        Assert.True(kept.Success, result.Out);
        var folder = kept.Groups[1].Value;
        try
        {
            var file = Path.Combine(folder, "data", "ohlcv", "2025", "06", "27", "ohlcv-2025-06-27.csv.enc");
            var db = Path.Combine(folder, "backfill.db");
            var decrypted = await _cli.RunAsync("--dataset", "ohlcv", "--db", db, "keys", "decrypt", file);
            Assert.True(decrypted.ExitCode == 0, decrypted.ToString());
            var lines = decrypted.Out.TrimEnd('\n').Split('\n');
            Assert.Equal("symbol,date,open,high,low,close,volume", lines[0]);
            Assert.Equal(["AAPL", "MSFT", "BRK.B"], lines[1..].Select(l => l.Split(',')[0]));
            Assert.All(lines[1..], l => Assert.Equal("2025-06-27", l.Split(',')[1]));
            Assert.Equal(0, (await _cli.RunAsync("--dataset", "ohlcv", "--db", db, "verify")).ExitCode);
            Assert.Single(Directory.GetDirectories(Path.Combine(folder, "backups"), "ohlcv-backup-*"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(folder, recursive: true);
        }
    }

    [GeneratedRegex(@"Published (\d+) encrypted files")]
    private static partial Regex PublishedLine();

    [GeneratedRegex(@"Kept (\S+)\.\s*$", RegexOptions.Multiline)]
    private static partial Regex KeptLine();
}
