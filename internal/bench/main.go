// Command bench prints xborder's benchmark table (`make bench`): each figure
// an issue asks for, measured in one run beside its baseline, as ratios,
// because absolute numbers on a shared 2-core machine are noisy.
//
// It generates its inputs with fixtures/gen into .bench/ (kept between runs),
// runs the built binary (bin/xborder) and the baselines as child processes,
// and reads wall time and peak RSS from the kernel's rusage of each child.
package main

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

// measurement is one child process's cost.
type measurement struct {
	wall   time.Duration
	cpu    time.Duration // user + system time of the child
	maxRSS int64         // bytes
	out    []byte
}

func main() {
	var (
		dir     = flag.String("dir", ".bench", "where generated inputs are kept")
		bin     = flag.String("bin", "bin/xborder", "the xborder binary to measure")
		records = flag.Int("records", 2_000_000, "records of the main end-to-end file")
		quick   = flag.Bool("quick", false, "smaller inputs, for a smoke run")
		only    = flag.String("only", "", "comma-separated sections to run: audit, throughput, consents, reports, check (default all)")
	)
	flag.IntVar(&consents, "consents", consents, "ledger entries and transfer records of the consent join")
	flag.Parse()
	if *quick {
		*records = 200_000
		consents = 1_000_000
	}
	sections = map[string]bool{}
	for _, name := range strings.Split(*only, ",") {
		if name = strings.TrimSpace(name); name != "" {
			if !slices.Contains(allSections, name) {
				fmt.Fprintf(os.Stderr, "bench: -only: unknown section %q (want %s)\n", name, strings.Join(allSections, ", "))
				os.Exit(2)
			}
			sections[name] = true
		}
	}
	if err := run(context.Background(), *dir, *bin, *records); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// allSections are the parts of the table, and sections those -only keeps
// (empty: every one).
var (
	allSections = []string{"audit", "throughput", "consents", "reports", "check"}
	sections    map[string]bool
)

func want(section string) bool { return len(sections) == 0 || sections[section] }

type row struct {
	name, figure, baseline, ratio, target, verdict string
}

func run(ctx context.Context, dir, bin string, records int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var rows []row
	add := func(r row) {
		rows = append(rows, r)
		fmt.Fprintf(os.Stderr, "  %s: %s\n", r.name, r.figure)
	}

	if err := auditRows(ctx, dir, bin, records, add); err != nil {
		return err
	}

	// --- Issue 8: throughput at three sizes beside wc, cat, jq and DuckDB.
	if want("throughput") {
		tput, err := throughputRows(ctx, dir, bin, records)
		if err != nil {
			return err
		}
		for _, r := range tput {
			add(r)
		}
	}

	// --- Issue 7: the consent ledger join, 10 M × 10 M (1 M × 1 M with -quick).
	if want("consents") {
		joinRow, err := consentJoinRow(ctx, dir, bin, consents)
		if err != nil {
			return err
		}
		add(joinRow)
	}

	// --- Issue 5: the regulator's HTML + PDF reports of a large run.
	if want("reports") {
		reportRow, err := regulatorReports(ctx)
		if err != nil {
			return err
		}
		add(reportRow)
	}

	// --- Issue 4: the pre-merge gate, beside the process start floor.
	if want("check") {
		gateRows, err := checkGate(ctx, bin, dir)
		if err != nil {
			return err
		}
		for _, r := range gateRows {
			add(r)
		}
	}

	fmt.Println()
	tw := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "MEASURE\tFIGURE\tBASELINE\tRATIO\tTARGET\tOK")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.name, r.figure, r.baseline, r.ratio, r.target, r.verdict)
	}
	return tw.Flush()
}

// auditRows are issue 2's rows: end-to-end audit throughput, RSS growth,
// wc -l, per-record Rego.
func auditRows(ctx context.Context, dir, bin string, records int, add func(row)) error {
	if !want("audit") {
		return nil
	}
	main, mdir, err := generate(ctx, dir, records)
	if err != nil {
		return err
	}
	wc, err := measure(ctx, "", "wc", "-l", main)
	if err != nil {
		return err
	}
	e2e, err := auditRun(ctx, bin, mdir, main, dir)
	if err != nil {
		return err
	}
	rps := float64(records) / e2e.wall.Seconds()
	add(row{
		name:     fmt.Sprintf("audit end to end, %s records (JSONL)", human(records)),
		figure:   fmt.Sprintf("%s rec/s, %.2fs, RSS %s", human(int(rps)), e2e.wall.Seconds(), mib(e2e.maxRSS)),
		baseline: fmt.Sprintf("wc -l %.2fs", wc.wall.Seconds()),
		ratio:    fmt.Sprintf("%.1f× wc -l", e2e.wall.Seconds()/wc.wall.Seconds()),
		target:   "≥ 1,000,000 rec/s",
		verdict:  verdict(rps >= 1_000_000),
	})
	perRecord, err := perRecordRego(ctx)
	if err != nil {
		return err
	}
	naive := 1e9 / perRecord // records/s of the per-record design
	add(row{
		name:     "per-record Rego design (same engine, sampled)",
		figure:   fmt.Sprintf("%s rec/s (%.1f µs/record → %.0fs for %s)", human(int(naive)), perRecord/1e3, float64(records)*perRecord/1e9, human(records)),
		baseline: fmt.Sprintf("audit %s rec/s", human(int(rps))),
		ratio:    fmt.Sprintf("audit is %.0f× faster", rps/naive),
		target:   "≥ 20×",
		verdict:  verdict(rps/naive >= 20),
	})
	var rss []int64
	for _, n := range []int{records / 2, records * 2} {
		f, md, err := generate(ctx, dir, n)
		if err != nil {
			return err
		}
		m, err := auditRun(ctx, bin, md, f, dir)
		if err != nil {
			return err
		}
		rss = append(rss, m.maxRSS)
	}
	growth := float64(rss[1]) / float64(rss[0])
	add(row{
		name:     fmt.Sprintf("peak RSS at %s vs %s records", human(records/2), human(records*2)),
		figure:   fmt.Sprintf("%s vs %s", mib(rss[0]), mib(rss[1])),
		baseline: "4× the records",
		ratio:    fmt.Sprintf("%.2f× the memory", growth),
		target:   "does not grow with the file (< 1.25×)",
		verdict:  verdict(growth < 1.25),
	})

	return nil
}

func verdict(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

// generate writes (once) a JSONL file of n records and its manifests.
func generate(ctx context.Context, dir string, n int) (file, manifests string, err error) {
	file = filepath.Join(dir, fmt.Sprintf("logs-%d.jsonl", n))
	manifests = filepath.Join(dir, "manifests")
	if _, err := os.Stat(file); err == nil {
		if _, err := os.Stat(manifests); err == nil {
			return file, manifests, nil
		}
	}
	fmt.Fprintf(os.Stderr, "generating %s records into %s\n", human(n), file)
	cmd := exec.CommandContext(ctx, "go", "run", "./fixtures/gen", "-records", strconv.Itoa(n), "-days", "1", "-seed", "1",
		"-format", "jsonl", "-o", file+".tmp", "-manifests", manifests)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", "", fmt.Errorf("generate: %w", err)
	}
	return file, manifests, os.Rename(file+".tmp", file)
}

func auditRun(ctx context.Context, bin, manifests, logs, dir string) (measurement, error) {
	db := filepath.Join(dir, "bench.db")
	for _, f := range []string{db, db + "-wal", db + "-shm"} {
		os.Remove(f)
	}
	m, err := measure(ctx, "", bin, "audit", "--manifests", manifests, "--logs", logs, "--db", db,
		"--as-of", "2024-03-08", "-f", "json", "-o", filepath.Join(dir, "bench-report.json"), "--fail-on", "none")
	if err != nil {
		return m, fmt.Errorf("audit: %w\n%s", err, m.out)
	}
	return m, nil
}

// perRecordRego runs the policies package's per-record benchmark and
// returns its ns/op: the cost of evaluating the rule set once per record.
func perRecordRego(ctx context.Context) (float64, error) {
	m, err := measure(ctx, "", "go", "test", "-run", "^$", "-bench", "^BenchmarkEvaluatePerRecord$", "-benchtime", "200x", "./policies")
	if err != nil {
		return 0, fmt.Errorf("per-record benchmark: %w\n%s", err, m.out)
	}
	re := regexp.MustCompile(`BenchmarkEvaluatePerRecord\S*\s+\d+\s+([\d.]+) ns/op`)
	sc := bufio.NewScanner(bytes.NewReader(m.out))
	for sc.Scan() {
		if g := re.FindStringSubmatch(sc.Text()); g != nil {
			return strconv.ParseFloat(g[1], 64)
		}
	}
	return 0, fmt.Errorf("per-record benchmark: no ns/op in output:\n%s", m.out)
}

// regulatorReports runs the reports package's benchmark of the html and
// pdf reports of a run with 1,000 findings and 50 flows × 366 days of
// observations, and compares it with the JSON envelope of the same run.
func regulatorReports(ctx context.Context) (row, error) {
	m, err := measure(ctx, "", "go", "test", "-run", "^$", "-bench", "^Benchmark(RegulatorReport|Formats)$", "-benchtime", "3x", "./reports")
	if err != nil {
		return row{}, fmt.Errorf("report benchmark: %w\n%s", err, m.out)
	}
	nsop := func(name string) (float64, error) {
		re := regexp.MustCompile(`Benchmark` + name + `\S*\s+\d+\s+([\d.]+) ns/op`)
		if g := re.FindSubmatch(m.out); g != nil {
			return strconv.ParseFloat(string(g[1]), 64)
		}
		return 0, fmt.Errorf("report benchmark: no ns/op for %s in output:\n%s", name, m.out)
	}
	docs, err := nsop("RegulatorReport")
	if err != nil {
		return row{}, err
	}
	js, err := nsop("Formats/json")
	if err != nil {
		return row{}, err
	}
	return row{
		name:     "html + pdf report, 1,000 findings, 50 flows × 366 days",
		figure:   fmt.Sprintf("%.2fs", docs/1e9),
		baseline: fmt.Sprintf("json of 1,000 findings %.3fs", js/1e9),
		ratio:    fmt.Sprintf("%.0f× json", docs/js),
		target:   "< 2 s",
		verdict:  verdict(docs < 2e9),
	}, nil
}

// checkManifests is the size of the manifest set the pre-merge gate is
// measured on, and checkRuns how many times each side is run.
const (
	checkManifests = 500
	checkRuns      = 9
)

// checkGate times `xborder check` over 500 generated DataFlows against
// `xborder version`, the cost of starting the process (the OPA packages'
// initialisation included), alternating the runs so that all see the same
// machine load, and compares the medians. Every run is a new process; three
// kinds of check are timed:
//   - cold: --no-cache, so every run decodes the YAML, compiles the Rego
//     pack and evaluates it (a CI runner's first check);
//   - unchanged: the same manifests again with the check cache (a second
//     format in the same job, a re-run, a commit that touched no manifest);
//   - edited: one manifest changed before every run, with the cache (an
//     engineer's edit-and-check loop: a miss, then the result is filed).
//
// The check's CPU time (user + system, every core) is shown too: on a busy
// machine it moves less than the wall time.
func checkGate(ctx context.Context, bin, dir string) ([]row, error) {
	manifests := filepath.Join(dir, fmt.Sprintf("manifests-%d", checkManifests))
	if _, err := os.Stat(manifests); err != nil {
		fmt.Fprintf(os.Stderr, "generating %d manifests into %s\n", checkManifests, manifests)
		cmd := exec.CommandContext(ctx, "go", "run", "./fixtures/gen", "-q", "-manifests", manifests+".tmp",
			"-manifest-count", strconv.Itoa(checkManifests))
		cmd.Stderr = os.Stderr
		if err := cmd.Run(); err != nil {
			return nil, fmt.Errorf("generate manifests: %w", err)
		}
		if err := os.Rename(manifests+".tmp", manifests); err != nil {
			return nil, err
		}
	}
	// A private cache, empty at the start, and a copy of the manifests the
	// edited runs may change.
	cacheDir := filepath.Join(dir, "check-cache")
	edited := filepath.Join(dir, "manifests-edited")
	for _, d := range []string{cacheDir, edited} {
		if err := os.RemoveAll(d); err != nil {
			return nil, err
		}
	}
	if err := os.CopyFS(edited, os.DirFS(manifests)); err != nil {
		return nil, err
	}
	editFile := filepath.Join(edited, "generated-000.yaml")

	args := func(paths string, extra ...string) []string {
		return append([]string{"check", paths, "--as-of", "2024-03-08", "--fail-on", "none", "--cache-dir", cacheDir}, extra...)
	}
	type series struct{ wall, cpu []time.Duration }
	var cold, warm, edit, version series
	timed := func(s *series, args ...string) error {
		m, err := measure(ctx, "", bin, args...)
		if err != nil {
			return fmt.Errorf("%s: %w\n%s", strings.Join(args, " "), err, m.out)
		}
		s.wall = append(s.wall, m.wall)
		s.cpu = append(s.cpu, m.cpu)
		return nil
	}
	if _, err := measure(ctx, "", bin, args(manifests)...); err != nil { // files the unchanged result
		return nil, err
	}
	for i := range checkRuns {
		f, err := os.OpenFile(editFile, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(f, "# edit %d\n", i)
		if err := f.Close(); err != nil {
			return nil, err
		}
		for _, run := range []struct {
			s    *series
			args []string
		}{
			{&version, []string{"version"}},
			{&cold, args(manifests, "--no-cache")},
			{&warm, args(manifests)},
			{&edit, args(edited)},
		} {
			if err := timed(run.s, run.args...); err != nil {
				return nil, err
			}
		}
	}
	v := median(version.wall)
	mk := func(name string, s series, target string, ok func(time.Duration, float64) bool) row {
		c := median(s.wall)
		ratio := c.Seconds() / v.Seconds()
		return row{
			name:     fmt.Sprintf("check, %d generated manifests, %s (median of %d)", checkManifests, name, checkRuns),
			figure:   fmt.Sprintf("%d ms (CPU %d ms)", c.Milliseconds(), median(s.cpu).Milliseconds()),
			baseline: fmt.Sprintf("version %d ms", v.Milliseconds()),
			ratio:    fmt.Sprintf("%.1f× version", ratio),
			target:   target,
			verdict:  verdict(ok(c, ratio)),
		}
	}
	under300 := func(c time.Duration, _ float64) bool { return c < 300*time.Millisecond }
	return []row{
		mk("cold (--no-cache)", cold, "< 300 ms", under300),
		mk("one manifest edited before each run", edit, "< 300 ms", under300),
		mk("unchanged (from the check cache)", warm, "< 300 ms and ≤ 3× version", func(c time.Duration, r float64) bool {
			return c < 300*time.Millisecond && r <= 3
		}),
	}, nil
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}

// measure runs a command and reads its wall time and peak RSS.
func measure(ctx context.Context, stdin string, name string, args ...string) (measurement, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	if stdin != "" {
		f, err := os.Open(stdin)
		if err != nil {
			return measurement{}, err
		}
		defer f.Close()
		cmd.Stdin = f
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	m := measurement{wall: time.Since(start), out: out.Bytes()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.maxRSS = ru.Maxrss * 1024 // Linux reports KiB
		m.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	return m, err
}

func human(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
