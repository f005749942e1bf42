using System.Data.Common;
using Backfill.Ledger.Model;

namespace Backfill.Ledger.Sql;

/// <summary>
/// Reads the ledger's rows into the records of <c>Backfill.Ledger.Model</c>, whatever the database. Each column list sits next to
/// the code that reads it, so a SELECT and the ordinals it is read by cannot drift apart. A database says only how it
/// stores a date, a time and a flag (SQLite as ISO text and integers, PostgreSQL as <c>date</c>, <c>timestamptz</c> and
/// <c>boolean</c>), both ways: read from a row and written as a parameter.
/// </summary>
internal abstract class LedgerRows
{
    /// <summary>The columns of <c>processing_log</c> that <see cref="Unit"/> reads, in its order.</summary>
    public const string UnitColumns = """
        dataset, trade_date, status, attempt_count, owner, lease_expires_at, started_at, completed_at, duration_ms,
        file_path, file_size, file_sha256, content_sha256, row_count, subunits_total, subunits_done, api_requests,
        peak_memory_bytes, quality_score, duplicates_dropped, last_error_type, last_error_message, updated_at
        """;

    /// <summary>The columns of <c>error_log</c> that <see cref="Error"/> reads.</summary>
    public const string ErrorColumns = "id, trade_date, subunit, error_type, message, attempt, status_code, will_retry, occurred_at";

    /// <summary>The columns of <c>performance_metrics</c> that <see cref="Metric"/> reads.</summary>
    public const string MetricColumns = "trade_date, metric, value, unit, recorded_at";

    /// <summary>The columns of <c>subunit_progress</c> that <see cref="SubUnit"/> reads.</summary>
    public const string SubUnitColumns = "subunit, rows, completed_at";

    /// <summary>The columns of <c>configuration</c> that <see cref="Config"/> reads.</summary>
    public const string ConfigColumns = "key, value, updated_at, updated_by, version";

    /// <summary>The columns of <c>configuration_history</c> that <see cref="ConfigChange"/> reads.</summary>
    public const string ConfigChangeColumns = "key, old_value, new_value, changed_at, changed_by, version";

    /// <summary>A date as a parameter value.</summary>
    public abstract object Date(DateOnly date);

    /// <summary>A time as a parameter value, at millisecond precision.</summary>
    public abstract object Time(DateTimeOffset time);

    /// <summary>A flag as a parameter value.</summary>
    public abstract object Flag(bool value);

    public object? Date(DateOnly? date) => date is { } d ? Date(d) : null;

    public abstract DateOnly ReadDate(DbDataReader reader, int ordinal);

    public abstract DateTimeOffset ReadTime(DbDataReader reader, int ordinal);

    public DateOnly? ReadNullableDate(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ReadDate(reader, ordinal);

    public DateTimeOffset? ReadNullableTime(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ReadTime(reader, ordinal);

    public UnitRecord Unit(DbDataReader r) => new()
    {
        Dataset = r.GetString(0),
        TradeDate = ReadDate(r, 1),
        Status = UnitStatusNames.FromDb(r.GetString(2)),
        AttemptCount = r.GetInt32(3),
        Owner = NullableString(r, 4),
        LeaseExpiresAt = ReadNullableTime(r, 5),
        StartedAt = ReadNullableTime(r, 6),
        CompletedAt = ReadNullableTime(r, 7),
        DurationMs = NullableLong(r, 8),
        FilePath = NullableString(r, 9),
        FileSize = NullableLong(r, 10),
        FileSha256 = NullableString(r, 11),
        ContentSha256 = NullableString(r, 12),
        RowCount = NullableLong(r, 13),
        SubUnitsTotal = NullableInt(r, 14),
        SubUnitsDone = NullableInt(r, 15),
        ApiRequests = NullableLong(r, 16),
        PeakMemoryBytes = NullableLong(r, 17),
        QualityScore = r.IsDBNull(18) ? null : r.GetDouble(18),
        DuplicatesDropped = NullableLong(r, 19),
        LastErrorType = NullableString(r, 20),
        LastErrorMessage = NullableString(r, 21),
        UpdatedAt = ReadTime(r, 22),
    };

    /// <remarks>Both providers read <c>will_retry</c> as a bool, whether it is stored as an integer or a boolean.</remarks>
    public ErrorRecord Error(DbDataReader r, string dataset) => new()
    {
        Id = r.GetInt64(0),
        Dataset = dataset,
        TradeDate = ReadNullableDate(r, 1),
        SubUnit = NullableString(r, 2),
        ErrorType = r.GetString(3),
        Message = r.GetString(4),
        Attempt = r.GetInt32(5),
        StatusCode = NullableInt(r, 6),
        WillRetry = r.GetBoolean(7),
        OccurredAt = ReadTime(r, 8),
    };

    public MetricRecord Metric(DbDataReader r, string dataset) =>
        new(dataset, ReadNullableDate(r, 0), r.GetString(1), r.GetDouble(2), r.GetString(3)) { RecordedAt = ReadTime(r, 4) };

    public SubUnitRecord SubUnit(DbDataReader r, string dataset, DateOnly date) =>
        new(dataset, date, r.GetString(0), r.GetInt64(1), ReadTime(r, 2));

    public ConfigEntry Config(DbDataReader r, string dataset) =>
        new(dataset, r.GetString(0), r.GetString(1), ReadTime(r, 2), r.GetString(3), r.GetInt32(4));

    public ConfigChange ConfigChange(DbDataReader r, string dataset) =>
        new(dataset, r.GetString(0), NullableString(r, 1), NullableString(r, 2), ReadTime(r, 3), r.GetString(4), r.GetInt32(5));

    private static string? NullableString(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);

    private static long? NullableLong(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetInt64(ordinal);

    private static int? NullableInt(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetInt32(ordinal);
}
