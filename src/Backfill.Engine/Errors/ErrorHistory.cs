using System.Globalization;
using System.Text.RegularExpressions;
using Backfill.Core.Errors;
using Backfill.Core.Text;
using Backfill.Core.Time;
using Backfill.Engine.Datasets;
using Backfill.Ledger;
using Backfill.Ledger.Model;

namespace Backfill.Engine.Errors;

/// <summary>One group of errors: its key, how many, how many the client retried and how many ended an attempt, and when.</summary>
public sealed record ErrorCount(string Key, int Count, int Retried, int Permanent, DateTimeOffset First, DateTimeOffset Last);

/// <summary>
/// What a dataset's <c>error_log</c> says over a window: counts by kind, by source (the vendor's HTTP status, or none),
/// by trade date and by sub-unit, retried against permanent, the most frequent messages (sanitized, numbers folded so
/// that variants group), and the command that would retry the dates still failed.
/// </summary>
public sealed record ErrorHistoryReport(
    int Total, int Retried, int Permanent, bool Truncated,
    IReadOnlyList<ErrorCount> ByType, IReadOnlyList<ErrorCount> BySource, IReadOnlyList<ErrorCount> ByDate,
    IReadOnlyList<ErrorCount> BySubUnit, IReadOnlyList<ErrorCount> Messages,
    IReadOnlyList<DateOnly> StillFailed, string? RetryCommand);

public static partial class ErrorHistory
{
    /// <summary>Most dates, sub-units and messages shown.</summary>
    public const int Top = 10;

    /// <summary>
    /// Reads <c>--since</c>: a span back from <paramref name="now"/> (<c>12h</c>, <c>7d</c>, <c>2w</c>) or a date (<c>YYYY-MM-DD</c>, from its start, UTC).
    /// </summary>
    /// <exception cref="InvalidInputException">Neither: the message names the value and the forms accepted.</exception>
    public static DateTimeOffset ParseSince(string text, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (Span().Match(trimmed) is { Success: true } m && int.TryParse(m.Groups["n"].Value, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 100_000)
        {
            return m.Groups["unit"].Value.ToLowerInvariant() switch
            {
                "h" => now.AddHours(-n),
                "d" => now.AddDays(-n),
                _ => now.AddDays(-7 * n),
            };
        }

        if (DateOnly.TryParseExact(trimmed, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var day))
        {
            return new DateTimeOffset(day, TimeOnly.MinValue, TimeSpan.Zero);
        }

        throw new InvalidInputException(
            $"--since: '{DateInput.Printable(text)}' is not a span or a date. Use a number and a unit, 12h (hours), 7d (days) or 2w (weeks), or a date such as 2024-06-01.");
    }

    /// <summary>Reads <c>--type</c>: an error kind, any case, as the ledger records it (<c>RateLimited</c>).</summary>
    /// <exception cref="InvalidInputException">Not a kind: the message names the value and lists the kinds.</exception>
    public static string ParseKind(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Enum.TryParse<ErrorKind>(text.Trim(), ignoreCase: true, out var kind) && Enum.IsDefined(kind) && !int.TryParse(text, CultureInfo.InvariantCulture, out _)
            ? kind.ToString()
            : throw new InvalidInputException(
                $"--type: '{DateInput.Printable(text)}' is not an error type. Use one of {string.Join(", ", Enum.GetNames<ErrorKind>())} (as 'list' and this command show them).");
    }

    public static async Task<ErrorHistoryReport> AnalyzeAsync(ILedger ledger, IDataset dataset, ErrorFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(dataset);
        ArgumentNullException.ThrowIfNull(filter);
        var errors = await ledger.ListErrorHistoryAsync(dataset.Name, filter, cancellationToken);
        var dates = errors.Where(e => e.TradeDate is not null).Select(e => e.TradeDate!.Value).Distinct().Order().ToList();
        var stillFailed = new List<DateOnly>();
        if (dates.Count > 0)
        {
            var affected = dates.ToHashSet();
            stillFailed = [.. (await ledger.ListUnitsAsync(dataset.Name, dates[0], dates[^1], null, cancellationToken))
                .Where(u => u.Status is UnitStatus.Failed or UnitStatus.Interrupted && affected.Contains(u.TradeDate)).Select(u => u.TradeDate).Order()];
        }

        var retry = DatasetRegistry.Command(dataset.Name, "retry");
        var command = stillFailed.Count switch
        {
            0 => null,
            1 => $"{retry} {stillFailed[0]:yyyy-MM-dd}",
            _ => $"{retry} --all-failed --since {stillFailed[0]:yyyy-MM-dd}",
        };
        return new ErrorHistoryReport(
            errors.Count, errors.Count(e => e.WillRetry), errors.Count(e => !e.WillRetry), errors.Count >= filter.Limit,
            Group(errors, e => e.ErrorType, int.MaxValue),
            Group(errors, e => e.StatusCode is { } s ? string.Create(CultureInfo.InvariantCulture, $"HTTP {s}") : "no HTTP status", int.MaxValue),
            Group(errors.Where(e => e.TradeDate is not null), e => e.TradeDate!.Value.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Top),
            Group(errors.Where(e => e.SubUnit is not null), e => VendorText.Sanitize(e.SubUnit, 80), Top),
            Group(errors, e => Digits().Replace(VendorText.Sanitize(e.Message, 160), "#"), Top),
            stillFailed, command);
    }

    /// <summary>Groups by <paramref name="key"/>, most frequent first (then by key), the first <paramref name="take"/>.</summary>
    private static List<ErrorCount> Group(IEnumerable<ErrorRecord> errors, Func<ErrorRecord, string> key, int take) =>
    [
        .. errors.GroupBy(key, StringComparer.Ordinal)
            .Select(g => new ErrorCount(g.Key, g.Count(), g.Count(e => e.WillRetry), g.Count(e => !e.WillRetry), g.Min(e => e.OccurredAt), g.Max(e => e.OccurredAt)))
            .OrderByDescending(c => c.Count).ThenBy(c => c.Key, StringComparer.Ordinal).Take(take),
    ];

    [GeneratedRegex(@"^(?<n>\d{1,6})(?<unit>[hdwHDW])$", RegexOptions.CultureInvariant)]
    private static partial Regex Span();

    [GeneratedRegex(@"\d+", RegexOptions.CultureInvariant)]
    private static partial Regex Digits();
}
