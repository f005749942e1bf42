using System.CommandLine;
using System.Globalization;
using Backfill.Core.Errors;
using Backfill.Core.Time;
using Backfill.Engine.Gaps;
using Backfill.Engine.Processing;

namespace Backfill.Cli.Commands;

/// <summary>
/// <c>worker</c>: one of several processes (on one or many machines) sharing a ledger and an output folder. It takes
/// dates nobody holds until the range is done, renewing its lease while it works.
/// </summary>
internal static class WorkerCommand
{
    public static Command Build(CliEnvironment environment)
    {
        var from = new Option<string?>("--from") { Description = "First date (default processing.startDate)." };
        var to = new Option<string?>("--to") { Description = "Last date (default the latest complete session)." };
        var lease = new Option<string>("--lease")
        {
            Description = "How long a claim lasts without a heartbeat (renewed every third of it): 30s, 2m, 1h.",
            DefaultValueFactory = _ => "2m",
        };
        var poll = new Option<string>("--poll")
        {
            Description = "How often to look again when only dates other workers hold are left: 500ms, 5s.",
            DefaultValueFactory = _ => "5s",
        };
        var command = new Command("worker", "Process a range together with other workers on a shared ledger (postgres:// in --db), until no work is left.")
        {
            from, to, lease, poll,
        };
        command.SetAction(async (parse, ct) =>
        {
            var context = new CommandContext(parse, environment);
            var leaseTime = ParseDuration(parse.GetValue(lease)!, "--lease", TimeSpan.FromSeconds(3), TimeSpan.FromHours(24));
            var pollTime = ParseDuration(parse.GetValue(poll)!, "--poll", TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
            await using var ledger = await context.OpenLedgerAsync(ct);
            var settings = await context.LoadSettingsAsync(ledger, ct);
            var calendar = context.Dataset.Calendar;
            var latest = GapAnalyzer.LatestCompleteSession(calendar, environment.Time.GetUtcNow());
            var start = parse.GetValue(from) is { } f ? DateInput.ParseDate(f, "--from", context.Today)
                : settings.StartDate ?? throw new InvalidInputException("Give --from or set processing.startDate (backfill config set processing.startDate 2024-01-02).");
            var end = parse.GetValue(to) is { } t ? DateInput.ParseDate(t, "--to", context.Today) : latest;
            DateInput.EnsureOrdered(start, end);
            var sessions = calendar.SessionsBetween(start, end < latest ? end : latest);
            if (sessions.Count == 0)
            {
                throw new InvalidInputException($"No complete {calendar.Name} session between {start:yyyy-MM-dd} and {end:yyyy-MM-dd}.");
            }

            _ = await ProcessingRun.PrepareAsync(context, ledger, sessions, ct);
            context.Say($"worker {WorkerIdentity.Current} on {ledger.Description}: {sessions.Count} session(s) {sessions[0]:yyyy-MM-dd} .. {sessions[^1]:yyyy-MM-dd}, lease {leaseTime.TotalSeconds:0}s");
            return await ProcessingRun.RunAsync(context, ledger, settings, sessions, o => o with { Lease = leaseTime }, ct,
                (processor, observer, stop) => new UnitWorker(ledger, processor, context.Dataset.Name, WorkerIdentity.Current, environment.Time)
                {
                    PollInterval = pollTime,
                    MaxConcurrentDates = settings.MaxConcurrentDates,
                }.RunAsync(sessions, observer, stop, CancellationToken.None));
        });
        return command;
    }

    /// <summary>
    /// Reads <c>500ms</c>, <c>90s</c>, <c>2m</c>, <c>1h</c> (a bare number is seconds) within bounds checked here, so that an
    /// absurd lease or poll is refused before a date is claimed rather than failing in the ledger's time arithmetic later.
    /// </summary>
    internal static TimeSpan ParseDuration(string text, string option, TimeSpan minimum, TimeSpan maximum)
    {
        var trimmed = text.Trim().ToLowerInvariant();
        var unit = trimmed.EndsWith("ms", StringComparison.Ordinal) ? "ms"
            : trimmed.Length > 0 && char.IsAsciiLetter(trimmed[^1]) ? trimmed[^1..] : string.Empty;
        var number = trimmed[..^unit.Length];
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var n) || n <= 0 || double.IsInfinity(n) ||
            unit is not ("ms" or "s" or "m" or "h" or ""))
        {
            throw new InvalidInputException($"{option}: '{DateInput.Printable(text)}' is not a duration. Examples: 500ms, 30s, 2m, 1h.");
        }

        var milliseconds = n * unit switch
        {
            "h" => 3_600_000.0,
            "m" => 60_000.0,
            "ms" => 1.0,
            _ => 1_000.0,
        };
        if (milliseconds > maximum.TotalMilliseconds)
        {
            throw new InvalidInputException($"{option}: {DateInput.Printable(text)} is too long; use at most {Describe(maximum)}.");
        }

        var value = TimeSpan.FromMilliseconds(milliseconds);
        return value >= minimum ? value : throw new InvalidInputException($"{option}: {DateInput.Printable(text)} is too short; use at least {minimum.TotalSeconds:0.#}s.");
    }

    private static string Describe(TimeSpan span) => span.TotalHours >= 1 && span.TotalHours % 1 == 0
        ? $"{span.TotalHours:0}h"
        : $"{span.TotalSeconds:0.#}s";
}
