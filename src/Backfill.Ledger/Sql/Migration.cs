namespace Backfill.Ledger.Sql;

/// <summary>One versioned schema change. Never edit a shipped one: add the next version to every database's list.</summary>
internal sealed record Migration(int Version, string Name, string Sql);
