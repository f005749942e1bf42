namespace Backfill.Quant;

/// <summary>Standard normal density and distribution with full double precision in the tails.</summary>
public static class NormalDistribution
{
    private const double InvSqrt2Pi = 0.398942280401432677939946059934;

    public static double Pdf(double x) => InvSqrt2Pi * Math.Exp(-0.5 * x * x);

    /// <summary>
    /// Φ(x). Hart's rational approximation (1968) as arranged by G. West, "Better approximations to cumulative normal
    /// functions" (Wilmott, 2005): absolute and relative accuracy near double precision over the whole line, and
    /// — unlike 1 − Φ(−x) — no cancellation in the lower tail, which deep out-of-the-money options need.
    /// </summary>
    public static double Cdf(double x)
    {
        if (double.IsNaN(x))
        {
            return double.NaN;
        }

        var z = Math.Abs(x);
        double tail;
        if (z > 37)
        {
            tail = 0;
        }
        else
        {
            var e = Math.Exp(-z * z / 2);
            if (z < 7.07106781186547)
            {
                var n = (3.52624965998911E-02 * z) + 0.700383064443688;
                n = (n * z) + 6.37396220353165;
                n = (n * z) + 33.912866078383;
                n = (n * z) + 112.079291497871;
                n = (n * z) + 221.213596169931;
                n = (n * z) + 220.206867912376;
                var d = (8.83883476483184E-02 * z) + 1.75566716318264;
                d = (d * z) + 16.064177579207;
                d = (d * z) + 86.7807322029461;
                d = (d * z) + 296.564248779674;
                d = (d * z) + 637.333633378831;
                d = (d * z) + 793.826512519948;
                d = (d * z) + 440.413735824752;
                tail = e * n / d;
            }
            else
            {
                // Laplace's continued fraction for Mills' ratio, 40 levels deep: West's five levels leave a relative
                // error near 1e-8 here, which deep out-of-the-money deltas would inherit.
                var b = z;
                for (var n = 40; n >= 1; n--)
                {
                    b = z + (n / b);
                }

                tail = e / b / 2.5066282746310002;
            }
        }

        return x > 0 ? 1 - tail : tail;
    }
}
