using System.Globalization;

namespace Backfill.Sources.AlphaVantage;

/// <summary>
/// Sanity of single bars (prices positive, low &lt;= open, close &lt;= high, volume &gt;= 0, split coefficient &gt; 0, dividend &gt;= 0)
/// and consistency of an adjusted series: between two consecutive bars the adjustment factor (adjusted close / close) may
/// only change on a date that carries a split or a dividend, and then by what that event implies.
/// </summary>
public static class BarValidator
{
    /// <summary>Null when the bar is sane, else why not.</summary>
    public static string? Check(DailyBar bar)
    {
        ArgumentNullException.ThrowIfNull(bar);
        var d = bar.Date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
        if (bar.Open <= 0 || bar.High <= 0 || bar.Low <= 0 || bar.Close <= 0)
        {
            return $"{d}: a price is not positive";
        }

        if (bar.Low > bar.Open || bar.Low > bar.Close || bar.Low > bar.High)
        {
            return $"{d}: low {bar.Low} is above open, close or high";
        }

        if (bar.High < bar.Open || bar.High < bar.Close)
        {
            return $"{d}: high {bar.High} is below open or close";
        }

        if (bar.Volume < 0)
        {
            return $"{d}: volume {bar.Volume} is negative";
        }

        if (bar.AdjustedClose is <= 0)
        {
            return $"{d}: adjusted close {bar.AdjustedClose} is not positive";
        }

        if (bar.SplitCoefficient is <= 0)
        {
            return $"{d}: split coefficient {bar.SplitCoefficient} is not positive";
        }

        return bar.DividendAmount is < 0 ? $"{d}: dividend {bar.DividendAmount} is negative" : null;
    }

    /// <summary>
    /// Null when the adjusted fields of consecutive bars (ascending) agree with the splits and dividends, else the first
    /// disagreement. Expected: factor(prev) = factor(next) / split(next) * (1 - dividend(next) / close(prev)), within the
    /// rounding of 4-decimal adjusted closes.
    /// </summary>
    public static string? CheckAdjustments(IReadOnlyList<DailyBar> ascending)
    {
        ArgumentNullException.ThrowIfNull(ascending);
        for (var i = 1; i < ascending.Count; i++)
        {
            var prev = ascending[i - 1];
            var next = ascending[i];
            if (prev.AdjustedClose is not { } prevAdj || next.AdjustedClose is not { } nextAdj)
            {
                continue;
            }

            var split = next.SplitCoefficient ?? 1m;
            var dividend = next.DividendAmount ?? 0m;
            var expected = (double)(nextAdj / next.Close) / (double)split * (1 - (double)(dividend / prev.Close));
            var actual = (double)(prevAdj / prev.Close);

            // Adjusted closes carry 4 decimals: allow that rounding on both closes, relative to the prices involved.
            var tolerance = (0.00005 / (double)prevAdj) + (0.00005 / (double)nextAdj) + 1e-6;
            if (Math.Abs(actual / expected - 1) > tolerance * 4)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"{prev.Date:yyyy-MM-dd}: adjusted close {prevAdj} disagrees with {next.Date:yyyy-MM-dd} (split {split}, dividend {dividend}): factor {actual:0.######}, expected {expected:0.######}");
            }
        }

        return null;
    }
}
