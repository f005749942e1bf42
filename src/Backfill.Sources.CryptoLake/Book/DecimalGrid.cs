using System.Globalization;

namespace Backfill.Sources.CryptoLake.Book;

/// <summary>
/// A fixed step (a price tick or a size lot) that turns prices and sizes into exact integer units. A value that is
/// not a whole number of steps is rounded to the nearest one and reported as precision loss; no arithmetic on
/// prices is ever done in floating point. A float64 from the vendor is taken as the shortest decimal it stands for
/// (15 significant digits), which is the decimal string the venue sent.
/// </summary>
public readonly record struct DecimalGrid
{
    public DecimalGrid(decimal step)
    {
        if (step <= 0 || step > 1_000_000m)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "A grid step must be positive and at most 1,000,000.");
        }

        Step = step;
    }

    public decimal Step { get; }

    /// <summary>The step as text, e.g. <c>0.01</c> (trailing zeros dropped).</summary>
    public override string ToString() => Step.ToString("0.############################", CultureInfo.InvariantCulture);

    public long ToUnits(double value, out bool offGrid) => ToUnits((decimal)value, out offGrid);

    public long ToUnits(decimal value, out bool offGrid)
    {
        var steps = value / Step;
        var whole = decimal.Round(steps, MidpointRounding.ToEven);
        offGrid = whole != steps;
        return decimal.ToInt64(whole);
    }

    public decimal ToDecimal(long units) => units * Step;

    /// <summary>Parses a decimal string (as Binance sends prices) exactly.</summary>
    public long ParseUnits(string text, out bool offGrid) =>
        ToUnits(decimal.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture), out offGrid);
}
