namespace Backfill.Engine.LedgerFiles;

/// <summary>Another process has the ledger open, or a live worker holds units in it: replacing it now would lose their writes.</summary>
public sealed class LedgerInUseException(string message) : Exception(message);
