namespace Backfill.Quant;

/// <summary>One listed option with what is known of it on the selection date.</summary>
/// <param name="Symbol">Exchange symbol, e.g. <c>OHU5 C31500</c>.</param>
/// <param name="Price">Premium used to imply the volatility (settlement, else close); NaN when none.</param>
public sealed record OptionQuote(string Symbol, OptionRight Right, double Strike, double Price);

/// <summary>What happened to one candidate during selection.</summary>
/// <param name="ImpliedVolatility">NaN when it could not be implied.</param>
/// <param name="Delta">NaN when the volatility could not be implied.</param>
public sealed record DeltaCandidate(OptionQuote Quote, double ImpliedVolatility, ImpliedVolatilityStatus Status, double Delta);

/// <summary>The choice: the candidate whose delta is closest to the target, and whether it is within the tolerance.</summary>
/// <param name="Chosen">Null when no candidate had a usable delta.</param>
/// <param name="WithinTolerance">|delta − target| ≤ tolerance.</param>
/// <param name="Candidates">Every candidate, in input order (for reports of solver failures).</param>
public sealed record DeltaSelectionResult(DeltaCandidate? Chosen, bool WithinTolerance, IReadOnlyList<DeltaCandidate> Candidates)
{
    public int Failures => Candidates.Count(c => c.Status != ImpliedVolatilityStatus.Converged);
}

/// <summary>
/// Picks the option whose Black-76 delta (from its own implied volatility) is closest to a target. Ties go to the
/// lower strike for calls (the option nearer the money), so the choice never depends on input order.
/// </summary>
public static class DeltaSelection
{
    /// <param name="forward">Underlying futures price on the selection date.</param>
    /// <param name="years">Time from the selection date to the option's expiry, in years.</param>
    /// <param name="targetDelta">Target |delta|, e.g. 0.15.</param>
    /// <param name="tolerance">Allowed |delta − target|; the closest candidate is still returned when outside it.</param>
    public static DeltaSelectionResult Select(
        IReadOnlyList<OptionQuote> quotes, double forward, double years, double rate, double targetDelta, double tolerance)
    {
        ArgumentNullException.ThrowIfNull(quotes);
        if (!(targetDelta is > 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(targetDelta), targetDelta, "The target delta must lie strictly between 0 and 1.");
        }

        var candidates = new List<DeltaCandidate>(quotes.Count);
        DeltaCandidate? best = null;
        var bestDistance = double.PositiveInfinity;
        foreach (var quote in quotes)
        {
            var iv = double.IsNaN(quote.Price)
                ? new ImpliedVolatilityResult(double.NaN, ImpliedVolatilityStatus.InvalidInput, 0)
                : ImpliedVolatility.Solve(quote.Right, quote.Price, forward, quote.Strike, years, rate);
            var delta = iv.Succeeded ? Black76.Greeks(quote.Right, forward, quote.Strike, years, iv.Volatility, rate).Delta : double.NaN;
            var candidate = new DeltaCandidate(quote, iv.Volatility, iv.Status, delta);
            candidates.Add(candidate);
            if (double.IsNaN(delta))
            {
                continue;
            }

            var distance = Math.Abs(Math.Abs(delta) - targetDelta);
            if (distance < bestDistance || (distance == bestDistance && best is not null && quote.Strike < best.Quote.Strike))
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return new DeltaSelectionResult(best, best is not null && bestDistance <= tolerance + 1e-12, candidates);
    }
}
