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

    [Fact]
    public async Task A_binance_futures_day_mirrored_by_simulate_rebuilds_with_no_gap_and_no_crossed_book()
    {
        var mirror = Path.Combine(_cli.Folder, "mirror");
        var output = Path.Combine(_cli.Folder, "out");
        string[] market = ["--set", "cryptobook.exchange=BINANCE_FUTURES", "--set", "cryptobook.symbol=BTC-USDT-PERP"];
        var simulate = await _cli.RunAsync(["simulate", "cryptolake", "--mirror", mirror, "--from", "2024-08-08", "--scale", "0.02", .. market]);
        Assert.True(simulate.ExitCode == 0, simulate.ToString());
        Assert.Contains("BINANCE_FUTURES BTC-USDT-PERP", simulate.Out, StringComparison.Ordinal);
        Assert.Contains("--set cryptobook.tickSize=0.1 --set cryptobook.lotSize=0.001", simulate.Out, StringComparison.Ordinal);
        Assert.True(Directory.Exists(Path.Combine(mirror, "book_delta_v2", "exchange=BINANCE_FUTURES", "symbol=BTC-USDT-PERP", "dt=2024-08-08")));

        var run = await _cli.RunAsync(
        [
            "--dataset", "crypto-book", .. market, "--set", "cryptobook.tickSize=0.1", "--set", "cryptobook.lotSize=0.001",
            "--set", $"cryptolake.baseUrl={mirror}", "--set", $"processing.outputDirectory={output}",
            "--set", $"processing.tempDirectory={Path.Combine(_cli.Folder, "temp")}", "--set", "processing.startDate=2024-08-01",
            "process", "2024-08-08",
        ]);
        Assert.True(run.ExitCode == 0, run.ToString());
        var file = Assert.Single(Directory.GetFiles(output, "*.parquet", SearchOption.AllDirectories));
        using var reader = new ParquetSharp.ParquetFileReader(file);
        var metadata = reader.FileMetaData.KeyValueMetadata;
        Assert.Equal("BINANCE_FUTURES", metadata["backfill.exchange"]);
        Assert.Equal("0.1", metadata["backfill.tick_size"]);
        Assert.Equal("1440", metadata["backfill.snapshots_compared"]);
        Assert.Equal("0", metadata["backfill.gaps"]);
        Assert.Equal("0", metadata["backfill.crossed_messages"]);
        Assert.Equal("0", metadata["backfill.level_mismatches"]);
        Assert.Equal("0", metadata["backfill.precision_loss"]);
    }

    [GeneratedRegex(@"^Published (\S+\.parquet)\s*$", RegexOptions.Multiline)]
    private static partial Regex PublishedLine();

    [GeneratedRegex(@"Validation: (\d+) vendor snapshots compared with the rebuilt book, (\d+) level mismatches, max mid deviation (\S+) ticks, (\d+) gap\(s\)")]
    private static partial Regex ValidationLine();

    [GeneratedRegex(@"Kept (\S+)\.\s*$", RegexOptions.Multiline)]
    private static partial Regex KeptLine();
}
