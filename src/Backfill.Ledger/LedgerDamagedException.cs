namespace Backfill.Ledger;

/// <summary>
/// The SQLite ledger file is damaged: SQLite reports SQLITE_CORRUPT or SQLITE_NOTADB (garbage bytes, a truncated file),
/// or a copy of it fails <c>integrity_check</c>. No retry helps: the ledger is restored from a backup or rebuilt from
/// the published outputs.
/// </summary>
/// <param name="ledger">The ledger file's full path.</param>
/// <param name="detail">What SQLite said.</param>
public sealed class LedgerDamagedException(string ledger, string detail, Exception? inner = null)
    : Exception($"The ledger {ledger} is corrupted: {detail.TrimEnd('.')}.", inner)
{
    public string Ledger { get; } = ledger;

    public string Detail { get; } = detail;
}
