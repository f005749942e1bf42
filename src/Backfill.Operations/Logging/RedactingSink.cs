using Serilog.Core;
using Serilog.Events;
using Serilog.Parsing;

namespace Backfill.Operations.Logging;

/// <summary>
/// Rewrites every event before any sink sees it: each text (template, string values, exception) passes through the
/// <see cref="SecretRedactor"/>, the time comes from the injected clock, and string values render as plain text
/// (<c>vendor said: x</c>, not Serilog's quoted <c>"x"</c>), like Microsoft.Extensions.Logging formats them.
/// </summary>
internal sealed class RedactingSink(Logger inner, SecretRedactor redactor, TimeProvider time) : ILogEventSink, IDisposable
{
    public void Emit(LogEvent logEvent)
    {
        ArgumentNullException.ThrowIfNull(logEvent);
        var properties = logEvent.Properties.Select(p => new LogEventProperty(p.Key, Redact(p.Value))).ToList();
        var values = properties.ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
        var tokens = logEvent.MessageTemplate.Tokens.Select(token => token switch
        {
            TextToken text => new TextToken(redactor.Redact(text.Text)),
            PropertyToken { Format: null } p when values.TryGetValue(p.PropertyName, out var v) && v is ScalarValue { Value: string } =>
                new PropertyToken(p.PropertyName, p.ToString(), "l", p.Alignment, p.Destructuring),
            _ => token,
        }).ToList();
        var template = new MessageTemplate(redactor.Redact(logEvent.MessageTemplate.Text), tokens);
        var exception = logEvent.Exception is null ? null : new RedactedException(redactor.Redact(logEvent.Exception.ToString()), redactor.Redact(logEvent.Exception.Message));
        inner.Write(new LogEvent(time.GetUtcNow(), logEvent.Level, exception, template, properties, logEvent.TraceId ?? default, logEvent.SpanId ?? default));
    }

    public void Dispose() => inner.Dispose();

    private LogEventPropertyValue Redact(LogEventPropertyValue value) => value switch
    {
        ScalarValue { Value: null or bool or int or long or short or byte or uint or ulong or double or float or decimal or DateTime or DateTimeOffset or TimeSpan or DateOnly } => value,
        ScalarValue s => new ScalarValue(redactor.Redact(Convert.ToString(s.Value, System.Globalization.CultureInfo.InvariantCulture))),
        SequenceValue sequence => new SequenceValue(sequence.Elements.Select(Redact)),
        StructureValue structure => new StructureValue(structure.Properties.Select(p => new LogEventProperty(p.Name, Redact(p.Value))), structure.TypeTag),
        DictionaryValue dictionary => new DictionaryValue(dictionary.Elements.Select(e => KeyValuePair.Create((ScalarValue)Redact(e.Key), Redact(e.Value)))),
        _ => value,
    };

    /// <summary>An exception's text, redacted: the formatters write <see cref="ToString"/>.</summary>
    private sealed class RedactedException(string text, string message) : Exception(message)
    {
        public override string ToString() => text;
    }
}
