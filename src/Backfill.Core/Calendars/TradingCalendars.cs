namespace Backfill.Core.Calendars;

/// <summary>Looks calendars up by name (case-insensitive). Every calendar returned is a shared, thread-safe instance.</summary>
public static class TradingCalendars
{
    // Name or alias -> factory. Factories keep each calendar's tables unbuilt until first requested.
    // Extension point: to add the CME calendar, implement it (e.g. CmeCalendar : TableTradingCalendar, Name "CMES",
    // America/Chicago) and register it here, e.g. ["CMES"] = () => CmeCalendar.Instance, ["CME"] = ... .
    private static readonly Dictionary<string, Func<ITradingCalendar>> _factories =
        new(StringComparer.OrdinalIgnoreCase)
        {
            ["XNYS"] = () => NyseCalendar.Instance,
            ["NYSE"] = () => NyseCalendar.Instance,
            ["CMES"] = () => CmeEnergyCalendar.Instance,
            ["CME"] = () => CmeEnergyCalendar.Instance,
            ["CME_ENERGY"] = () => CmeEnergyCalendar.Instance,
            ["24/7"] = () => AlwaysOpenCalendar.Instance,
            ["ALWAYS_OPEN"] = () => AlwaysOpenCalendar.Instance,
            ["CRYPTO"] = () => AlwaysOpenCalendar.Instance,
        };

    /// <summary>Every accepted name and alias, sorted.</summary>
    public static IReadOnlyList<string> KnownNames { get; } = [.. _factories.Keys.Order(StringComparer.Ordinal)];

    /// <summary>The calendar called <paramref name="name"/> (case-insensitive: "XNYS", "nyse", "24/7", "crypto"...).</summary>
    /// <exception cref="ArgumentException">The name is unknown; the message lists the known names.</exception>
    public static ITradingCalendar Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_factories.TryGetValue(name.Trim(), out var factory))
        {
            return factory();
        }

        throw new ArgumentException(
            $"Unknown trading calendar '{name}'. Known calendars: {string.Join(", ", KnownNames)}.", nameof(name));
    }

    /// <summary>Like <see cref="Get"/> but returns false instead of throwing for an unknown name.</summary>
    public static bool TryGet(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ITradingCalendar? calendar)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (_factories.TryGetValue(name.Trim(), out var factory))
        {
            calendar = factory();
            return true;
        }

        calendar = null;
        return false;
    }
}
