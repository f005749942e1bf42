namespace Backfill.Sources.Databento.Dbn;

/// <summary>The bytes are not a DBN stream this decoder understands (bad magic, unsupported version, truncated record).</summary>
public sealed class DbnFormatException(string message, Exception? inner = null) : Exception(message, inner);
