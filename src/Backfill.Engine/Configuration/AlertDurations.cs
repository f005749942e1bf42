using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Core.Time;

namespace Backfill.Engine.Configuration;

/// <summary>Durations of the <c>alerts.*</c> settings: a whole number and a unit, <c>90s</c>, <c>30m</c>, <c>4h</c>, <c>1d</c>.</summary>
public static class AlertDurations
{
    public static TimeSpan Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Length >= 2 && long.TryParse(trimmed.AsSpan(0, trimmed.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n is > 0 and <= 100_000)
        {
            switch (char.ToLowerInvariant(trimmed[^1]))
            {
                case 's': return TimeSpan.FromSeconds(n);
                case 'm': return TimeSpan.FromMinutes(n);
                case 'h': return TimeSpan.FromHours(n);
                case 'd': return TimeSpan.FromDays(n);
            }
        }

        throw new FormatException($"'{DateInput.Printable(text)}' is not a duration");
    }

    /// <summary>The check of <c>alerts.repeatInterval</c>: 1 minute to 30 days, normalised to its text.</summary>
    public static string CheckRepeatInterval(string text)
    {
        TimeSpan value;
        try
        {
            value = Parse(text);
        }
        catch (FormatException e)
        {
            throw new InvalidInputException($"{Settings.AlertsRepeatInterval}: {e.Message}. Use a number and a unit: 30m, 4h or 1d.");
        }

        if (value < TimeSpan.FromMinutes(1) || value > TimeSpan.FromDays(30))
        {
            throw new InvalidInputException($"{Settings.AlertsRepeatInterval}: {DateInput.Printable(text.Trim())} is out of range. Use 1m to 30d.");
        }

        return text.Trim().ToLowerInvariant();
    }
}
