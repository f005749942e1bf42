using System.Globalization;
using System.Text;
using Backfill.Engine.Datasets.Spx.Staging;

namespace Backfill.Engine.Tests.Spx;

public sealed class ExactDoubleParseTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-0")]
    [InlineData("4700.12")]
    [InlineData("-0.8227")]
    [InlineData("4.1E-05")]
    [InlineData("1e22")]
    [InlineData("9007199254740992")]
    [InlineData("0.000000000000000000001")]
    [InlineData("123456789012345.6")]
    [InlineData("1E+2")]
    public void Accepted_numbers_equal_the_framework_parse_bit_for_bit(string text)
    {
        Assert.True(GreeksLineFastParser.TryParseExactDouble(Encoding.ASCII.GetBytes(text + ","), out var value, out var consumed));
        Assert.Equal(text.Length, consumed);
        Assert.Equal(BitConverter.DoubleToInt64Bits(double.Parse(text, CultureInfo.InvariantCulture)), BitConverter.DoubleToInt64Bits(value));
    }

    [Theory]
    [InlineData("+1")]
    [InlineData(".5")]
    [InlineData("1.")]
    [InlineData("1e")]
    [InlineData("-")]
    [InlineData("0.12345678901234567")]
    [InlineData("9007199254740993")]
    [InlineData("1e23")]
    [InlineData("1e-400")]
    [InlineData("NaN")]
    public void Numbers_outside_the_exact_fast_path_or_not_json_are_left_to_the_general_parser(string text)
    {
        Assert.False(GreeksLineFastParser.TryParseExactDouble(Encoding.ASCII.GetBytes(text), out _, out _));
    }

    [Fact]
    public void Random_values_round_trip_exactly_whenever_the_fast_path_accepts_them()
    {
        var rng = new Random(5);
        var accepted = 0;
        for (var i = 0; i < 200_000; i++)
        {
            var raw = (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-12, 12));
            var value = i % 2 == 0 ? Math.Round(raw, rng.Next(0, 8)) : raw;
            var text = value.ToString("R", CultureInfo.InvariantCulture);
            if (GreeksLineFastParser.TryParseExactDouble(Encoding.ASCII.GetBytes(text), out var parsed, out var consumed))
            {
                accepted++;
                Assert.Equal(text.Length, consumed);
                Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(parsed));
            }
        }

        Assert.True(accepted > 100_000);
    }
}
