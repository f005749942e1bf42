using Backfill.Sources.ThetaData.Greeks;
using Backfill.Engine.Datasets.Spx.Staging;

namespace Backfill.Engine.Tests.Spx;

internal static class TestRows
{
    public static readonly DateOnly Day = new(2024, 1, 2);

    public static OptionGreeksRow Row(string root, DateOnly expiration, int strikeMilli, char right, int msOfDay, double seed = 0.1) =>
        new(
            Day, root, expiration, strikeMilli, right, msOfDay,
            Bid: Math.Round(1 + seed, 2), Ask: Math.Round(1.1 + seed, 2),
            Delta: 0.1 / 3 + seed, Theta: -Math.PI * seed, Vega: Math.E * seed, Rho: 1e-17 + seed,
            Epsilon: -seed / 7, Lambda: 12.345678901234567, ImpliedVol: 0.15 + (seed / 1000), IvError: 5e-324,
            MsOfDay2: msOfDay + 1, UnderlyingPrice: 4700.123456789);

    public static async Task WriteStagingAsync(string directory, string root, DateOnly expiration, IEnumerable<OptionGreeksRow> rows, CancellationToken ct)
    {
        await using var writer = GreeksStagingWriter.Create(directory, GreeksStaging.SubUnitName(root, expiration));
        foreach (var row in rows)
        {
            await writer.WriteAsync(row, ct);
        }

        await writer.CompleteAsync(ct);
    }

    /// <summary>A few expirations, strikes in reverse order so the writer must sort.</summary>
    public static async Task StageDayAsync(string directory, CancellationToken ct)
    {
        var rng = new Random(42);
        foreach (var (root, expiration) in new[] { ("SPXW", new DateOnly(2024, 1, 3)), ("SPX", new DateOnly(2024, 1, 19)), ("SPXW", new DateOnly(2024, 1, 2)) })
        {
            var rows = new List<OptionGreeksRow>();
            for (var strike = 4800_000; strike >= 4600_000; strike -= 5_000)
            {
                foreach (var right in "PC")
                {
                    for (var minute = 20; minute >= 0; minute--)
                    {
                        rows.Add(Row(root, expiration, strike, right, 34_200_000 + (minute * 60_000), rng.NextDouble()));
                    }
                }
            }

            await WriteStagingAsync(directory, root, expiration, rows, ct);
        }
    }
}
