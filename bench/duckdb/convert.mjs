// DuckDB converting the staged NDJSON files of one day to one zstd Parquet file: the reference figure for the
// ndjson-parquet benchmark. Columns are given (no type sniffing) and written as read (no sort, no date or decimal
// conversion), which is the least work DuckDB can do for this conversion.
// usage: node convert.mjs STAGING_DIR OUT.parquet [threads=2]
import { DuckDBInstance } from '@duckdb/node-api';

const [dir, out, threads = '2'] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:', { threads });
const c = await db.connect();
const columns = "{d:'INTEGER',r:'VARCHAR',e:'INTEGER',k:'INTEGER',c:'VARCHAR',m:'INTEGER',b:'DOUBLE',a:'DOUBLE',dl:'DOUBLE',th:'DOUBLE',"
  + "vg:'DOUBLE',rh:'DOUBLE',ep:'DOUBLE',lm:'DOUBLE',iv:'DOUBLE',ie:'DOUBLE',m2:'INTEGER',u:'DOUBLE'}";
const t0 = performance.now();
await c.run(`COPY (SELECT * FROM read_json('${dir}/*.ndjson', format='newline_delimited', columns=${columns})) TO '${out}' (FORMAT parquet, COMPRESSION zstd)`);
const seconds = (performance.now() - t0) / 1000;
const n = Number((await c.runAndReadAll(`SELECT count(*) FROM '${out}'`)).getRows()[0][0]);
console.log(`duckdb ${n} rows in ${seconds.toFixed(2)} s = ${Math.round(n / seconds)} rows/s (threads ${threads})`);
