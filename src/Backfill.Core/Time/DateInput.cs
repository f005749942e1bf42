using System.Globalization;
using System.Text.RegularExpressions;
using Backfill.Core.Errors;

namespace Backfill.Core.Time;

/// <summary>Parses dates and relative ranges typed by users, with messages that name the value and the fix.</summary>
public static partial class DateInput
{
    /// <summary>Parses <c>YYYY-MM-DD</c> (also <c>YYYYMMDD</c>, <c>today</c>, <c>yesterday</c>).</summary>
    /// <param name="text">What the user typed.</param>
    /// <param name="what">What the value is for, named in the error ("--from", "date").</param>
    /// <param name="today">Today's date in the exchange's time zone.</param>
    public static DateOnly ParseDate(string? text, string what, DateOnly today)
    {
        var value = text?.Trim() ?? string.Empty;
        if (value.Length == 0)
        {
            throw new InvalidInputException($"{what}: a date is required. Use YYYY-MM-DD, for example 2024-01-02.");
        }

        if (value.Equals("today", StringComparison.OrdinalIgnoreCase))
        {
            return today;
        }

        if (value.Equals("yesterday", StringComparison.OrdinalIgnoreCase))
        {
            return today.AddDays(-1);
        }

        var match = DatePattern().Match(value);
        if (!match.Success)
        {
            throw new InvalidInputException(
                $"{what}: '{Printable(value)}' is not a date. Use YYYY-MM-DD, for example 2024-01-02.");
        }

        var year = int.Parse(match.Groups["y"].Value, CultureInfo.InvariantCulture);
        var month = int.Parse(match.Groups["m"].Value, CultureInfo.InvariantCulture);
        var day = int.Parse(match.Groups["d"].Value, CultureInfo.InvariantCulture);
        if (year < 1900 || year > 2200)
        {
            throw new InvalidInputException($"{what}: year {year} in '{value}' is out of range. Use a year from 1900 to 2200.");
        }

        if (month is < 1 or > 12)
        {
            throw new InvalidInputException($"{what}: month {month:00} in '{value}' does not exist. Months run from 01 to 12.");
        }

        var days = DateTime.DaysInMonth(year, month);
        if (day < 1 || day > days)
        {
            var monthName = CultureInfo.InvariantCulture.DateTimeFormat.GetMonthName(month);
            throw new InvalidInputException(
                $"{what}: '{value}' is not a real date: {monthName} {year} has {days} days.");
        }

        return new DateOnly(year, month, day);
    }

    /// <summary>
    /// Parses a relative span such as <c>30d</c>, <c>8w</c>, <c>6m</c>, <c>2y</c> into the range that ends
    /// on <paramref name="today"/> (inclusive) and starts that long before.
    /// </summary>
    public static (DateOnly From, DateOnly To) ParseLast(string? text, DateOnly today)
    {
        var value = text?.Trim() ?? string.Empty;
        var match = SpanPattern().Match(value);
        if (!match.Success)
        {
            throw new InvalidInputException(
                $"--last: '{Printable(value)}' is not a span. Use a number and a unit: 30d (days), 8w (weeks), 6m (months) or 2y (years).");
        }

        if (!int.TryParse(match.Groups["n"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1 || n > 100_000)
        {
            throw new InvalidInputException($"--last: '{value}' must count from 1 to 100000 units.");
        }

        var unit = char.ToLowerInvariant(match.Groups["u"].Value[0]);
        var from = unit switch
        {
            'd' => today.AddDays(-(n - 1)),
            'w' => today.AddDays(-(7 * n) + 1),
            'm' => today.AddMonths(-Math.Min(n, 12 * 300)).AddDays(1),
            _ => today.AddYears(-Math.Min(n, 300)).AddDays(1),
        };
        return (from, today);
    }

    /// <summary>Checks that a range is in order, naming both ends in the error.</summary>
    public static void EnsureOrdered(DateOnly from, DateOnly to)
    {
        if (from > to)
        {
            throw new InvalidInputException(
                $"The range {from:yyyy-MM-dd} .. {to:yyyy-MM-dd} is reversed: the start comes after the end. Swap them.");
        }
    }

    /// <summary>Makes user text safe to echo: credentials in URLs masked, control characters escaped, length capped.</summary>
    public static string Printable(string value) => Printable(value, 64);

    /// <summary>
    /// Makes user text safe to echo: the user info and the query of anything that looks like a URL are masked (they
    /// may hold a password or a token), control characters are escaped, and the length is capped at
    /// <paramref name="maxLength"/> characters.
    /// </summary>
    public static string Printable(string value, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains("://", StringComparison.Ordinal))
        {
            value = UrlQuery().Replace(UrlUserInfo().Replace(value, "://***@"), "?***");
        }

        var capped = value.Length > maxLength ? string.Concat(value.AsSpan(0, maxLength), "…") : value;
        var builder = new System.Text.StringBuilder(capped.Length);
        foreach (var c in capped)
        {
            if (char.IsControl(c))
            {
                builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    [GeneratedRegex(@"://[^/?#\s]*@", RegexOptions.CultureInvariant)]
    private static partial Regex UrlUserInfo();

    [GeneratedRegex(@"\?[^\s#]*", RegexOptions.CultureInvariant)]
    private static partial Regex UrlQuery();

    [GeneratedRegex(@"^(?<y>[0-9]{4})-?(?<m>[0-9]{2})-?(?<d>[0-9]{2})$", RegexOptions.CultureInvariant)]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"^(?<n>[0-9]{1,6})\s*(?<u>[dwmyDWMY])$", RegexOptions.CultureInvariant)]
    private static partial Regex SpanPattern();
}
