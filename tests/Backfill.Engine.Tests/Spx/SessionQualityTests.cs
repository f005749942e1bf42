using System.Security.Cryptography;
using Backfill.Engine.Datasets.Spx;
using Backfill.Engine.Datasets.Spx.Parquet;
using Backfill.Engine.Datasets.Spx.Staging;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Tests.Shared;

namespace Backfill.Engine.Tests.Spx;

/// <summary>The quality score counts the bars a contract lacks against its product's session; the file never changes.</summary>
public sealed class SessionQualityTests
{
    private static readonly SpxFileIdentity Identity = new(TestRows.Day, "thetadata", "v2");

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("2024-06-12", "SPX", "2024-06-21", 390)]
    [InlineData("2024-06-12", "SPXW", "2024-06-12", 390)]
    [InlineData("2024-06-12", "SPY", "2024-06-14", 390)]
    [InlineData("2024-06-12", "AAPL", "2024-06-14", 390)]
    [InlineData("2024-11-29", "SPXW", "2024-12-02", 225)]
    [InlineData("2024-11-29", "SPXW", "2024-11-29", 210)]
    [InlineData("2024-11-29", "QQQ", "2024-12-06", 225)]
    [InlineData("2024-12-24", "NDX", "2025-01-17", 225)]
    [InlineData("2024-12-24", "AAPL", "2025-01-17", 210)]
    [InlineData("2024-11-28", "SPX", "2024-12-20", 0)]
    public void A_contract_expects_the_bars_of_its_session_up_to_the_terminals_16_00(string date, string root, string expiration, int bars) =>
        Assert.Equal(bars, SpxDayProducer.ExpectedBars(DateOnly.Parse(date, System.Globalization.CultureInfo.InvariantCulture), 60_000)(
            root, DateOnly.Parse(expiration, System.Globalization.CultureInfo.InvariantCulture)));

    [Fact]
    public async Task Missing_bars_lower_the_score_and_leave_the_file_bytes_alone()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        var rows = new List<OptionGreeksRow>();
        for (var minute = 0; minute <= 390; minute++)
        {
            rows.Add(TestRows.Row("SPX", exp, 4700_000, 'C', 34_200_000 + (minute * 60_000)));
        }

        for (var minute = 0; minute < 380; minute++)
        {
            rows.Add(TestRows.Row("SPX", exp, 4700_000, 'P', 34_200_000 + (minute * 60_000)));
        }

        await TestRows.WriteStagingAsync(dir.Path, "SPX", exp, rows, Ct);
        var files = GreeksStaging.ListComplete(dir.Path);

        var plain = await new SpxParquetWriter().WriteAsync(files, dir.Combine("plain.parquet"), Identity, Ct);
        var checkedRun = await new SpxParquetWriter(new SpxParquetWriterOptions { ExpectedBarsPerContract = (_, _) => 390 })
            .WriteAsync(files, dir.Combine("checked.parquet"), Identity, Ct);

        Assert.Equal(1.0, plain.Quality.Score);
        Assert.Equal(0, plain.Quality.Contracts);
        Assert.Equal(2, checkedRun.Quality.Contracts);
        Assert.Equal(1, checkedRun.Quality.ShortContracts);
        Assert.Equal(10, checkedRun.Quality.MissingBars);
        Assert.Equal(1.0 - (10.0 / (391 + 380 + 10)), checkedRun.Quality.Score, 12);
        Assert.Equal(plain.ContentSha256, checkedRun.ContentSha256);
        Assert.Equal(
            SHA256.HashData(await File.ReadAllBytesAsync(dir.Combine("plain.parquet"), Ct)),
            SHA256.HashData(await File.ReadAllBytesAsync(dir.Combine("checked.parquet"), Ct)));
    }

    [Fact]
    public async Task Bars_of_one_contract_split_over_batches_are_counted_together()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        var rows = Enumerable.Range(0, 390).Select(m => TestRows.Row("SPX", exp, 4700_000, 'C', 34_200_000 + (m * 60_000))).ToList();
        await TestRows.WriteStagingAsync(dir.Path, "SPX", exp, rows, Ct);

        // Tiny slices: the contract's rows arrive in many pieces.
        var result = await new SpxParquetWriter(new SpxParquetWriterOptions { ExpectedBarsPerContract = (_, _) => 390, SliceBytes = 4096 })
            .WriteAsync(GreeksStaging.ListComplete(dir.Path), dir.Combine("out.parquet"), Identity, Ct);

        Assert.Equal(1, result.Quality.Contracts);
        Assert.Equal(0, result.Quality.MissingBars);
        Assert.Equal(1.0, result.Quality.Score);
    }
}
