using Backfill.Core.Errors;
using Backfill.Core.Time;
using Microsoft.Extensions.Logging;

namespace Backfill.Operations.Logging;

/// <summary>The validated <c>logging.*</c> settings and the level from <c>BACKFILL_LOG_LEVEL</c>.</summary>
/// <param name="Level">Least level written to the file.</param>
/// <param name="ConsoleLevel">Least level written to standard error.</param>
public sealed record LoggingOptions(string Directory, long MaxFileBytes, int KeepFiles, bool Json, LogLevel Level, LogLevel ConsoleLevel)
{
    public const string LevelVariable = "BACKFILL_LOG_LEVEL";

    private static readonly string[] Levels = ["trace", "debug", "information", "warning", "error"];

    /// <param name="levelText">The value of <c>BACKFILL_LOG_LEVEL</c>, or null.</param>
    /// <param name="verbose">--verbose: debug when no level is given.</param>
    public static LoggingOptions Create(string directory, long maxFileBytes, int keepFiles, bool json, string? levelText, bool verbose)
    {
        var level = ParseLevel(levelText);
        return new LoggingOptions(
            Path.GetFullPath(directory), maxFileBytes, keepFiles, json,
            level ?? (verbose ? LogLevel.Debug : LogLevel.Information),
            level ?? (verbose ? LogLevel.Debug : LogLevel.Warning));
    }

    /// <summary>The level <c>BACKFILL_LOG_LEVEL</c> names (null when unset), or a message naming the value and the choices.</summary>
    public static LogLevel? ParseLevel(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var trimmed = text.Trim().ToLowerInvariant();
        return trimmed switch
        {
            "trace" => LogLevel.Trace,
            "debug" => LogLevel.Debug,
            "information" or "info" => LogLevel.Information,
            "warning" or "warn" => LogLevel.Warning,
            "error" => LogLevel.Error,
            _ => throw new InvalidInputException(
                $"{LevelVariable}: '{DateInput.Printable(text)}' is not a log level. Use one of {string.Join(", ", Levels)} (for example: export {LevelVariable}=debug), or unset it."),
        };
    }
}
