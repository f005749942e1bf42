// Independent read-back of a Backfill spx Parquet file with DuckDB: row count, column types (decimal strike),
// sort order (window over file order), key-value metadata, encodings and row groups.
// usage: node check.mjs FILE.parquet
import { DuckDBInstance } from '@duckdb/node-api';
const f = process.argv[2];
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const q = async (s) => (await c.runAndReadAll(s)).getRowObjectsJson();
console.log('count', JSON.stringify(await q(`SELECT count(*) n FROM '${f}'`)));
console.log('types', JSON.stringify(await q(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM '${f}') WHERE column_name IN ('trade_date','root','expiration','strike','right','ms_of_day')`)));
console.log('order violations', JSON.stringify(await q(`SELECT count(*) bad FROM (SELECT root, expiration, strike, "right", ms_of_day, lag(root) OVER w pr, lag(expiration) OVER w pe, lag(strike) OVER w ps, lag("right") OVER w prt, lag(ms_of_day) OVER w pm FROM (SELECT *, row_number() OVER () rn FROM '${f}') WINDOW w AS (ORDER BY rn)) WHERE pr IS NOT NULL AND NOT ((pr, pe, ps, prt, pm) < (root, expiration, strike, "right", ms_of_day))`)));
console.log('sample', JSON.stringify(await q(`SELECT trade_date::VARCHAR d, root, expiration::VARCHAR e, strike::VARCHAR k, "right", ms_of_day, bid, delta FROM '${f}' LIMIT 2`)));
console.log('metadata', JSON.stringify(await q(`SELECT decode(key) k, decode(value) v FROM parquet_kv_metadata('${f}')`)));
console.log('encodings', JSON.stringify(await q(`SELECT path_in_schema p, any_value(encodings) enc, any_value(compression) comp, count(*) chunks FROM parquet_metadata('${f}') GROUP BY ALL ORDER BY min(column_id)`)));
console.log('row groups', JSON.stringify(await q(`SELECT count(DISTINCT row_group_id) n_groups, max(row_group_num_rows) max_rows FROM parquet_metadata('${f}')`)));
