namespace Backfill.Ledger;

/// <summary>The ledger schema this build knows.</summary>
public static class LedgerSchema
{
    /// <summary>
    /// The highest schema version this build's migrations bring a ledger to, the same on SQLite and PostgreSQL: what
    /// <c>/ready</c> and health call current. A ledger at a higher version was migrated by a newer backfill and is
    /// refused (<see cref="LedgerSchemaTooNewException"/>). Raised with each new migration.
    /// </summary>
    public const int LatestVersion = 3;
}
