using System.CommandLine;
using Backfill.Cli.Rendering;
using Backfill.Core.Errors;

namespace Backfill.Cli.Commands;

/// <summary><c>calendar</c>: the dataset's trading sessions, early closes and closures over a range.</summary>
internal static class CalendarCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var range = new RangeOptions();
        var all = new Option<bool>("--all-days") { Description = "Also list non-trading days with the reason." };
        var command = new Command("calendar", "Show trading sessions (open, close, early closes) and closures of the dataset's exchange.");
        range.AddTo(command);
        command.Options.Add(all);
        command.SetAction(async (parse, ct) =>
        {
            await Task.Yield();
            var context = new CommandContext(parse, environment);
            var calendar = context.Choice.Calendar; // a family's members share one calendar
            var (from, to) = range.Read(context);
            var start = from ?? context.Today.AddDays(-13);
            var end = to ?? (from is null ? context.Today : start.AddDays(13));
            Core.Time.DateInput.EnsureOrdered(start, end);
            if (start < calendar.FirstDate || end > calendar.LastDate)
            {
                throw new InvalidInputException(
                    $"The {calendar.Name} calendar covers {calendar.FirstDate:yyyy-MM-dd} .. {calendar.LastDate:yyyy-MM-dd}; {start:yyyy-MM-dd} .. {end:yyyy-MM-dd} is outside it.");
            }

            var table = new ResultTable($"{calendar.Name} {start:yyyy-MM-dd} .. {end:yyyy-MM-dd} ({calendar.TimeZone.Id})",
                "date", "weekday", "session", "open", "close", "early_close", "reason");
            var sessions = 0;
            for (var d = start; d <= end; d = d.AddDays(1))
            {
                var isSession = calendar.IsSession(d);
                sessions += isSession ? 1 : 0;
                if (isSession || parse.GetValue(all))
                {
                    table.Add(d, d.DayOfWeek.ToString()[..3], isSession, calendar.OpenTime(d)?.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture),
                        calendar.CloseTime(d)?.ToString("HH:mm", System.Globalization.CultureInfo.InvariantCulture), isSession && calendar.IsEarlyClose(d), calendar.ClosureReason(d));
                }
            }

            table.Notes.Add($"{sessions} session(s).");
            context.Render(table);
            return ExitCodes.Ok;
        });
        return command;
    }
}
