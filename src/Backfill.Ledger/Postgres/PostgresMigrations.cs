using Backfill.Ledger.Sql;

namespace Backfill.Ledger.Postgres;

/// <summary>
/// The SQLite migrations (same versions, names, tables and columns) in PostgreSQL's types: dates are <c>date</c>,
/// times <c>timestamptz</c>, ids identities. Never edit a shipped migration: add one to both lists.
/// </summary>
internal static class PostgresMigrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "initial schema", """
            CREATE TABLE processing_log (
                dataset            text             NOT NULL,
                trade_date         date             NOT NULL,
                status             text             NOT NULL CHECK (status IN ('queued','processing','success','failed','interrupted')),
                attempt_count      integer          NOT NULL DEFAULT 0,
                owner              text,
                lease_expires_at   timestamptz,
                started_at         timestamptz,
                completed_at       timestamptz,
                duration_ms        bigint,
                file_path          text,
                file_size          bigint,
                file_sha256        text,
                content_sha256     text,
                row_count          bigint,
                subunits_total     integer,
                subunits_done      integer,
                api_requests       bigint,
                peak_memory_bytes  bigint,
                quality_score      double precision,
                duplicates_dropped bigint,
                last_error_type    text,
                last_error_message text,
                updated_at         timestamptz      NOT NULL,
                PRIMARY KEY (dataset, trade_date)
            );
            CREATE INDEX ix_processing_log_status ON processing_log (dataset, status, trade_date);
            CREATE INDEX ix_processing_log_owner ON processing_log (owner) WHERE owner IS NOT NULL;

            CREATE TABLE attempt_log (
                id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                dataset      text        NOT NULL,
                trade_date   date        NOT NULL,
                attempt      integer     NOT NULL,
                owner        text        NOT NULL,
                started_at   timestamptz NOT NULL,
                ended_at     timestamptz,
                outcome      text,
                message      text
            );
            CREATE INDEX ix_attempt_log_unit ON attempt_log (dataset, trade_date, attempt);

            CREATE TABLE subunit_progress (
                dataset      text        NOT NULL,
                trade_date   date        NOT NULL,
                subunit      text        NOT NULL,
                rows         bigint      NOT NULL,
                completed_at timestamptz NOT NULL,
                PRIMARY KEY (dataset, trade_date, subunit)
            );

            CREATE TABLE error_log (
                id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                dataset     text        NOT NULL,
                trade_date  date,
                subunit     text,
                error_type  text        NOT NULL,
                message     text        NOT NULL,
                attempt     integer     NOT NULL DEFAULT 0,
                status_code integer,
                will_retry  boolean     NOT NULL DEFAULT false,
                occurred_at timestamptz NOT NULL
            );
            CREATE INDEX ix_error_log_unit ON error_log (dataset, trade_date, occurred_at);
            CREATE INDEX ix_error_log_time ON error_log (dataset, occurred_at);

            CREATE TABLE performance_metrics (
                id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                dataset     text             NOT NULL,
                trade_date  date,
                metric      text             NOT NULL,
                value       double precision NOT NULL,
                unit        text             NOT NULL,
                recorded_at timestamptz      NOT NULL
            );
            CREATE INDEX ix_performance_metrics_unit ON performance_metrics (dataset, trade_date, metric);

            CREATE TABLE configuration (
                dataset    text        NOT NULL,
                key        text        NOT NULL,
                value      text        NOT NULL,
                version    integer     NOT NULL,
                updated_at timestamptz NOT NULL,
                updated_by text        NOT NULL,
                PRIMARY KEY (dataset, key)
            );

            CREATE TABLE configuration_history (
                id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                dataset    text        NOT NULL,
                key        text        NOT NULL,
                old_value  text,
                new_value  text,
                version    integer     NOT NULL,
                changed_at timestamptz NOT NULL,
                changed_by text        NOT NULL
            );
            CREATE INDEX ix_configuration_history_key ON configuration_history (dataset, key, version);
            """),
        new(2, "request budget", """
            CREATE TABLE request_budget (
                source     text        NOT NULL,
                budget_day date        NOT NULL,
                requests   integer     NOT NULL,
                updated_at timestamptz NOT NULL,
                PRIMARY KEY (source, budget_day)
            );
            """),
        new(3, "alert state", """
            CREATE TABLE alert_state (
                alert_key       text        NOT NULL PRIMARY KEY,
                state           text        NOT NULL CHECK (state IN ('inactive','pending','firing')),
                active_since    timestamptz,
                last_sent_at    timestamptz,
                last_sent_state text        CHECK (last_sent_state IN ('firing','resolved')),
                summary         text        NOT NULL,
                updated_at      timestamptz NOT NULL
            );
            CREATE INDEX ix_attempt_log_ended ON attempt_log (dataset, ended_at);
            CREATE INDEX ix_processing_log_updated ON processing_log (dataset, updated_at);
            """),
    ];

    /// <summary>Any constant: the advisory lock that serialises concurrent migrations of one database.</summary>
    private const long MigrationLockKey = 0x6261636B66696C6C; // "backfill"

    /// <summary>
    /// Applies <see cref="All"/> in <paramref name="schema"/>, creating it when missing. Two workers starting together
    /// both see no tables; the advisory lock, held until the commit, makes the second wait and then find them.
    /// </summary>
    public static MigrationRunner RunnerFor(string schema) => new($"""
        SELECT pg_advisory_xact_lock({MigrationLockKey});
        CREATE SCHEMA IF NOT EXISTS "{schema}";
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    integer PRIMARY KEY,
            name       text NOT NULL,
            applied_at timestamptz NOT NULL
        );
        """, All);
}
