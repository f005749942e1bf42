namespace Backfill.Simulators.ThetaData;

/// <summary>European Black-Scholes with a continuous dividend yield: price and first-order greeks.</summary>
internal static class BlackScholes
{
    public readonly record struct Result(double Price, double Delta, double Theta, double Vega, double Rho, double Epsilon);

    /// <param name="t">Time to expiry in years (must be positive).</param>
    public static Result Evaluate(bool call, double s, double k, double t, double r, double q, double sigma)
    {
        var sqrtT = Math.Sqrt(t);
        var volSqrtT = sigma * sqrtT;
        var d1 = (Math.Log(s / k) + ((r - q + (0.5 * sigma * sigma)) * t)) / volSqrtT;
        var d2 = d1 - volSqrtT;
        var dq = Math.Exp(-q * t);
        var dr = Math.Exp(-r * t);
        var pdf = Math.Exp(-0.5 * d1 * d1) / Math.Sqrt(2 * Math.PI);
        var vega = s * dq * pdf * sqrtT;
        var decay = -s * dq * pdf * sigma / (2 * sqrtT);
        if (call)
        {
            var nd1 = Cdf(d1);
            var nd2 = Cdf(d2);
            return new Result(
                (s * dq * nd1) - (k * dr * nd2),
                dq * nd1,
                decay - (r * k * dr * nd2) + (q * s * dq * nd1),
                vega,
                k * t * dr * nd2,
                -s * t * dq * nd1);
        }

        var nmd1 = Cdf(-d1);
        var nmd2 = Cdf(-d2);
        return new Result(
            (k * dr * nmd2) - (s * dq * nmd1),
            -dq * nmd1,
            decay + (r * k * dr * nmd2) - (q * s * dq * nmd1),
            vega,
            -k * t * dr * nmd2,
            s * t * dq * nmd1);
    }

    /// <summary>Standard normal CDF (Abramowitz and Stegun 26.2.17 on |x|, error below 1e-7).</summary>
    public static double Cdf(double x)
    {
        var z = Math.Abs(x);
        var k = 1.0 / (1.0 + (0.2316419 * z));
        var poly = k * (0.319381530 + (k * (-0.356563782 + (k * (1.781477937 + (k * (-1.821255978 + (k * 1.330274429))))))));
        var tail = Math.Exp(-0.5 * z * z) / Math.Sqrt(2 * Math.PI) * poly;
        return x >= 0 ? 1.0 - tail : tail;
    }
}
