using Backfill.Core.Calendars;
using Backfill.Core.Errors;

namespace Backfill.Engine.Processing;

/// <summary>Checks that a date can be processed, with messages that say why not and what to do.</summary>
public static class DateValidator
{
    public static void EnsureProcessable(ITradingCalendar calendar, DateOnly date, DateOnly? startDate, DateOnly latestComplete)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        if (date < calendar.FirstDate || date > calendar.LastDate)
        {
            throw new InvalidInputException(
                $"{date:yyyy-MM-dd} is outside the {calendar.Name} calendar ({calendar.FirstDate:yyyy-MM-dd} .. {calendar.LastDate:yyyy-MM-dd}).");
        }

        if (date > latestComplete)
        {
            throw new InvalidInputException(
                $"{date:yyyy-MM-dd} has no complete data yet: the latest complete {calendar.Name} session is {latestComplete:yyyy-MM-dd}.");
        }

        if (!calendar.IsSession(date))
        {
            var previous = date > calendar.FirstDate ? calendar.PreviousSession(date).ToString("yyyy-MM-dd", null) : "none";
            var next = date < calendar.LastDate ? calendar.NextSession(date).ToString("yyyy-MM-dd", null) : "none";
            throw new InvalidInputException(
                $"{date:yyyy-MM-dd} is not a trading day on {calendar.Name} ({calendar.ClosureReason(date)}). The previous session is {previous}, the next is {next}.");
        }

        if (startDate is { } start && date < start)
        {
            throw new InvalidInputException(
                $"{date:yyyy-MM-dd} is before processing.startDate ({start:yyyy-MM-dd}). To include it, run: backfill config set processing.startDate {date:yyyy-MM-dd}");
        }
    }
}
