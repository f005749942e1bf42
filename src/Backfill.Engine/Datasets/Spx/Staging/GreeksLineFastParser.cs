using System.Buffers.Text;

namespace Backfill.Engine.Datasets.Spx.Staging;

/// <summary>
/// Positional fast path for lines exactly as <see cref="GreeksStagingWriter"/> writes them (fixed field order,
/// no whitespace, no escapes, finite numbers). Any deviation returns false and the caller falls back to the
/// <see cref="System.Text.Json.Utf8JsonReader"/> parser, which accepts any field order and reports corruption.
/// </summary>
internal static class GreeksLineFastParser
{
    public static bool TryParse(ReadOnlySpan<byte> line, GreeksColumnBatch batch, int index, out LineHeader header)
    {
        header = default;
        var p = 0;
        if (!Expect(line, ref p, "{\"d\":"u8) || !Int(line, ref p, out header.TradeDate)
            || !Expect(line, ref p, ",\"r\":\""u8))
        {
            return false;
        }

        var rootEnd = line[p..].IndexOfAny((byte)'"', (byte)'\\');
        if (rootEnd <= 0 || line[p + rootEnd] != (byte)'"')
        {
            return false;
        }

        header.RootStart = p;
        header.RootLength = rootEnd;
        p += rootEnd + 1;
        if (!Expect(line, ref p, ",\"e\":"u8) || !Int(line, ref p, out header.Expiration)
            || !Expect(line, ref p, ",\"k\":"u8) || !Int(line, ref p, out batch.Strike[index])
            || !Expect(line, ref p, ",\"c\":\""u8) || p + 2 > line.Length || line[p + 1] != (byte)'"' || line[p] is (byte)'\\' or (byte)'"' or > 127)
        {
            return false;
        }

        batch.Right[index] = line[p];
        p += 2;
        var d = batch.Doubles;
        return Expect(line, ref p, ",\"m\":"u8) && Int(line, ref p, out batch.MsOfDay[index])
            && Expect(line, ref p, ",\"b\":"u8) && Dbl(line, ref p, out d[GreeksColumnBatch.Bid][index])
            && Expect(line, ref p, ",\"a\":"u8) && Dbl(line, ref p, out d[GreeksColumnBatch.Ask][index])
            && Expect(line, ref p, ",\"dl\":"u8) && Dbl(line, ref p, out d[GreeksColumnBatch.Delta][index])
            && Expect(line, ref p, ",\"th\":"u8) && Dbl(line, ref p, out d[GreeksColumnBatch.Theta][index])
            && Expect(line, ref p, ",\"vg\":"u8) && Dbl(line, ref p, out d[GreeksColumnBatch.Vega][index])
            && Expect(line, ref p, ",\"rh\":"u8) && Dbl(line, ref p, out d[GreeksColumnBatch.Rho][index])
            && Expect(line, ref p, ",\"ep\":"u8) && Dbl(line, ref p, out d[GreeksColumnBatch.Epsilon][index])
            && Expect(line, ref p, ",\"lm\":"u8) && Dbl(line, ref p, out d[GreeksColumnBatch.Lambda][index])
            && Expect(line, ref p, ",\"iv\":"u8) && Dbl(line, ref p, out d[GreeksColumnBatch.ImpliedVol][index])
            && Expect(line, ref p, ",\"ie\":"u8) && Dbl(line, ref p, out d[GreeksColumnBatch.IvError][index])
            && Expect(line, ref p, ",\"m2\":"u8) && Int(line, ref p, out batch.MsOfDay2[index])
            && Expect(line, ref p, ",\"u\":"u8) && Dbl(line, ref p, out d[GreeksColumnBatch.UnderlyingPrice][index])
            && p == line.Length - 1 && line[p] == (byte)'}';
    }

    private static bool Expect(ReadOnlySpan<byte> line, ref int p, ReadOnlySpan<byte> literal)
    {
        if (!line[p..].StartsWith(literal))
        {
            return false;
        }

        p += literal.Length;
        return true;
    }

    /// <summary>
    /// Clinger's fast path for a JSON number: when the decimal significand w fits in 53 bits and the decimal exponent
    /// q is within ±22, w and 10^|q| are exact doubles and one IEEE multiplication or division rounds correctly, so
    /// the result equals what any correct parser returns. Prices with cents and greeks with a few decimals always
    /// qualify; anything else (17 significant digits, large exponents, non-JSON syntax) returns false and goes to
    /// <see cref="Utf8Parser"/>.
    /// </summary>
    internal static bool TryParseExactDouble(ReadOnlySpan<byte> s, out double value, out int consumed)
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

    private static readonly double[] Pow10 =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ];

    private static bool Int(ReadOnlySpan<byte> line, ref int p, out int value)
    {
        if (!Utf8Parser.TryParse(line[p..], out value, out var consumed) || consumed == 0 || line[p] == (byte)'+')
        {
            return false;
        }

        p += consumed;
        return true;
    }

    private static bool Dbl(ReadOnlySpan<byte> line, ref int p, out double value)
    {
        if (TryParseExactDouble(line[p..], out value, out var used))
        {
            p += used;
            return true;
        }

        if (!Utf8Parser.TryParse(line[p..], out value, out var consumed) || consumed == 0 || !double.IsFinite(value) || line[p] is (byte)'+' or (byte)'.')
        {
            return false;
        }

        p += consumed;
        return true;
    }
}
