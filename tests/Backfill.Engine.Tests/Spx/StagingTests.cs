using Backfill.Tests.Shared;
using Backfill.Sources.ThetaData.Greeks;
using Backfill.Core.Errors;
using Backfill.Engine.Datasets.Spx.Staging;

namespace Backfill.Engine.Tests.Spx;

public sealed class StagingTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Round_trip_keeps_every_double_exact()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        var rows = new List<OptionGreeksRow>
        {
            TestRows.Row("SPXW", exp, 4700_000, 'C', 34_200_000, 0.1),
            TestRows.Row("SPXW", exp, 4700_000, 'P', 34_260_000, 1.0 / 3.0) with { Delta = double.Epsilon, Theta = double.MaxValue, Vega = -0.0 },
            TestRows.Row("SPXW", exp, 4705_000, 'C', 0, 0.7) with { Lambda = double.NaN, Rho = double.PositiveInfinity, Epsilon = double.NegativeInfinity },
        };
        await TestRows.WriteStagingAsync(dir.Path, "SPXW", exp, rows, Ct);

        var read = new List<OptionGreeksRow>();
        await foreach (var row in GreeksStagingReader.ReadAllAsync(dir.Combine("SPXW-20240119.ndjson"), Ct))
        {
            read.Add(row);
        }

        Assert.Equal(rows.Count, read.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(rows[i], read[i]);
            Assert.Equal(BitConverter.DoubleToInt64Bits(rows[i].Vega), BitConverter.DoubleToInt64Bits(read[i].Vega));
        }
    }

    [Fact]
    public async Task Terminal_precision_and_full_precision_doubles_round_trip_bit_for_bit()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 6, 14);
        var rng = new Random(23);
        var rows = new List<OptionGreeksRow>();
        for (var i = 0; i < 5000; i++)
        {
            // Mostly what the terminal sends (cents, 4-decimal greeks), every 7th row with 17 significant digits.
            double Greek() => i % 7 == 0 ? (rng.NextDouble() - 0.5) * 3 : Math.Round((rng.NextDouble() - 0.5) * 3, 4);
            double Price() => i % 7 == 0 ? rng.NextDouble() * 900 : Math.Round(rng.NextDouble() * 900, 2);
            var bid = Price();
            rows.Add(TestRows.Row("SPXW", exp, 5000_000 + (i * 5_000), 'C', 34_200_000, bid) with
            {
                Ask = bid + 0.05, Delta = Greek(), Theta = Greek(), Vega = Greek(), Rho = Greek(), Epsilon = Greek(), Lambda = Greek() * 100,
                ImpliedVol = Math.Abs(Greek()), IvError = Greek() / 1000, UnderlyingPrice = Math.Round(5421.37 + (i % 100 / 100.0), 2),
            });
        }

        await TestRows.WriteStagingAsync(dir.Path, "SPXW", exp, rows, Ct);
        var read = new List<OptionGreeksRow>();
        await foreach (var row in GreeksStagingReader.ReadAllAsync(dir.Combine("SPXW-20240614.ndjson"), Ct))
        {
            read.Add(row);
        }

        Assert.Equal(rows.Count, read.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(rows[i], read[i]);
            Assert.Equal(BitConverter.DoubleToInt64Bits(rows[i].IvError), BitConverter.DoubleToInt64Bits(read[i].IvError));
        }

        // Terminal-precision values are written as plain decimals (no exponent): the second line is such a row.
        var second = File.ReadLines(dir.Combine("SPXW-20240614.ndjson")).Skip(1).First();
        Assert.DoesNotContain("E", second, StringComparison.Ordinal);
        Assert.Contains(",\"u\":5421.38}", second, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Part_file_is_not_complete_and_is_deleted_on_resume()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        await TestRows.WriteStagingAsync(dir.Path, "SPX", exp, [TestRows.Row("SPX", exp, 4700_000, 'C', 1)], Ct);
        var crashed = GreeksStagingWriter.Create(dir.Path, "SPXW-20240119");
        await crashed.WriteAsync(TestRows.Row("SPXW", exp, 4700_000, 'C', 1), Ct);
        // Simulated crash: never completed, never disposed.
        Assert.True(File.Exists(crashed.PartialPath));

        Assert.True(GreeksStaging.IsComplete(dir.Path, "SPX-20240119"));
        Assert.False(GreeksStaging.IsComplete(dir.Path, "SPXW-20240119"));
        var complete = GreeksStaging.ListComplete(dir.Path);
        Assert.Equal(new GreeksStagingFile(dir.Combine("SPX-20240119.ndjson"), "SPX", exp), Assert.Single(complete));

        await crashed.DisposeAsync();
        Assert.False(File.Exists(crashed.PartialPath));
        File.WriteAllText(dir.Combine("SPXW-20240120.ndjson.part"), "{\"d\":");
        Assert.Equal(1, GreeksStaging.DeletePartials(dir.Path));
        Assert.Empty(Directory.GetFiles(dir.Path, "*.part"));
    }

    [Fact]
    public async Task Malformed_line_raises_file_corruption_naming_file_and_line()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        await TestRows.WriteStagingAsync(dir.Path, "SPX", exp, [TestRows.Row("SPX", exp, 4700_000, 'C', 1), TestRows.Row("SPX", exp, 4700_000, 'C', 2), TestRows.Row("SPX", exp, 4700_000, 'C', 3)], Ct);
        var path = dir.Combine("SPX-20240119.ndjson");
        var lines = File.ReadAllLines(path);
        lines[1] = lines[1][..40];
        File.WriteAllText(path, string.Join('\n', lines) + "\n");

        var ex = await Assert.ThrowsAsync<FileCorruptionException>(async () =>
        {
            await foreach (var unused in GreeksStagingReader.ReadAllAsync(path, Ct))
            {
            }
        });
        Assert.Contains(path, ex.Message, StringComparison.Ordinal);
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Truncated_last_line_raises_file_corruption()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        await TestRows.WriteStagingAsync(dir.Path, "SPX", exp, [TestRows.Row("SPX", exp, 4700_000, 'C', 1), TestRows.Row("SPX", exp, 4700_000, 'C', 2)], Ct);
        var path = dir.Combine("SPX-20240119.ndjson");
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^1]);

        var ex = Assert.Throws<FileCorruptionException>(() => GreeksStagingReader.ReadInto(new GreeksStagingFile(path, "SPX", exp), TestRows.Day, new GreeksColumnBatch()));
        Assert.Contains("line 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Missing_field_raises_file_corruption()
    {
        using var dir = new TempDirectory();
        var path = dir.Combine("SPX-20240119.ndjson");
        await File.WriteAllTextAsync(path, "{\"d\":20240102,\"r\":\"SPX\"}\n", Ct);
        await Assert.ThrowsAsync<FileCorruptionException>(async () =>
        {
            await foreach (var unused in GreeksStagingReader.ReadAllAsync(path, Ct))
            {
            }
        });
    }

    [Fact]
    public async Task Batch_reader_fast_path_and_json_fallback_agree()
    {
        using var dir = new TempDirectory();
        var exp = new DateOnly(2024, 1, 19);
        var rows = new[] { TestRows.Row("SPX", exp, 4700_000, 'C', 1, 0.3), TestRows.Row("SPX", exp, 4700_000, 'P', 2, 0.4) with { Lambda = double.NaN } };
        await TestRows.WriteStagingAsync(dir.Path, "SPX", exp, rows, Ct);
        var path = dir.Combine("SPX-20240119.ndjson");
        // Reordered fields force the Utf8JsonReader fallback for the first line.
        var lines = File.ReadAllLines(path);
        lines[0] = "{\"r\":\"SPX\"," + lines[0][1..].Replace(",\"r\":\"SPX\"", "", StringComparison.Ordinal);
        File.WriteAllText(path, string.Join('\n', lines) + "\n");

        var batch = new GreeksColumnBatch();
        GreeksStagingReader.ReadInto(new GreeksStagingFile(path, "SPX", exp), TestRows.Day, batch);

        Assert.Equal(2, batch.Count);
        Assert.Equal(rows[0].Delta, batch.Doubles[GreeksColumnBatch.Delta][0]);
        Assert.Equal(rows[1].UnderlyingPrice, batch.Doubles[GreeksColumnBatch.UnderlyingPrice][1]);
        Assert.True(double.IsNaN(batch.Doubles[GreeksColumnBatch.Lambda][1]));
        Assert.Equal((byte)'P', batch.Right[1]);
    }
}
