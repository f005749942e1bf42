namespace Backfill.Sources.ThetaData.Greeks;

/// <summary>
/// One option contract at one interval with its first-order greeks: the vendor-neutral row every option
/// greeks source produces and the <c>spx</c> output schema stores.
/// </summary>
/// <param name="TradeDate">Exchange-local trading date.</param>
/// <param name="Root">Option root as traded, e.g. SPX (AM-settled monthlies) or SPXW (PM-settled).</param>
/// <param name="Expiration">Expiration date.</param>
/// <param name="StrikeMilli">Strike in thousandths of a dollar (ThetaData's 1/10 cent): 4700.00 is 4_700_000.</param>
/// <param name="Right">'C' or 'P'.</param>
/// <param name="MsOfDay">Milliseconds since local midnight (America/New_York) of the option quote.</param>
/// <param name="MsOfDay2">Milliseconds since local midnight of the underlying quote.</param>
public readonly record struct OptionGreeksRow(
    DateOnly TradeDate,
    string Root,
    DateOnly Expiration,
    int StrikeMilli,
    char Right,
    int MsOfDay,
    double Bid,
    double Ask,
    double Delta,
    double Theta,
    double Vega,
    double Rho,
    double Epsilon,
    double Lambda,
    double ImpliedVol,
    double IvError,
    int MsOfDay2,
    double UnderlyingPrice)
{
    /// <summary>Strike in dollars, exact (three decimals).</summary>
    public decimal Strike => StrikeMilli / 1000m;
}
