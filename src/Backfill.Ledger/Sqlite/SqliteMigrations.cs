using Backfill.Ledger.Sql;

namespace Backfill.Ledger.Sqlite;

/// <summary>Versioned schema changes, applied in order, each once. Never edit a shipped migration: add one to both lists.</summary>
internal static class SqliteMigrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "initial schema", """
            CREATE TABLE processing_log (
                dataset            TEXT    NOT NULL,
                trade_date         TEXT    NOT NULL,
                status             TEXT    NOT NULL CHECK (status IN ('queued','processing','success','failed','interrupted')),
                attempt_count      INTEGER NOT NULL DEFAULT 0,
                owner              TEXT,
                lease_expires_at   TEXT,
                started_at         TEXT,
                completed_at       TEXT,
                duration_ms        INTEGER,
                file_path          TEXT,
                file_size          INTEGER,
                file_sha256        TEXT,
                content_sha256     TEXT,
                row_count          INTEGER,
                subunits_total     INTEGER,
                subunits_done      INTEGER,
                api_requests       INTEGER,
                peak_memory_bytes  INTEGER,
                quality_score      REAL,
                duplicates_dropped INTEGER,
                last_error_type    TEXT,
                last_error_message TEXT,
                updated_at         TEXT    NOT NULL,
                PRIMARY KEY (dataset, trade_date)
            );
            CREATE INDEX ix_processing_log_status ON processing_log (dataset, status, trade_date);
            CREATE INDEX ix_processing_log_owner ON processing_log (owner) WHERE owner IS NOT NULL;

            CREATE TABLE attempt_log (
                id           INTEGER PRIMARY KEY AUTOINCREMENT,
                dataset      TEXT    NOT NULL,
                trade_date   TEXT    NOT NULL,
                attempt      INTEGER NOT NULL,
                owner        TEXT    NOT NULL,
                started_at   TEXT    NOT NULL,
                ended_at     TEXT,
                outcome      TEXT,
                message      TEXT
            );
            CREATE INDEX ix_attempt_log_unit ON attempt_log (dataset, trade_date, attempt);

            CREATE TABLE subunit_progress (
                dataset      TEXT    NOT NULL,
                trade_date   TEXT    NOT NULL,
                subunit      TEXT    NOT NULL,
                rows         INTEGER NOT NULL,
                completed_at TEXT    NOT NULL,
                PRIMARY KEY (dataset, trade_date, subunit)
            );

            CREATE TABLE error_log (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                dataset     TEXT    NOT NULL,
                trade_date  TEXT,
                subunit     TEXT,
                error_type  TEXT    NOT NULL,
                message     TEXT    NOT NULL,
                attempt     INTEGER NOT NULL DEFAULT 0,
                status_code INTEGER,
                will_retry  INTEGER NOT NULL DEFAULT 0,
                occurred_at TEXT    NOT NULL
            );
            CREATE INDEX ix_error_log_unit ON error_log (dataset, trade_date, occurred_at);
            CREATE INDEX ix_error_log_time ON error_log (dataset, occurred_at);

            CREATE TABLE performance_metrics (
                id          INTEGER PRIMARY KEY AUTOINCREMENT,
                dataset     TEXT    NOT NULL,
                trade_date  TEXT,
                metric      TEXT    NOT NULL,
                value       REAL    NOT NULL,
                unit        TEXT    NOT NULL,
                recorded_at TEXT    NOT NULL
            );
            CREATE INDEX ix_performance_metrics_unit ON performance_metrics (dataset, trade_date, metric);

            CREATE TABLE configuration (
                dataset    TEXT    NOT NULL,
                key        TEXT    NOT NULL,
                value      TEXT    NOT NULL,
                version    INTEGER NOT NULL,
                updated_at TEXT    NOT NULL,
                updated_by TEXT    NOT NULL,
                PRIMARY KEY (dataset, key)
            );

            CREATE TABLE configuration_history (
                id         INTEGER PRIMARY KEY AUTOINCREMENT,
                dataset    TEXT    NOT NULL,
                key        TEXT    NOT NULL,
                old_value  TEXT,
                new_value  TEXT,
                version    INTEGER NOT NULL,
                changed_at TEXT    NOT NULL,
                changed_by TEXT    NOT NULL
            );
            CREATE INDEX ix_configuration_history_key ON configuration_history (dataset, key, version);
            """),
        new(2, "request budget", """
            CREATE TABLE request_budget (
                source     TEXT    NOT NULL,
                budget_day TEXT    NOT NULL,
                requests   INTEGER NOT NULL,
                updated_at TEXT    NOT NULL,
                PRIMARY KEY (source, budget_day)
            );
            """),
        new(3, "alert state", """
            CREATE TABLE alert_state (
                alert_key       TEXT    NOT NULL PRIMARY KEY,
                state           TEXT    NOT NULL CHECK (state IN ('inactive','pending','firing')),
                active_since    TEXT,
                last_sent_at    TEXT,
                last_sent_state TEXT    CHECK (last_sent_state IN ('firing','resolved')),
                summary         TEXT    NOT NULL,
                updated_at      TEXT    NOT NULL
            );
            CREATE INDEX ix_attempt_log_ended ON attempt_log (dataset, ended_at);
            CREATE INDEX ix_processing_log_updated ON processing_log (dataset, updated_at);
            """),
    ];

    /// <summary>Applies <see cref="All"/>. No lock of its own: the write transaction it runs in (BEGIN IMMEDIATE) already keeps a second process out.</summary>
    public static MigrationRunner Runner { get; } = new("""
        CREATE TABLE IF NOT EXISTS schema_migrations (
            version    INTEGER PRIMARY KEY,
            name       TEXT NOT NULL,
            applied_at TEXT NOT NULL
        );
        """, All);
}
