using System.Data.Common;
using Backfill.Ledger.Sql;

namespace Backfill.Ledger.Postgres;

/// <summary>How the PostgreSQL ledger stores dates, times and flags: as <c>date</c>, <c>timestamptz</c> and <c>boolean</c>.</summary>
internal sealed class PostgresTypes : LedgerRows
{
    public static PostgresTypes Rows { get; } = new();

    public override object Date(DateOnly date) => date;

    /// <summary>Millisecond precision, like the SQLite ledger, so both report the same times.</summary>
    public override object Time(DateTimeOffset time)
    {
        var utc = time.UtcDateTime;
        return new DateTime(utc.Ticks - (utc.Ticks % TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);
    }

    public override object Flag(bool value) => value;

    public override DateOnly ReadDate(DbDataReader reader, int ordinal) => reader.GetFieldValue<DateOnly>(ordinal);

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        new(DateTime.SpecifyKind(reader.GetFieldValue<DateTime>(ordinal), DateTimeKind.Utc));
}
