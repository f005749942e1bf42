using System.Globalization;
using System.Text;
using Backfill.Core.Text;

namespace Backfill.Core.Tests.Text;

public sealed class ExactDecimalTests
{
    [Theory]
    [InlineData(0.0, "0")]
    [InlineData(4700.0, "4700")]
    [InlineData(-12.5, "-12.5")]
    [InlineData(0.0042, "0.0042")]
    [InlineData(-0.8227, "-0.8227")]
    [InlineData(5421.37, "5421.37")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e-10, "0.0000000001")]
    [InlineData(9007199254740991.0, "9007199254740991")]
    public void Formats_the_shortest_plain_decimal(double value, string expected)
    {
        var buffer = new byte[64];
        Assert.True(ExactDecimal.TryFormat(value, buffer, out var written));
        Assert.Equal(expected, Encoding.ASCII.GetString(buffer, 0, written));
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    [InlineData(-0.0)]
    [InlineData(0.1234567890123)]
    [InlineData(1e17)]
    [InlineData(1e-11)]
    public void Declines_values_it_cannot_write_exactly_as_a_short_plain_decimal(double value)
    {
        Assert.False(ExactDecimal.TryFormat(value, new byte[64], out var written));
        Assert.Equal(0, written);
    }

    [Fact]
    public void Declines_when_the_destination_is_too_small()
    {
        Assert.False(ExactDecimal.TryFormat(-1234.5678, new byte[9], out _));
        Assert.True(ExactDecimal.TryFormat(-1234.5678, new byte[10], out var written));
        Assert.Equal(10, written);
    }

    [Fact]
    public void A_hint_larger_than_needed_gives_the_same_text_and_a_smaller_one_is_raised()
    {
        var buffer = new byte[64];
        var hint = 6;
        Assert.True(ExactDecimal.TryFormat(12.5, buffer, ref hint, out var written));
        Assert.Equal("12.5", Encoding.ASCII.GetString(buffer, 0, written));
        Assert.Equal(6, hint);

        hint = 1;
        Assert.True(ExactDecimal.TryFormat(0.0042, buffer, ref hint, out written));
        Assert.Equal("0.0042", Encoding.ASCII.GetString(buffer, 0, written));
        Assert.Equal(4, hint);
    }

    [Fact]
    public void Every_formatted_value_reads_back_to_the_same_bits_with_the_framework_and_the_fast_parser()
    {
        var rng = new Random(17);
        var buffer = new byte[64];
        var hint = 0;
        var formatted = 0;
        for (var i = 0; i < 300_000; i++)
        {
            var raw = (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-6, 14));
            var value = (i % 4) switch
            {
                0 => raw,
                1 => Math.Round(raw, rng.Next(0, 11)),
                2 => Math.Round(raw * 100) / 100,
                _ => Math.Round(raw, 4),
            };
            if (i % 1000 == 0)
            {
                hint = rng.Next(0, 11);
            }

            if (!ExactDecimal.TryFormat(value, buffer, ref hint, out var written))
            {
                continue;
            }

            formatted++;
            var text = Encoding.ASCII.GetString(buffer, 0, written);
            Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(double.Parse(text, CultureInfo.InvariantCulture)));
            Assert.DoesNotContain('E', text);
            Assert.False(text.Contains('.', StringComparison.Ordinal) && text.EndsWith('0'), text);
            if (ExactDecimal.TryParse(buffer.AsSpan(0, written), out var parsed, out var consumed))
            {
                Assert.Equal(written, consumed);
                Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(parsed));
            }
        }

        Assert.True(formatted > 150_000, $"only {formatted} values took the fast path");
    }

    [Theory]
    [InlineData("4700.12")]
    [InlineData("-0")]
    [InlineData("4.1E-05")]
    [InlineData("0.0001")]
    public void Parses_bit_for_bit_like_the_framework(string text)
    {
        Assert.True(ExactDecimal.TryParse(Encoding.ASCII.GetBytes(text + "]"), out var value, out var consumed));
        Assert.Equal(text.Length, consumed);
        Assert.Equal(BitConverter.DoubleToInt64Bits(double.Parse(text, CultureInfo.InvariantCulture)), BitConverter.DoubleToInt64Bits(value));
    }
}

public sealed class ExactDecimalParseShapesTests
{
    [Theory]
    [InlineData("0", true)]
    [InlineData("-0.0000", true)]
    [InlineData("007", true)]
    [InlineData("1.", false)]
    [InlineData("-", false)]
    [InlineData(".5", false)]
    [InlineData("+1", false)]
    [InlineData("12345678901234567890", false)]
    [InlineData("1234567890.1234567890", false)]
    [InlineData("0.00000000000000000001", true)]
    [InlineData("2.5e3", true)]
    [InlineData("5421.37", true)]
    public void Every_shape_agrees_with_the_framework_or_is_declined(string text, bool accepted)
    {
        var bytes = Encoding.ASCII.GetBytes(text + ",");
        Assert.Equal(accepted, ExactDecimal.TryParse(bytes, out var value, out var consumed));
        if (accepted)
        {
            var number = text[..consumed];
            Assert.Equal(BitConverter.DoubleToInt64Bits(double.Parse(number, CultureInfo.InvariantCulture)), BitConverter.DoubleToInt64Bits(value));
        }
    }

    [Fact]
    public void Random_digit_strings_agree_with_the_framework_whenever_accepted()
    {
        var rng = new Random(29);
        var accepted = 0;
        for (var n = 0; n < 200_000; n++)
        {
            var text = new StringBuilder();
            if (rng.Next(4) == 0)
            {
                text.Append('-');
            }

            var integer = rng.Next(1, 12);
            for (var j = 0; j < integer; j++)
            {
                text.Append((char)('0' + rng.Next(10)));
            }

            if (rng.Next(3) > 0)
            {
                text.Append('.');
                var fraction = rng.Next(1, 12);
                for (var j = 0; j < fraction; j++)
                {
                    text.Append((char)('0' + rng.Next(10)));
                }
            }

            var s = text.ToString();
            if (ExactDecimal.TryParse(Encoding.ASCII.GetBytes(s), out var value, out var consumed))
            {
                accepted++;
                Assert.Equal(BitConverter.DoubleToInt64Bits(double.Parse(s[..consumed], CultureInfo.InvariantCulture)), BitConverter.DoubleToInt64Bits(value));
            }
        }

        Assert.True(accepted > 100_000, $"only {accepted} accepted");
    }
}
