using System.Globalization;
using Backfill.Sources.ThetaData.Greeks;

namespace Backfill.Sources.ThetaData;

/// <summary>The columns of a greeks row, by their v2 names.</summary>
internal enum GreeksField
{
    MsOfDay,
    Bid,
    Ask,
    Delta,
    Theta,
    Vega,
    Rho,
    Epsilon,
    Lambda,
    ImpliedVol,
    IvError,
    MsOfDay2,
    UnderlyingPrice,
    Date,
}

/// <summary>Collects one row's values, validates them and builds the vendor-neutral row.</summary>
internal sealed class GreeksRowBuilder
{
    public const int FieldCount = 14;

    public static readonly string[] V2Names =
    [
        "ms_of_day", "bid", "ask", "delta", "theta", "vega", "rho", "epsilon", "lambda", "implied_vol", "iv_error",
        "ms_of_day2", "underlying_price", "date",
    ];

    private readonly double[] _values = new double[FieldCount];
    private int _seenMask;
    private string? _problem;

    public static int AllSeen => (1 << FieldCount) - 1;

    public void Reset()
    {
        _seenMask = 0;
        _problem = null;
    }

    public void Set(GreeksField field, double value)
    {
        _values[(int)field] = value;
        _seenMask |= 1 << (int)field;
    }

    /// <summary>Remembers the first thing wrong with the row (a type error, a count mismatch).</summary>
    public void Problem(string reason) => _problem ??= reason;

    public double Get(GreeksField field) => _values[(int)field];

    /// <summary>Validates the collected values; on success <paramref name="row"/> is the finished row.</summary>
    public bool TryBuild(string root, DateOnly expiration, int strikeMilli, char right, out OptionGreeksRow row, out string reason)
    {
        row = default;
        if (_problem is not null)
        {
            reason = _problem;
            return false;
        }

        if (_seenMask != AllSeen)
        {
            reason = "missing fields: " + string.Join(',', Enumerable.Range(0, FieldCount).Where(i => (_seenMask & (1 << i)) == 0).Select(i => V2Names[i]));
            return false;
        }

        var ms = Get(GreeksField.MsOfDay);
        var ms2 = Get(GreeksField.MsOfDay2);
        var bid = Get(GreeksField.Bid);
        var ask = Get(GreeksField.Ask);
        var delta = Get(GreeksField.Delta);
        var iv = Get(GreeksField.ImpliedVol);
        var ymd = Get(GreeksField.Date);
        if (!IsMsOfDay(ms) || !IsMsOfDay(ms2))
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"ms_of_day {ms} or ms_of_day2 {ms2} outside 0..86400000");
            return false;
        }

        if (bid < 0 || ask < 0 || bid > ask)
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"bid {bid} / ask {ask}: need 0 <= bid <= ask");
            return false;
        }

        if (Math.Abs(delta) > 1)
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"|delta| {delta} > 1");
            return false;
        }

        if (iv < 0)
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"implied_vol {iv} < 0");
            return false;
        }

        if (!TryYmd(ymd, out var tradeDate))
        {
            reason = string.Create(CultureInfo.InvariantCulture, $"date {ymd} is not YYYYMMDD");
            return false;
        }

        row = new OptionGreeksRow(
            tradeDate, root, expiration, strikeMilli, right, (int)ms, bid, ask, delta,
            Get(GreeksField.Theta), Get(GreeksField.Vega), Get(GreeksField.Rho), Get(GreeksField.Epsilon),
            Get(GreeksField.Lambda), iv, Get(GreeksField.IvError), (int)ms2, Get(GreeksField.UnderlyingPrice));
        reason = string.Empty;
        return true;
    }

    public static bool TryYmd(double value, out DateOnly date)
    {
        date = default;
        if (value != Math.Floor(value) || value < 19000101 || value > 29991231)
        {
            return false;
        }

        var v = (int)value;
        var (y, m, d) = (v / 10000, v / 100 % 100, v % 100);
        if (m is < 1 or > 12 || d < 1 || d > DateTime.DaysInMonth(y, m))
        {
            return false;
        }

        date = new DateOnly(y, m, d);
        return true;
    }

    private static bool IsMsOfDay(double v) => v >= 0 && v <= 86_400_000 && v == Math.Floor(v);
}
