namespace Backfill.Core.Text;

/// <summary>
/// Exact, fast conversions between doubles and short decimal text (JSON number syntax), for the hot paths that read
/// a vendor's JSON and write and read staging lines. Both directions only take the shortcut when it is provably exact
/// and otherwise say so, leaving the value to the framework's general (slower) code; the result is therefore always
/// bit for bit what <see cref="double.Parse(string)"/> would read, or text that reads back to the same bits.
/// </summary>
public static class ExactDecimal
{
    /// <summary>Most decimals <see cref="TryFormat"/> tries; values with more go to the general formatter.</summary>
    public const int MaxFormatDecimals = 10;

    private const double TwoTo53 = 9007199254740992d;

    private static readonly double[] Pow10 =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// Clinger's fast path for a JSON number at the start of <paramref name="s"/>: when the decimal significand w fits
    /// in 53 bits and the decimal exponent q is within ±22, w and 10^|q| are exact doubles and one IEEE multiplication
    /// or division rounds correctly, so the result equals what any correct parser returns. Prices with cents and
    /// greeks with a few decimals always qualify; anything else (17 significant digits, large exponents, non-JSON
    /// syntax) returns false and is left to the general parser.
    /// </summary>
    /// <param name="consumed">Bytes of <paramref name="s"/> that form the number.</param>
    public static bool TryParse(ReadOnlySpan<byte> s, out double value, out int consumed)
    {
        // The common shape first: [-]digits[.digits], 19 digits at most in all (so w cannot overflow and has at most 19
        // significant digits), no leading zero before other integer digits, no exponent. Anything else, and any value
        // past 2^53, takes the general walk below, which gives the same answer for this shape.
        var i = 0;
        var negative = false;
        if (s.Length > 0 && s[0] == (byte)'-')
        {
            negative = true;
            i = 1;
        }

        var start = i;
        ulong w = 0;
        uint d;
        while ((uint)i < (uint)s.Length && (d = (uint)(s[i] - '0')) <= 9)
        {
            w = (w * 10) + d;
            i++;
        }

        var integerDigits = i - start;
        var fractionDigits = 0;
        if ((uint)i < (uint)s.Length && s[i] == (byte)'.')
        {
            i++;
            var fractionStart = i;
            while ((uint)i < (uint)s.Length && (d = (uint)(s[i] - '0')) <= 9)
            {
                w = (w * 10) + d;
                i++;
            }

            fractionDigits = i - fractionStart;
        }

        if (integerDigits == 0 || (integerDigits > 1 && s[start] == (byte)'0') || (i > start + integerDigits && fractionDigits == 0)
            || integerDigits + fractionDigits > 19 || w > 1UL << 53 || ((uint)i < (uint)s.Length && (s[i] | 0x20) == (byte)'e'))
        {
            return TryParseGeneral(s, out value, out consumed);
        }

        double fast = w;
        if (fractionDigits > 0 && w != 0)
        {
            fast /= Pow10[fractionDigits];
        }

        value = negative ? -fast : fast;
        consumed = i;
        return true;
    }

    /// <summary><see cref="TryParse"/> for every shape: leading zeros, exponents, digits past 19 that are zeros.</summary>
    private static bool TryParseGeneral(ReadOnlySpan<byte> s, out double value, out int consumed)
    {
        value = 0;
        consumed = 0;
        var i = 0;
        var negative = false;
        if (i < s.Length && s[i] == (byte)'-')
        {
            negative = true;
            i++;
        }

        if (i >= s.Length)
        {
            return false;
        }

        ulong w = 0;
        var significant = 0;
        var exponent = 0;
        if (s[i] == (byte)'0')
        {
            i++;
        }
        else if ((uint)(s[i] - '1') <= 8)
        {
            while (i < s.Length && (uint)(s[i] - '0') <= 9)
            {
                if (++significant > 19)
                {
                    return false;
                }

                w = (w * 10) + (uint)(s[i] - '0');
                i++;
            }
        }
        else
        {
            return false;
        }

        if (i < s.Length && s[i] == (byte)'.')
        {
            i++;
            var fractionStart = i;
            while (i < s.Length && (uint)(s[i] - '0') <= 9)
            {
                if (w != 0 || s[i] != (byte)'0')
                {
                    if (++significant > 19)
                    {
                        return false;
                    }
                }

                w = (w * 10) + (uint)(s[i] - '0');
                exponent--;
                i++;
            }

            if (i == fractionStart)
            {
                return false;
            }
        }

        if (i < s.Length && (s[i] | 0x20) == (byte)'e')
        {
            i++;
            var negativeExponent = false;
            if (i < s.Length && s[i] is (byte)'-' or (byte)'+')
            {
                negativeExponent = s[i] == (byte)'-';
                i++;
            }

            var digitsStart = i;
            var e = 0;
            while (i < s.Length && (uint)(s[i] - '0') <= 9)
            {
                if (i - digitsStart >= 4)
                {
                    return false;
                }

                e = (e * 10) + (s[i] - '0');
                i++;
            }

            if (i == digitsStart)
            {
                return false;
            }

            exponent += negativeExponent ? -e : e;
        }

        if (w > 1UL << 53)
        {
            return false;
        }

        double result = w;
        if (w != 0 && exponent != 0)
        {
            if (exponent is < -22 or > 22)
            {
                return false;
            }

            result = exponent > 0 ? result * Pow10[exponent] : result / Pow10[-exponent];
        }

        value = negative ? -result : result;
        consumed = i;
        return true;
    }

    /// <summary>
    /// Writes <paramref name="value"/> as the shortest plain decimal (<c>-12.5</c>, <c>0.0042</c>, <c>4700</c>; at most
    /// <see cref="MaxFormatDecimals"/> decimals) that reads back to exactly the same double, or returns false (nothing
    /// written) when there is none or the value is zero with its sign bit set, NaN or infinite. Exact by construction:
    /// for the first k with n = round(value·10^k), |n| ≤ 2^53 and n / 10^k == value (both operands exact, so the
    /// division is the correctly rounded value of the decimal n·10^-k, which is what a correct parser returns).
    /// </summary>
    public static bool TryFormat(double value, Span<byte> destination, out int written)
    {
        var decimals = 0;
        return TryFormat(value, destination, ref decimals, out written);
    }

    /// <summary>
    /// <see cref="TryFormat(double, Span{byte}, out int)"/> for a column of similar values: tries
    /// <paramref name="decimalsHint"/> decimals first (then drops trailing zeros: the same number, so the same text as
    /// the search would find), and searches only when the value needs more, raising the hint to what it needed. One
    /// multiplication and one division per value once the hint has settled, instead of one per decimal tried.
    /// </summary>
    public static bool TryFormat(double value, Span<byte> destination, ref int decimalsHint, out int written)
    {
        written = 0;
        if (value == 0)
        {
            if (double.IsNegative(value) || destination.Length < 1)
            {
                return false;
            }

            destination[0] = (byte)'0';
            written = 1;
            return true;
        }

        var magnitude = Math.Abs(value);
        if (!(magnitude < TwoTo53))
        {
            // Also NaN and infinities.
            return false;
        }

        var hint = Math.Clamp(decimalsHint, 0, MaxFormatDecimals);
        var k = Search(magnitude, hint, MaxFormatDecimals, out var n);
        if (k < 0 && hint > 0)
        {
            // A hint too large for this value's magnitude (n past 2^53): fewer decimals may still do.
            k = Search(magnitude, 0, hint - 1, out n);
        }

        if (k < 0)
        {
            return false;
        }

        decimalsHint = k;
        var decimals = k;
        while (decimals > 0 && n % 10 == 0)
        {
            n /= 10;
            decimals--;
        }

        return WriteScaled(value < 0, n, decimals, destination, out written);
    }

    /// <summary>The first k in [from, to] with round(magnitude·10^k) / 10^k == magnitude and that integer ≤ 2^53, or -1.</summary>
    private static int Search(double magnitude, int from, int to, out ulong digits)
    {
        for (var k = from; k <= to; k++)
        {
            var scale = Pow10[k];
            var n = Math.Round(magnitude * scale);
            if (n > TwoTo53)
            {
                break;
            }

            if (n / scale == magnitude)
            {
                digits = (ulong)n;
                return k;
            }
        }

        digits = 0;
        return -1;
    }

    /// <summary>Writes n·10^-decimals with a sign, a leading zero before the point when needed and no exponent.</summary>
    private static bool WriteScaled(bool negative, ulong n, int decimals, Span<byte> destination, out int written)
    {
        written = 0;
        var count = DigitCount(n);
        var integerDigits = count - decimals;
        var length = (negative ? 1 : 0) + (integerDigits > 0 ? integerDigits : 1) + (decimals > 0 ? 1 + decimals : 0);
        if (destination.Length < length)
        {
            return false;
        }

        // Right to left: the fraction's digits, the point, the integer's digits (or a zero), the sign.
        var p = length;
        for (var i = 0; i < decimals; i++)
        {
            var q = n / 10;
            destination[--p] = (byte)('0' + (int)(n - (q * 10)));
            n = q;
        }

        if (decimals > 0)
        {
            destination[--p] = (byte)'.';
        }

        do
        {
            var q = n / 10;
            destination[--p] = (byte)('0' + (int)(n - (q * 10)));
            n = q;
        }
        while (n != 0);

        if (negative)
        {
            destination[--p] = (byte)'-';
        }

        written = length;
        return true;
    }

    private static int DigitCount(ulong n)
    {
        var count = 1;
        while (n >= 10)
        {
            n /= 10;
            count++;
        }

        return count;
    }
}
