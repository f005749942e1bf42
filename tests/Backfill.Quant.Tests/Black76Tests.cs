using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Backfill.Quant.Tests;

public sealed class Black76Tests
{
    [Theory]
    [InlineData(0.0, 0.5)]
    [InlineData(1.96, 0.975002104851780)]
    [InlineData(-1.0, 0.158655253931457)]
    [InlineData(-3.0, 0.00134989803163009)]
    [InlineData(-8.0, 6.22096057427178e-16)]
    [InlineData(-20.0, 2.75362411860623e-89)]
    public void Normal_cdf_keeps_relative_precision_in_the_tail(double x, double expected)
    {
        Assert.Equal(expected, NormalDistribution.Cdf(x), expected * 1e-12 + 1e-300);
    }

    [Fact]
    public void Atm_call_matches_the_closed_form()
    {
        // ATM: c = e^(-rT) F (2N(σ√T/2) − 1)
        var c = Black76.Price(OptionRight.Call, 2.5, 2.5, 0.25, 0.4, 0.05);
        var expected = Math.Exp(-0.05 * 0.25) * 2.5 * ((2 * NormalDistribution.Cdf(0.4 * 0.5 / 2)) - 1);
        Assert.Equal(expected, c, 1e-14);
    }

    [Fact]
    public void Delta_is_discounted_n_of_d1_not_black_scholes()
    {
        var g = Black76.Greeks(OptionRight.Call, 2.0, 2.4, 0.15, 0.35, 0.05);
        var d1 = (Math.Log(2.0 / 2.4) + (0.35 * 0.35 * 0.15 / 2)) / (0.35 * Math.Sqrt(0.15));
        Assert.Equal(Math.Exp(-0.05 * 0.15) * NormalDistribution.Cdf(d1), g.Delta, 1e-14);
        var blackScholes = NormalDistribution.Cdf(d1 + (0.05 * 0.15 / (0.35 * Math.Sqrt(0.15))));
        Assert.True(blackScholes > g.Delta + 0.005);
    }

    [Property(MaxTest = 300)]
    public Property Put_call_parity_holds(PositiveInt f, PositiveInt k, PositiveInt t, PositiveInt v)
    {
        var forward = 0.5 + (f.Get % 500 / 100.0);
        var strike = 0.5 + (k.Get % 500 / 100.0);
        var years = 0.01 + (t.Get % 200 / 100.0);
        var vol = 0.05 + (v.Get % 150 / 100.0);
        var call = Black76.Price(OptionRight.Call, forward, strike, years, vol, 0.03);
        var put = Black76.Price(OptionRight.Put, forward, strike, years, vol, 0.03);
        return (Math.Abs(call - put - (Math.Exp(-0.03 * years) * (forward - strike))) < 1e-12).ToProperty();
    }

    [Property(MaxTest = 500)]
    public Property Implied_volatility_round_trips_including_deep_otm(PositiveInt k, PositiveInt t, PositiveInt v, bool call)
    {
        var forward = 2.5;
        var strike = forward * Math.Exp(((k.Get % 241) - 120) / 100.0); // 0.30× .. 3.3× the forward
        var years = 0.02 + (t.Get % 100 / 100.0);
        var vol = 0.08 + (v.Get % 120 / 100.0);
        var right = call ? OptionRight.Call : OptionRight.Put;
        var price = Black76.Price(right, forward, strike, years, vol, 0.05);
        var intrinsic = Math.Exp(-0.05 * years) * Math.Max(call ? forward - strike : strike - forward, 0);
        // Below double resolution of the time value the volatility is not identifiable: skip those cases honestly.
        if (price - intrinsic < 1e-12 * Math.Max(1, price))
        {
            return true.ToProperty();
        }

        var iv = ImpliedVolatility.Solve(right, price, forward, strike, years, 0.05);
        return (iv.Succeeded && Math.Abs(iv.Volatility - vol) < 1e-6).Label($"K={strike} T={years} σ={vol} got {iv}");
    }

    [Fact]
    public void One_tick_premium_far_out_of_the_money_converges()
    {
        var iv = ImpliedVolatility.Solve(OptionRight.Call, 0.0001, 2.0, 3.5, 0.08, 0.05);
        Assert.True(iv.Succeeded, iv.ToString());
        Assert.Equal(0.0001, Black76.Price(OptionRight.Call, 2.0, 3.5, 0.08, iv.Volatility, 0.05), 1e-12);
    }

    [Fact]
    public void Impossible_prices_are_reported_not_guessed()
    {
        Assert.Equal(ImpliedVolatilityStatus.BelowIntrinsic, ImpliedVolatility.Solve(OptionRight.Call, 0.4, 3.0, 2.5, 0.2, 0.0).Status);
        Assert.Equal(ImpliedVolatilityStatus.AboveMaximum, ImpliedVolatility.Solve(OptionRight.Call, 3.1, 3.0, 2.5, 0.2, 0.0).Status);
        Assert.Equal(ImpliedVolatilityStatus.InvalidInput, ImpliedVolatility.Solve(OptionRight.Call, 0.1, 3.0, 2.5, 0.0, 0.0).Status);
    }

    [Fact]
    public void Selection_takes_the_delta_closest_to_target_and_flags_tolerance()
    {
        const double F = 2.0, T = 0.15, R = 0.05, Vol = 0.4;
        var quotes = new[] { 2.2, 2.4, 2.6, 2.8 }
            .Select(k => new OptionQuote($"OHH5 C{k * 10000:00000}", OptionRight.Call, k, Black76.Price(OptionRight.Call, F, k, T, Vol, R)))
            .Append(new OptionQuote("OHH5 C99999", OptionRight.Call, 9.9999, double.NaN))
            .ToList();
        var deltas = quotes.Take(4).Select(q => Black76.Greeks(OptionRight.Call, F, q.Strike, T, Vol, R).Delta).ToList();
        var expected = quotes[deltas.Select((d, i) => (Math.Abs(d - 0.15), i)).Min().i];
        var result = DeltaSelection.Select(quotes, F, T, R, 0.15, 0.02);
        Assert.Equal(expected.Symbol, result.Chosen!.Quote.Symbol);
        Assert.Equal(1, result.Failures);
        Assert.Equal(Math.Abs(result.Chosen.Delta - 0.15) <= 0.02, result.WithinTolerance);
        Assert.False(DeltaSelection.Select(quotes, F, T, R, 0.15, 0.0).WithinTolerance);
    }
}
