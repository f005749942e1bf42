using System.Globalization;
using Backfill.Core.Text;
using Serilog.Events;
using Serilog.Formatting;

namespace Backfill.Operations.Logging;

/// <summary>
/// <c>2024-06-03T12:00:00.000Z info Backfill.Unit: message | exception</c>, always one line: the message and the
/// exception go through <see cref="VendorText.Sanitize"/>, so a message quoting a vendor can neither forge a line nor
/// drive a terminal. A stack trace's own lines stay readable as <c> | </c> separators. Nothing is cut.
/// </summary>
internal sealed class OneLineTextFormatter : ITextFormatter
{
    public void Format(LogEvent logEvent, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        ArgumentNullException.ThrowIfNull(output);
        var category = logEvent.Properties.TryGetValue("SourceContext", out var source) && source is ScalarValue { Value: string name } ? name : "";
        output.Write(logEvent.Timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        output.Write(' ');
        output.Write(Short(logEvent.Level));
        output.Write(' ');
        output.Write(category);
        output.Write(": ");
        output.Write(VendorText.Sanitize(logEvent.RenderMessage(CultureInfo.InvariantCulture), int.MaxValue));
        if (logEvent.Exception is { } error)
        {
            output.Write(" | ");
            output.Write(VendorText.Sanitize(error.ToString().ReplaceLineEndings(" | "), int.MaxValue));
        }

        output.Write('\n');
    }

    private static string Short(LogEventLevel level) => level switch
    {
        LogEventLevel.Verbose => "trce",
        LogEventLevel.Debug => "dbug",
        LogEventLevel.Information => "info",
        LogEventLevel.Warning => "warn",
        LogEventLevel.Error => "fail",
        _ => "crit",
    };
}
