namespace Backfill.Ledger;

/// <summary>
/// The ledger was migrated by a newer backfill: <c>schema_migrations</c> records a version this build does not know.
/// This build cannot tell what the newer one changed, so reading or writing such a ledger could misread it or damage
/// it: opening it is refused before anything is read or written. Not a failure of a unit (no <c>ErrorKind</c>), and
/// no retry helps: only a newer backfill can use the ledger.
/// </summary>
/// <param name="ledger">Where the ledger lives, without credentials (<see cref="ILedger.Description"/>).</param>
/// <param name="version">The highest version recorded in the ledger.</param>
/// <param name="latestKnownVersion">The highest version this build knows (<see cref="LedgerSchema.LatestVersion"/>).</param>
public sealed class LedgerSchemaTooNewException(string ledger, int version, int latestKnownVersion)
    : Exception($"The ledger {ledger} has schema version {version}; this backfill knows versions up to {latestKnownVersion}. " +
                "Upgrade backfill to use it; nothing was changed.")
{
    public string Ledger { get; } = ledger;

    public int Version { get; } = version;

    public int LatestKnownVersion { get; } = latestKnownVersion;
}
