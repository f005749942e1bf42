using Backfill.Core.Errors;
using Backfill.Core.Http;
using Backfill.Core.Text;
using Microsoft.Extensions.Logging;

namespace Backfill.Engine.Processing;

/// <summary>
/// The lines every unit writes to the log at the default level, whatever its dataset: its start and end, each failed
/// attempt and retry, and what its vendor requests came to. Category <c>Backfill.Unit</c>.
/// </summary>
internal static partial class UnitLog
{
    public const string Category = "Backfill.Unit";

    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "unit start {Dataset} {Date} attempt {Attempt} by {Owner}")]
    public static partial void Start(ILogger logger, string dataset, string date, int attempt, string owner);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information,
        Message = "unit end {Dataset} {Date} {Outcome}: {Rows} rows, {Bytes} bytes in {Seconds:0.000} s{Detail}")]
    public static partial void End(ILogger logger, string dataset, string date, string outcome, long rows, long bytes, double seconds, string detail);

    [LoggerMessage(EventId = 102, Level = LogLevel.Information, Message = "unit skipped {Dataset} {Date}: {Reason}")]
    public static partial void Skipped(ILogger logger, string dataset, string date, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning,
        Message = "attempt failed {Dataset} {Date} {ErrorType} on attempt {Attempt}: {Message}")]
    public static partial void AttemptFailed(ILogger logger, string dataset, string date, string errorType, int attempt, string message);

    // Information, not warning: a retry is routine and standard error (warning and up) stays for what needs a person.
    [LoggerMessage(EventId = 104, Level = LogLevel.Information,
        Message = "retry {Dataset} {Date} after {ErrorType} on attempt {Attempt}, next in {DelaySeconds:0.0} s: {Message}")]
    public static partial void Retry(ILogger logger, string dataset, string date, string errorType, int attempt, double delaySeconds, string message);

    [LoggerMessage(EventId = 106, Level = LogLevel.Information,
        Message = "second pass {Dataset} {Date} after {ErrorType}, in {DelaySeconds:0.0} s: {Message}")]
    public static partial void SecondPass(ILogger logger, string dataset, string date, string errorType, double delaySeconds, string message);

    [LoggerMessage(EventId = 105, Level = LogLevel.Information,
        Message = "unit requests {Dataset} {Date}: {Requests} requests, {Bytes} bytes, {RequestSeconds:0.000} s, {Retries} retries, statuses {Statuses}")]
    public static partial void Requests(ILogger logger, string dataset, string date, long requests, long bytes, double requestSeconds, int retries, string statuses);

    public static string Day(DateOnly date) => date.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A tally for one unit whose retries are logged as they happen.</summary>
    public static RequestTally Tally(ILogger logger, string dataset, DateOnly date, TimeProvider time)
    {
        var tally = new RequestTally(time);
        if (logger.IsEnabled(LogLevel.Information))
        {
            tally.Retrying += (BackfillException e, int attempt, TimeSpan delay) =>
                Retry(logger, dataset, Day(date), e.Kind.ToString(), attempt + 1, delay.TotalSeconds, VendorText.Sanitize(e.Message));
        }

        return tally;
    }

    public static void Finished(ILogger logger, string dataset, UnitOutcome outcome, RequestTally tally)
    {
        var day = Day(outcome.Date);
        if (outcome.Kind == UnitOutcomeKind.Skipped && tally.Requests == 0)
        {
            Skipped(logger, dataset, day, VendorText.Sanitize(outcome.Message));
            return;
        }

        Requests(logger, dataset, day, tally.Requests, tally.Bytes, tally.Elapsed.TotalSeconds, tally.Retries, tally.StatusSummary);
        var detail = outcome.Kind switch
        {
            UnitOutcomeKind.Failed => $" ({outcome.ErrorType})",
            UnitOutcomeKind.Interrupted => $" ({VendorText.Sanitize(outcome.Message)})",
            _ => string.Empty,
        };
        End(logger, dataset, day, outcome.Kind.ToString().ToLowerInvariant(), outcome.Rows, outcome.FileBytes, outcome.Duration.TotalSeconds, detail);
    }
}
