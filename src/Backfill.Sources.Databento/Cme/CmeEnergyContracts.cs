using System.Globalization;
using Backfill.Core.Calendars;

namespace Backfill.Sources.Databento.Cme;

/// <summary>A futures contract month, e.g. HO for September 2025 (<c>HOU5</c>).</summary>
public readonly record struct ContractMonth(int Year, int Month)
{
    public ContractMonth AddMonths(int months)
    {
        var index = (Year * 12) + (Month - 1) + months;
        return new ContractMonth(index / 12, (index % 12) + 1);
    }

    public static ContractMonth Of(DateOnly date) => new(date.Year, date.Month);

    public override string ToString() => $"{Year:D4}-{Month:D2}";
}

/// <summary>
/// Listing and expiry rules of NYMEX NY Harbor ULSD futures (<c>HO</c>) and their monthly options (<c>OH</c>) on CME
/// Globex, and the Globex symbols Databento uses for them (<c>HOU5</c>, <c>OHU5 C31500</c>).
/// </summary>
/// <remarks>
/// <para>HO futures: "Trading terminates on the last business day of the month prior to the contract month." Source: CME
/// Group, NY Harbor ULSD Futures contract specifications
/// (cmegroup.com/trading/energy/refined-products/heating-oil_contract_specifications.html).</para>
/// <para>OH options: trading terminates three business days before the termination of trading in the underlying futures.
/// Source: the project brief and the vendor facts file, which observe it in the reference output (OHG2's last price is
/// on 2022-01-26, three CME business days before HOG2's last trade 2022-01-31; OHH2: 2022-02-23 vs 2022-02-28). The
/// CME options specification page itself was not available to confirm it; change <see cref="OptionBusinessDaysBeforeFutures"/>
/// if it says otherwise. Business days are sessions of <see cref="CmeEnergyCalendar"/>.</para>
/// <para>An option on contract month M therefore expires late in month M−1: "M+2" in the strategy means the M+2
/// <em>contract</em>. The reference tool filtered options whose expiration fell in month M+2 and so picked the wrong
/// series; here options are chosen by their symbol's contract month.</para>
/// </remarks>
public static class CmeEnergyContracts
{
    /// <summary>Business days between the option's last trade and the futures' last trade.</summary>
    public const int OptionBusinessDaysBeforeFutures = 3;

    /// <summary>CME month codes, January first.</summary>
    public const string MonthCodes = "FGHJKMNQUVXZ";

    /// <summary>Strike encoding in OH symbols: $/gal × 10,000, five digits (<c>C31500</c> = $3.15).</summary>
    public const int StrikeSymbolScale = 10_000;

    private static readonly ITradingCalendar Calendar = CmeEnergyCalendar.Instance;

    /// <summary>Last trading day of the futures contract: last business day of the month before the contract month.</summary>
    public static DateOnly FuturesLastTrade(ContractMonth contract)
    {
        var monthBefore = contract.AddMonths(-1);
        var last = new DateOnly(monthBefore.Year, monthBefore.Month, DateTime.DaysInMonth(monthBefore.Year, monthBefore.Month));
        return Calendar.IsSession(last) ? last : Calendar.PreviousSession(last);
    }

    /// <summary>Last trading day of the monthly option on <paramref name="contract"/>.</summary>
    public static DateOnly OptionLastTrade(ContractMonth contract)
    {
        var day = FuturesLastTrade(contract);
        for (var i = 0; i < OptionBusinessDaysBeforeFutures; i++)
        {
            day = Calendar.PreviousSession(day);
        }

        return day;
    }

    /// <summary>The futures contract that is front (nearest not yet terminated) on <paramref name="date"/>; on its last
    /// trading day the expiring contract is still the front.</summary>
    public static ContractMonth FrontFutures(DateOnly date)
    {
        var contract = ContractMonth.Of(date).AddMonths(1);
        return FuturesLastTrade(contract) >= date ? contract : contract.AddMonths(1);
    }

    /// <summary>Globex futures symbol with a one-digit year, e.g. <c>HOU5</c>.</summary>
    public static string FuturesSymbol(string root, ContractMonth contract) =>
        root + MonthCodes[contract.Month - 1] + (contract.Year % 10).ToString(CultureInfo.InvariantCulture);

    /// <summary>Globex option symbol, e.g. <c>OHU5 C31500</c> for a $3.15 call.</summary>
    public static string OptionSymbol(string optionRoot, ContractMonth contract, bool call, decimal strike)
    {
        var encoded = decimal.Round(strike * StrikeSymbolScale, 0, MidpointRounding.AwayFromZero);
        return FuturesSymbol(optionRoot, contract) + " " + (call ? "C" : "P") + ((long)encoded).ToString("D5", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Reads an option symbol such as <c>OHU5 C31500</c>. The one-digit year is resolved to the year nearest
    /// <paramref name="near"/> (symbols are only unique within a decade).
    /// </summary>
    public static bool TryParseOptionSymbol(string symbol, string optionRoot, DateOnly near, out ContractMonth contract, out bool call, out decimal strike)
    {
        contract = default;
        call = false;
        strike = 0;
        ArgumentNullException.ThrowIfNull(symbol);
        ArgumentNullException.ThrowIfNull(optionRoot);
        var space = symbol.IndexOf(' ', StringComparison.Ordinal);
        if (space != optionRoot.Length + 2 || !symbol.StartsWith(optionRoot, StringComparison.Ordinal) || symbol.Length < space + 3)
        {
            return false;
        }

        if (!TryParseMonthYear(symbol.AsSpan(optionRoot.Length, 2), near, out contract))
        {
            return false;
        }

        var right = symbol[space + 1];
        if (right is not ('C' or 'P') || !long.TryParse(symbol.AsSpan(space + 2), NumberStyles.None, CultureInfo.InvariantCulture, out var encoded))
        {
            return false;
        }

        call = right == 'C';
        strike = (decimal)encoded / StrikeSymbolScale;
        return true;
    }

    /// <summary>Reads a futures symbol such as <c>HOU5</c> (one-digit year resolved near <paramref name="near"/>).</summary>
    public static bool TryParseFuturesSymbol(string symbol, string root, DateOnly near, out ContractMonth contract)
    {
        contract = default;
        ArgumentNullException.ThrowIfNull(symbol);
        return symbol.Length == root.Length + 2 && symbol.StartsWith(root, StringComparison.Ordinal)
            && TryParseMonthYear(symbol.AsSpan(root.Length, 2), near, out contract);
    }

    private static bool TryParseMonthYear(ReadOnlySpan<char> code, DateOnly near, out ContractMonth contract)
    {
        contract = default;
        var month = MonthCodes.IndexOf(code[0], StringComparison.Ordinal) + 1;
        if (month == 0 || code[1] is < '0' or > '9')
        {
            return false;
        }

        var digit = code[1] - '0';
        var decade = near.Year - (near.Year % 10);
        var best = 0;
        foreach (var candidate in new[] { decade - 10 + digit, decade + digit, decade + 10 + digit })
        {
            if (best == 0 || Math.Abs(candidate - near.Year) < Math.Abs(best - near.Year))
            {
                best = candidate;
            }
        }

        contract = new ContractMonth(best, month);
        return true;
    }
}
