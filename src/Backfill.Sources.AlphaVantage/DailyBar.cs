namespace Backfill.Sources.AlphaVantage;

/// <summary>
/// One daily bar as Alpha Vantage reports it. Prices are decimals as sent (4 decimals); the adjusted fields are
/// null for <c>TIME_SERIES_DAILY</c> and set for <c>TIME_SERIES_DAILY_ADJUSTED</c>.
/// </summary>
public sealed record DailyBar(
    DateOnly Date,
    decimal Open,
    decimal High,
    decimal Low,
    decimal Close,
    long Volume,
    decimal? AdjustedClose = null,
    decimal? DividendAmount = null,
    decimal? SplitCoefficient = null);

/// <summary>A symbol's daily series, ascending by date, and whether it carries the adjusted fields.</summary>
public sealed record DailySeries(TickerSymbol Symbol, bool Adjusted, IReadOnlyList<DailyBar> Bars, IReadOnlyList<string> Rejected);

/// <summary>Which series function to call.</summary>
public enum DailyFunction
{
    /// <summary><c>TIME_SERIES_DAILY</c>: raw OHLCV.</summary>
    Daily,

    /// <summary><c>TIME_SERIES_DAILY_ADJUSTED</c>: adds adjusted close, dividend and split coefficient (premium).</summary>
    DailyAdjusted,
}

/// <summary><c>compact</c> = the latest 100 bars; <c>full</c> = 20+ years (premium for daily series today).</summary>
public enum OutputSize
{
    Compact,
    Full,
}

public enum DataType
{
    Json,
    Csv,
}
