using System.Data.Common;
using System.Globalization;
using Backfill.Ledger.Sql;

namespace Backfill.Ledger.Sqlite;

/// <summary>
/// How the SQLite ledger stores dates and times: as fixed-width ISO text, so that comparing two values as text
/// (a lease against now, a date against a range) compares them in time. Flags are 0 and 1.
/// </summary>
internal sealed class SqliteText : LedgerRows
{
    public const string DateFormat = "yyyy-MM-dd";
    public const string TimeFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";

    public static SqliteText Rows { get; } = new();

    public override object Date(DateOnly date) => date.ToString(DateFormat, CultureInfo.InvariantCulture);

    public override object Time(DateTimeOffset time) => time.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture);

    public override object Flag(bool value) => value ? 1 : 0;

    public override DateOnly ReadDate(DbDataReader reader, int ordinal) =>
        DateOnly.ParseExact(reader.GetString(ordinal), DateFormat, CultureInfo.InvariantCulture);

    public override DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        DateTimeOffset.ParseExact(reader.GetString(ordinal), TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
}
