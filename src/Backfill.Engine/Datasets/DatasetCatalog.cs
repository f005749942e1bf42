using Backfill.Core.Calendars;
using Backfill.Core.Errors;

namespace Backfill.Engine.Datasets;

/// <summary>What the engine knows of a dataset before processing it.</summary>
/// <param name="Name">Command-line name, e.g. <c>spx</c>.</param>
/// <param name="CalendarName">Trading calendar its units follow.</param>
/// <param name="Available">False for datasets planned but not shipped in this version.</param>
public sealed record DatasetInfo(string Name, string Description, string Source, string CalendarName, bool Available)
{
    public ITradingCalendar Calendar => TradingCalendars.Get(CalendarName);
}

/// <summary>The datasets Backfill ships, by name.</summary>
public static class DatasetCatalog
{
    public static IReadOnlyList<DatasetInfo> All { get; } =
    [
        new("spx", "SPX and SPXW option greeks, 1-minute, one file per trading date", "ThetaData terminal (API v2/v3)", "XNYS", true),
        new("fop", "NY Harbor ULSD (HO/OH) calls picked by target delta, one CSV and Parquet file per trading date", "Databento historical API (GLBX.MDP3)", "CMES", true),
        new("ohlcv", "Daily equity OHLCV for a symbol list, one encrypted CSV per NYSE trading date", "Alpha Vantage query API (TIME_SERIES_DAILY[_ADJUSTED])", "XNYS", true),
        new("crypto-book", "Crypto L2 order book rebuilt from Crypto Lake deltas, validated against its snapshots: one Parquet event stream per UTC day", "Crypto Lake (book_delta_v2, book, trades)", "24/7", true),
    ];

    /// <summary>The dataset called <paramref name="name"/>, or a message listing the shipped ones.</summary>
    public static DatasetInfo Get(string? name)
    {
        var key = name?.Trim() ?? string.Empty;
        var found = All.FirstOrDefault(d => d.Name.Equals(key, StringComparison.OrdinalIgnoreCase));
        if (found is null)
        {
            throw new InvalidInputException(
                $"--dataset: '{Core.Time.DateInput.Printable(key)}' is not a dataset. Use one of: {string.Join(", ", All.Where(d => d.Available).Select(d => d.Name))}.");
        }

        if (!found.Available)
        {
            throw new InvalidInputException(
                $"--dataset: '{found.Name}' ({found.Description}) is planned but not available in this version. Use: {string.Join(", ", All.Where(d => d.Available).Select(d => d.Name))}.");
        }

        return found;
    }
}
