using System.Buffers.Text;
using Backfill.Core.Text;

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

    /// <summary>The exact fast path of <see cref="ExactDecimal.TryParse"/> (Clinger's; false leaves the text to <see cref="Utf8Parser"/>).</summary>
    internal static bool TryParseExactDouble(ReadOnlySpan<byte> s, out double value, out int consumed) =>
        ExactDecimal.TryParse(s, out value, out consumed);

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
