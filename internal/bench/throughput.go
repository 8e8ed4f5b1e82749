package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
)

// Issue 8: ingestion at the hardware's pace. For three file sizes, the
// end-to-end audit (Rego and SQLite included) beside what reading the file
// costs at all (wc -l, cat | wc -c), what a data engineer would run
// instead (DuckDB's read_json on 2 threads, the same per-flow-per-day
// aggregation) and, on the smallest file, jq doing the per-flow-day count.

// duckModules is where the Makefile installs @duckdb/node-api.
const duckModules = ".bench/node_modules"

// throughputSizes are the file sizes measured: 1 M, 5 M and 20 M records
// for the default 2 M main file (a tenth of that with -quick).
func throughputSizes(records int) []int {
	return []int{records / 2, records * 5 / 2, records * 10}
}

// sideBySide runs the audit and DuckDB alternately, runs times each, and
// returns the runs with the median wall time of each: on a shared machine
// both then see the same load.
func sideBySide(ctx context.Context, runs int, audit, duck func() (measurement, error)) (measurement, measurement, error) {
	var as, ds []measurement
	for range runs {
		a, err := audit()
		if err != nil {
			return a, a, err
		}
		d, err := duck()
		if err != nil {
			return d, d, err
		}
		as, ds = append(as, a), append(ds, d)
	}
	return medianRun(as), medianRun(ds), nil
}

func medianRun(ms []measurement) measurement {
	s := slices.Clone(ms)
	slices.SortFunc(s, func(a, b measurement) int { return int(a.wall - b.wall) })
	return s[len(s)/2]
}

// duckRun runs the DuckDB baseline over file.
func duckRun(ctx context.Context, file string) (measurement, error) {
	m, err := measure(ctx, "", "node", "internal/bench/duckdb.mjs", duckModules, file)
	if err != nil {
		return m, fmt.Errorf("duckdb (run make bench to install @duckdb/node-api into %s): %w\n%s", duckModules, err, m.out)
	}
	var res struct{ Groups, Records int }
	if err := json.Unmarshal(m.out, &res); err != nil || res.Groups == 0 {
		return m, fmt.Errorf("duckdb: unexpected output: %s", m.out)
	}
	return m, nil
}

// jqRun counts records per flow and day with jq, skipping lines that are
// not JSON objects as the audit does.
func jqRun(ctx context.Context, file string) (measurement, error) {
	const prog = `reduce (inputs | fromjson? | objects | "\(.integration // .host)|\(.ts[0:10]?)") as $k ({}; .[$k] += 1) | length`
	m, err := measure(ctx, file, "jq", "-nR", prog)
	if err != nil {
		return m, fmt.Errorf("jq: %w\n%s", err, m.out)
	}
	return m, nil
}

// throughputRows measures the three sizes; the middle one (5 M records by
// default) carries the targets.
func throughputRows(ctx context.Context, dir, bin string, records int) ([]row, error) {
	var rows []row
	sizes := throughputSizes(records)
	for i, n := range sizes {
		file, manifests, err := generate(ctx, dir, n)
		if err != nil {
			return nil, err
		}
		st, err := os.Stat(file)
		if err != nil {
			return nil, err
		}
		wc, err := measure(ctx, "", "wc", "-l", file)
		if err != nil {
			return nil, err
		}
		cat, err := measure(ctx, "", "bash", "-c", `cat "$1" | wc -c`, "bash", file)
		if err != nil {
			return nil, err
		}
		runs := 1
		if i == 1 {
			runs = 3
		}
		audit, duck, err := sideBySide(ctx, runs,
			func() (measurement, error) { return auditRun(ctx, bin, manifests, file, dir) },
			func() (measurement, error) { return duckRun(ctx, file) })
		if err != nil {
			return nil, err
		}
		rps := float64(n) / audit.wall.Seconds()
		vsDuck := audit.wall.Seconds() / duck.wall.Seconds()
		r := row{
			name:   fmt.Sprintf("audit end to end, %s records (JSONL, %.2f GB)", human(n), float64(st.Size())/1e9),
			figure: fmt.Sprintf("%s rec/s, %.2fs (CPU %.2fs), RSS %s", human(int(rps)), audit.wall.Seconds(), audit.cpu.Seconds(), mib(audit.maxRSS)),
			baseline: fmt.Sprintf("DuckDB %.2fs (CPU %.2fs), RSS %s; wc -l %.2fs; cat|wc -c %.2fs",
				duck.wall.Seconds(), duck.cpu.Seconds(), mib(duck.maxRSS), wc.wall.Seconds(), cat.wall.Seconds()),
			ratio:   fmt.Sprintf("%.2f× DuckDB, %.1f× cat|wc -c", vsDuck, audit.wall.Seconds()/cat.wall.Seconds()),
			target:  "≤ 1.5× DuckDB, RSS < 256 MiB",
			verdict: verdict(vsDuck <= 1.5 && audit.maxRSS < 256<<20),
		}
		if runs > 1 {
			r.name += fmt.Sprintf(", median of %d", runs)
		}
		if i == 1 {
			r.target = "≥ 2,500,000 rec/s, RSS < 256 MiB, ≤ 1.5× DuckDB"
			r.verdict = verdict(rps >= 2_500_000 && audit.maxRSS < 256<<20 && vsDuck <= 1.5)
		}
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "    beside: %s\n", r.baseline)
		if i == 0 {
			jq, err := jqRun(ctx, file)
			if err != nil {
				return nil, err
			}
			rows = append(rows, row{
				name:     fmt.Sprintf("jq per-flow-day count, %s records", human(n)),
				figure:   fmt.Sprintf("%s rec/s, %.2fs, RSS %s", human(int(float64(n)/jq.wall.Seconds())), jq.wall.Seconds(), mib(jq.maxRSS)),
				baseline: fmt.Sprintf("audit %.2fs", audit.wall.Seconds()),
				ratio:    fmt.Sprintf("audit is %.0f× faster", jq.wall.Seconds()/audit.wall.Seconds()),
				target:   "audit faster",
				verdict:  verdict(audit.wall < jq.wall),
			})
		}
	}
	return rows, nil
}
