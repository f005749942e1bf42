namespace Backfill.Quant;

/// <summary>Price and first-order greeks of a European option on a futures contract.</summary>
/// <param name="Delta">∂V/∂F (discounted: e^(−rT)·N(d1) for a call).</param>
/// <param name="Gamma">∂²V/∂F².</param>
/// <param name="Vega">∂V/∂σ, per unit of volatility (not per percent).</param>
/// <param name="Theta">∂V/∂t per year (calendar time passing, so usually negative).</param>
/// <param name="Rho">∂V/∂r.</param>
public readonly record struct OptionGreeks(double Price, double Delta, double Gamma, double Vega, double Theta, double Rho);

/// <summary>
/// Black's 1976 model for options on futures: the futures price is driftless under the risk-neutral measure and
/// the premium is discounted at r. This, not Black-Scholes on a spot price, is the model for CME options on futures
/// (the reference tool used Black-Scholes with a drift of r, which overstates call deltas).
/// </summary>
/// <remarks>
/// c = e^(−rT)[F N(d1) − K N(d2)], p = e^(−rT)[K N(−d2) − F N(−d1)], d1 = (ln(F/K) + σ²T/2)/(σ√T), d2 = d1 − σ√T.
/// Source: F. Black, "The pricing of commodity contracts", Journal of Financial Economics 3 (1976) 167-179;
/// J. Hull, Options, Futures and Other Derivatives, chapter "Black's model".
/// </remarks>
public static class Black76
{
    /// <param name="forward">Futures price F &gt; 0.</param>
    /// <param name="strike">Strike K &gt; 0.</param>
    /// <param name="years">Time to expiry T in years (≥ 0).</param>
    /// <param name="volatility">σ ≥ 0, annualised.</param>
    /// <param name="rate">Continuously compounded discount rate r.</param>
    public static double Price(OptionRight right, double forward, double strike, double years, double volatility, double rate)
    {
        Validate(forward, strike, years, volatility);
        var df = Math.Exp(-rate * years);
        var sd = volatility * Math.Sqrt(years);
        if (sd <= 0)
        {
            return df * Math.Max(right == OptionRight.Call ? forward - strike : strike - forward, 0);
        }

        var d1 = (Math.Log(forward / strike) / sd) + (sd / 2);
        var d2 = d1 - sd;
        return right == OptionRight.Call
            ? df * ((forward * NormalDistribution.Cdf(d1)) - (strike * NormalDistribution.Cdf(d2)))
            : df * ((strike * NormalDistribution.Cdf(-d2)) - (forward * NormalDistribution.Cdf(-d1)));
    }

    /// <summary>Price and greeks; at T = 0 or σ = 0 the greeks are the limits (delta 0, ½ or 1 discounted).</summary>
    public static OptionGreeks Greeks(OptionRight right, double forward, double strike, double years, double volatility, double rate)
    {
        Validate(forward, strike, years, volatility);
        var df = Math.Exp(-rate * years);
        var sqrtT = Math.Sqrt(years);
        var sd = volatility * sqrtT;
        var call = right == OptionRight.Call;
        if (sd <= 0)
        {
            var intrinsic = Math.Max(call ? forward - strike : strike - forward, 0);
            var itm = call ? forward > strike : forward < strike;
            var delta = forward == strike ? (call ? 0.5 : -0.5) * df : itm ? (call ? df : -df) : 0;
            return new OptionGreeks(df * intrinsic, delta, 0, 0, rate * df * intrinsic, -years * df * intrinsic);
        }

        var d1 = (Math.Log(forward / strike) / sd) + (sd / 2);
        var d2 = d1 - sd;
        var pdf = NormalDistribution.Pdf(d1);
        var price = call
            ? df * ((forward * NormalDistribution.Cdf(d1)) - (strike * NormalDistribution.Cdf(d2)))
            : df * ((strike * NormalDistribution.Cdf(-d2)) - (forward * NormalDistribution.Cdf(-d1)));
        var deltaValue = call ? df * NormalDistribution.Cdf(d1) : -df * NormalDistribution.Cdf(-d1);
        var gamma = df * pdf / (forward * sd);
        var vega = df * forward * pdf * sqrtT;
        var theta = (-df * forward * pdf * volatility / (2 * sqrtT)) + (rate * price);
        var rho = -years * price;
        return new OptionGreeks(price, deltaValue, gamma, vega, theta, rho);
    }

    private static void Validate(double forward, double strike, double years, double volatility)
    {
        if (!(forward > 0) || double.IsInfinity(forward))
        {
            throw new ArgumentOutOfRangeException(nameof(forward), forward, "The futures price must be positive and finite.");
        }

        if (!(strike > 0) || double.IsInfinity(strike))
        {
            throw new ArgumentOutOfRangeException(nameof(strike), strike, "The strike must be positive and finite.");
        }

        if (!(years >= 0) || double.IsInfinity(years))
        {
            throw new ArgumentOutOfRangeException(nameof(years), years, "The time to expiry must be zero or more.");
        }

        if (!(volatility >= 0) || double.IsInfinity(volatility))
        {
            throw new ArgumentOutOfRangeException(nameof(volatility), volatility, "The volatility must be zero or more.");
        }
    }
}
