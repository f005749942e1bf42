namespace Backfill.Quant;

/// <summary>Why an implied volatility could not be found (or <see cref="Converged"/>).</summary>
public enum ImpliedVolatilityStatus
{
    Converged,

    /// <summary>The price is at or below the discounted intrinsic value: no volatility produces it.</summary>
    BelowIntrinsic,

    /// <summary>The price is at or above the no-arbitrage bound (discounted F for a call, K for a put).</summary>
    AboveMaximum,

    /// <summary>The option has expired (T = 0) or the inputs are not usable.</summary>
    InvalidInput,

    /// <summary>The solution lies outside the search interval or the iteration limit was reached.</summary>
    NoConvergence,
}

/// <summary>An implied volatility and how it was obtained.</summary>
public readonly record struct ImpliedVolatilityResult(double Volatility, ImpliedVolatilityStatus Status, int Iterations)
{
    public bool Succeeded => Status == ImpliedVolatilityStatus.Converged;
}

/// <summary>
/// Black-76 implied volatility. The solver works on the logarithm of the time value (price minus discounted intrinsic),
/// which is increasing in σ and well scaled even for deep out-of-the-money options whose premium is a few ticks:
/// a bracketing bisection keeps it safe, and Newton steps (in log space) make it fast where they stay in the bracket.
/// </summary>
public static class ImpliedVolatility
{
    /// <summary>Lowest volatility searched.</summary>
    public const double MinVolatility = 1e-4;

    /// <summary>Highest volatility searched (1000 %).</summary>
    public const double MaxVolatility = 10.0;

    public static ImpliedVolatilityResult Solve(
        OptionRight right, double price, double forward, double strike, double years, double rate, double tolerance = 1e-10, int maxIterations = 200)
    {
        if (!(price > 0) || !(forward > 0) || !(strike > 0) || !(years > 0) || double.IsInfinity(price) || double.IsInfinity(forward))
        {
            return new ImpliedVolatilityResult(double.NaN, ImpliedVolatilityStatus.InvalidInput, 0);
        }

        var df = Math.Exp(-rate * years);
        var intrinsic = df * Math.Max(right == OptionRight.Call ? forward - strike : strike - forward, 0);
        var maximum = df * (right == OptionRight.Call ? forward : strike);
        if (price <= intrinsic)
        {
            return new ImpliedVolatilityResult(double.NaN, ImpliedVolatilityStatus.BelowIntrinsic, 0);
        }

        if (price >= maximum)
        {
            return new ImpliedVolatilityResult(double.NaN, ImpliedVolatilityStatus.AboveMaximum, 0);
        }

        var target = Math.Log(price - intrinsic);
        double Objective(double sigma)
        {
            var timeValue = Black76.Price(right, forward, strike, years, sigma, rate) - intrinsic;
            return timeValue > 0 ? Math.Log(timeValue) - target : double.NegativeInfinity;
        }

        var lo = MinVolatility;
        var hi = MaxVolatility;
        var fLo = Objective(lo);
        var fHi = Objective(hi);
        if (fLo > 0 || fHi < 0)
        {
            return new ImpliedVolatilityResult(fLo > 0 ? lo : hi, ImpliedVolatilityStatus.NoConvergence, 0);
        }

        // Start from the Brenner-Subrahmanyam at-the-money estimate, clamped into the bracket.
        var sigmaGuess = Math.Clamp(Math.Sqrt(2 * Math.PI / years) * price / (df * forward), 0.05, 2.0);
        var x = sigmaGuess;
        for (var i = 1; i <= maxIterations; i++)
        {
            var f = Objective(x);
            if (f == 0)
            {
                return new ImpliedVolatilityResult(x, ImpliedVolatilityStatus.Converged, i);
            }

            if (f < 0)
            {
                lo = x;
            }
            else
            {
                hi = x;
            }

            // Newton on log(time value): f' = vega / time value.
            var greeks = Black76.Greeks(right, forward, strike, years, x, rate);
            var timeValue = greeks.Price - intrinsic;
            var next = double.NaN;
            if (timeValue > 0 && greeks.Vega > 0 && !double.IsInfinity(f))
            {
                next = x - (f * timeValue / greeks.Vega);
            }

            if (double.IsNaN(next) || next <= lo || next >= hi)
            {
                next = 0.5 * (lo + hi);
            }

            if (Math.Abs(next - x) < tolerance * Math.Max(1, x) || hi - lo < tolerance)
            {
                return new ImpliedVolatilityResult(next, ImpliedVolatilityStatus.Converged, i);
            }

            x = next;
        }

        return new ImpliedVolatilityResult(x, ImpliedVolatilityStatus.NoConvergence, maxIterations);
    }
}
