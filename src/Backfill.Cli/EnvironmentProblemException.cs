namespace Backfill.Cli;

/// <summary>The machine or a service is not usable (ledger cannot open, disk full, terminal down): exit 3.</summary>
internal sealed class EnvironmentProblemException(string message, Exception? inner = null) : Exception(message, inner);
