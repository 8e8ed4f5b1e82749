// The DuckDB baseline of `make bench`: the per-flow-per-day aggregation a
// data engineer would write instead of xborder (records and approximate
// distinct subjects per integration-or-host and Korean calendar day), over
// the same JSON Lines file, with read_json on 2 threads.
//
//	node internal/bench/duckdb.mjs MODULES_DIR FILE
//
// MODULES_DIR is where the Makefile installed @duckdb/node-api (.bench/
// node_modules): a benchmark tool, never a dependency of xborder. It prints
// the number of groups and records it found, as JSON.
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const [modules, file] = process.argv.slice(2);
if (!modules || !file) {
  console.error('usage: node duckdb.mjs MODULES_DIR FILE');
  process.exit(2);
}
const require = createRequire(join(resolve(modules), 'noop.js'));
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);

const db = await DuckDBInstance.create(':memory:', { threads: '2' });
const con = await db.connect();
const quoted = "'" + file.replaceAll("'", "''") + "'";
const reader = await con.runAndReadAll(`
  SELECT coalesce(integration, host) AS flow,
         CAST(timezone('Asia/Seoul', ts) AS DATE) AS day,
         count(*) AS records,
         approx_count_distinct(subject) AS subjects
  FROM read_json(${quoted}, format = 'newline_delimited', ignore_errors = true,
       columns = {ts: 'TIMESTAMPTZ', integration: 'VARCHAR', host: 'VARCHAR', subject: 'VARCHAR'})
  WHERE ts IS NOT NULL
  GROUP BY ALL`);
const rows = reader.getRowObjectsJson();
const records = rows.reduce((n, r) => n + Number(r.records), 0);
console.log(JSON.stringify({ groups: rows.length, records }));
