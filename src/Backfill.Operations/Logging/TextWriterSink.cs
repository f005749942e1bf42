using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace Backfill.Operations.Logging;

/// <summary>Entries on standard error (or the writer given), one formatted line each.</summary>
internal sealed class TextWriterSink(TextWriter writer, ITextFormatter formatter) : ILogEventSink
{
    private readonly Lock _write = new();

    public void Emit(LogEvent logEvent)
    {
        using var line = new StringWriter();
        formatter.Format(logEvent, line);
        lock (_write)
        {
            writer.Write(line.ToString());
            writer.Flush();
        }
    }
}
