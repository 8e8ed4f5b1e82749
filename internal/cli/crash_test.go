package cli

// Crash safety: the real binary is killed (SIGKILL) at points found from
// the outside -- while it reads a large log, while it evaluates a slow
// policy, inside the SQLite write transaction (after the run row, then
// among the observation rows), while it writes the reports -- and stopped
// by SIGINT and SIGTERM; after each, the database must pass
// PRAGMA integrity_check and foreign_key_check, earlier runs must be
// byte-for-byte what they were, no row of the interrupted run may be
// visible, no report may be half written, and the next run must succeed.
// Eight audits started at once on one database must all finish.
//
// No test hook is compiled into xborder for this: the points are found by
// watching the process (/proc/PID/io, the database's write lock, the report
// directory), and the write transaction is held open long enough to be hit
// by a trigger the test adds to the database (a slow SELECT on insert into
// runs or observations), which the next open of the database does not
// need and the test drops afterwards.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	sqlite "github.com/mattn/go-sqlite3"

	"github.com/xborder/xborder/internal/store"
)

// xborderBinary builds cmd/xborder once per test process, into a directory
// of the system's temporary directory named after this checkout, so that
// runs share it (the cgo and OPA link takes a minute when cold) and no run
// leaves a copy behind. The build goes through a temporary name and a
// rename, so that concurrent test processes never run half a binary.
var xborderBinary = sync.OnceValues(func() (string, error) {
	sum := sha256.Sum256([]byte(repoRoot))
	dir := filepath.Join(os.TempDir(), "xborder-cli-test-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := os.Chmod(dir, 0o755); err != nil { // readable by the unprivileged user of TestHostileManifestTreeAsNobody
		return "", err
	}
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	tmp := filepath.Join(dir, fmt.Sprintf("xborder.%d.tmp", os.Getpid()))
	cmd := exec.Command(goBin, "build", "-o", tmp, "./cmd/xborder")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	bin := filepath.Join(dir, "xborder")
	return bin, os.Rename(tmp, bin)
})

// binary returns the built xborder, skipping the test in -short mode.
func binary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the xborder binary")
	}
	bin, err := xborderBinary()
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// syncBuffer is a bytes.Buffer safe for the exec goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is one running xborder process.
type proc struct {
	cmd    *exec.Cmd
	stdout syncBuffer
	stderr syncBuffer
	done   chan struct{}
	err    error
}

// start runs the binary in dir with args.
func start(t *testing.T, dir string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(binary(t), args...), done: make(chan struct{})}
	p.cmd.Dir = dir
	p.cmd.Env = append(os.Environ(), "NO_COLOR=1")
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		if !p.exited() {
			p.cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// wait waits for the process and returns its exit code (-1 when a signal
// killed it).
func (p *proc) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(timeout):
		p.cmd.Process.Kill()
		<-p.done
		t.Fatalf("xborder did not finish within %s\nstderr:\n%s", timeout, p.stderr.String())
	}
	return p.cmd.ProcessState.ExitCode()
}

// readBytes is what the process has read so far (rchar of /proc/PID/io:
// every read and pread, the log files, manifests and database included).
func (p *proc) readBytes() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", p.cmd.Process.Pid))
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "rchar: "); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	return -1
}

// until polls cond every millisecond until it holds, failing the test when
// the process ends first or the timeout passes.
func (p *proc) until(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if p.exited() {
			t.Fatalf("xborder ended (%v) before %s\nstderr:\n%s", p.err, what, p.stderr.String())
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, timeout)
		}
		time.Sleep(time.Millisecond)
	}
}

// writeLocked reports whether another connection holds the database's
// write lock, i.e. a write transaction is open: BEGIN IMMEDIATE fails at
// once with SQLITE_BUSY.
func writeLocked(t *testing.T, db string) bool {
	t.Helper()
	c, err := sql.Open("sqlite3", "file:"+db+"?_busy_timeout=0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conn, err := c.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = conn.ExecContext(context.Background(), "BEGIN IMMEDIATE")
	if err == nil {
		conn.ExecContext(context.Background(), "ROLLBACK")
		return false
	}
	var se sqlite.Error
	if errors.As(err, &se) && se.Code == sqlite.ErrBusy {
		return true
	}
	t.Fatalf("probe the write lock: %v", err)
	return false
}

// exec runs SQL statements on the database from the test.
func execSQL(t *testing.T, db string, stmts ...string) {
	t.Helper()
	c, err := sql.Open("sqlite3", "file:"+db+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, s := range stmts {
		if _, err := c.Exec(s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

// dbState is what a crash must not change: the result of SQLite's checks,
// the runs in order and a digest of every row each run owns.
type dbState struct {
	integrity string
	fkProblem int
	orphans   map[string]int    // table → rows whose run is not in runs
	runs      []string          // run IDs, oldest first
	digests   map[string]string // run ID → digest of its rows in every table
}

// runTables are the tables whose rows belong to a run (column run_id).
var runTables = []string{"findings", "resolved", "observations", "unmatched", "data_quality", "inputs", "ingested_files"}

func inspect(t *testing.T, db string) dbState {
	t.Helper()
	c, err := sql.Open("sqlite3", "file:"+db+"?_busy_timeout=10000")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	st := dbState{orphans: map[string]int{}, digests: map[string]string{}}
	if err := c.QueryRow("PRAGMA integrity_check").Scan(&st.integrity); err != nil {
		t.Fatal(err)
	}
	rows, err := c.Query("PRAGMA foreign_key_check")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		st.fkProblem++
	}
	rows.Close()
	for _, table := range runTables {
		var n int
		if err := c.QueryRow("SELECT count(*) FROM " + table + " WHERE run_id NOT IN (SELECT id FROM runs)").Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			st.orphans[table] = n
		}
	}
	ids, err := c.Query("SELECT id FROM runs ORDER BY seq")
	if err != nil {
		t.Fatal(err)
	}
	for ids.Next() {
		var id string
		ids.Scan(&id)
		st.runs = append(st.runs, id)
	}
	ids.Close()
	for _, id := range st.runs {
		h := sha256.New()
		for _, q := range append([]string{"SELECT * FROM runs WHERE id = ?"}, tableQueries()...) {
			digestRows(t, c, h, q, id)
		}
		st.digests[id] = hex.EncodeToString(h.Sum(nil))
	}
	return st
}

func tableQueries() []string {
	var qs []string
	for _, table := range runTables {
		qs = append(qs, "SELECT * FROM "+table+" WHERE run_id = ? ORDER BY rowid")
	}
	return qs
}

func digestRows(t *testing.T, c *sql.DB, h interface{ Write([]byte) (int, error) }, q string, id string) {
	t.Helper()
	rows, err := c.Query(q, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(h, "%s|%q\n", q, vals)
	}
}

// checkIntact asserts the database is healthy and holds exactly the runs of
// want, each unchanged, and that store.Verify finds nothing wrong.
func checkIntact(t *testing.T, db string, want dbState) dbState {
	t.Helper()
	got := inspect(t, db)
	if got.integrity != "ok" || got.fkProblem > 0 || len(got.orphans) > 0 {
		t.Errorf("integrity_check %q, %d foreign key problems, orphans %v", got.integrity, got.fkProblem, got.orphans)
	}
	if fmt.Sprint(got.runs) != fmt.Sprint(want.runs) {
		t.Errorf("runs %v, want %v: a run of the interrupted process is visible, or an earlier one is gone", got.runs, want.runs)
	}
	for id, d := range want.digests {
		if got.digests[id] != d {
			t.Errorf("run %s changed", id)
		}
	}
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	problems, err := st.Verify(context.Background())
	if err != nil || len(problems) > 0 {
		t.Errorf("verify: %v %v", problems, err)
	}
	return got
}

// crashInput writes a manifest set of n DataFlows (int-000 …) under
// dir/manifests and returns a function that writes a JSONL log of records
// spread over those flows and 30 days of March 2024, subjects numbered from
// first: the same seed always gives the same bytes.
func crashInput(t *testing.T, dir string, flows int) func(name string, records, first int) (string, int64) {
	t.Helper()
	var m strings.Builder
	m.WriteString("apiVersion: xborder/v1\nkind: Organization\nmetadata: {name: crashpay}\nspec:\n  legalName: CrashPay Corp.\n  country: KR\n  subjects: {total: 5000000, active: 3000000}\n")
	m.WriteString("---\napiVersion: xborder/v1\nkind: Recipient\nmetadata: {name: acme}\nspec:\n  legalName: Acme Pte. Ltd.\n  country: SG\n  contact: privacy@acme.example\n")
	for i := range flows {
		fmt.Fprintf(&m, "---\napiVersion: xborder/v1\nkind: DataFlow\nmetadata: {name: flow-%03d, owner: payments}\nspec:\n  recipient: acme\n  integration: int-%03d\n  countries: [SG]\n  type: entrustment\n  purposes: [settlement]\n  items: [order_id, amount]\n  legalBasis: {overseas: contract}\n", i, i)
	}
	if err := os.MkdirAll(filepath.Join(dir, "manifests"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "manifests", "set.yaml"), []byte(m.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return func(name string, records, first int) (string, int64) {
		path := filepath.Join(dir, "logs", name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		f, err := os.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		b := make([]byte, 0, 160)
		two := func(b []byte, n int) []byte { return append(b, byte('0'+n/10), byte('0'+n%10)) }
		for r := range records {
			b = append(b[:0], `{"ts":"2024-03-`...)
			b = two(b, 1+r%30)
			b = append(b, 'T')
			b = two(b, r/7%24)
			b = append(b, ':')
			b = two(b, r%60)
			b = append(b, `:00+09:00","integration":"int-`...)
			b = append(b, byte('0'+r/30%flows/100), byte('0'+r/30%flows/10%10), byte('0'+r/30%flows%10))
			b = append(b, `","subject":"u:`...)
			b = strconv.AppendInt(b, int64(first+r), 10)
			b = append(b, `","items":["order_id","amount"]}`+"\n"...)
			w.Write(b)
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		st, _ := f.Stat()
		f.Close()
		return path, st.Size()
	}
}

// slowPolicy is a user rule that iterates 10^10 times: an evaluation that
// lasts as long as the test needs.
const slowPolicy = `# METADATA
# title: Slow
# custom:
#   id: ACME-SLOW
#   severity: low
#   articles: ["ACME 1"]
#   title_ko: 느린 규칙
#   remediation: None.
#   remediation_ko: 없음.
package xborder.rules.acme_slow

deny contains f if {
	some i in numbers.range(1, 100000)
	some j in numbers.range(1, 100000)
	i * j == -1
	f := {"flow": "x", "message": "never"}
}
`

// TestCrashSafety kills and stops audits at every phase; see the top of
// the file. Kill points that survive are counted in the log.
func TestCrashSafety(t *testing.T) {
	binary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "history.db")
	writeLog := crashInput(t, dir, 50)
	if err := os.MkdirAll(filepath.Join(dir, "slow"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "slow", "slow.rego"), []byte(slowPolicy), 0o644); err != nil {
		t.Fatal(err)
	}
	audit := func(log string, extra ...string) []string {
		return append([]string{"audit", "--manifests", "manifests", "--logs", log, "--db", db, "--as-of", "2024-03-31", "-f", "json", "-o", "out.json"}, extra...)
	}
	nth := 0
	medium := func() (string, int64) { // a fresh log of 100,000 records, never ingested before
		nth++
		return writeLog(fmt.Sprintf("medium-%02d.jsonl", nth), 100_000, nth*1_000_000)
	}
	succeed := func(t *testing.T, args ...string) {
		t.Helper()
		p := start(t, dir, args...)
		if code := p.wait(t, 2*time.Minute); code != ExitOK && code != ExitFindings {
			t.Fatalf("audit exit %d\n%s", code, p.stderr.String())
		}
	}

	// Two earlier runs, whose rows must survive every crash unchanged.
	log, _ := medium()
	succeed(t, audit(log)...)
	log, _ = medium()
	succeed(t, audit(log)...)
	before := checkIntact(t, db, inspect(t, db))
	if len(before.runs) != 2 {
		t.Fatalf("%d runs before the crashes, want 2", len(before.runs))
	}
	big, bigSize := writeLog("big.jsonl", 3_000_000, 100_000_000)
	t.Logf("large input: 3,000,000 records, %d MB", bigSize>>20)

	survived := 0
	kill := func(t *testing.T, p *proc) {
		t.Helper()
		p.cmd.Process.Signal(syscall.SIGKILL)
		if code := p.wait(t, time.Minute); code != -1 {
			t.Fatalf("exit %d: the process ended before the kill\n%s", code, p.stderr.String())
		}
	}
	afterKill := func(t *testing.T) {
		t.Helper()
		checkIntact(t, db, before)
		if !t.Failed() {
			survived++
		}
	}
	trigger := func(t *testing.T, table string) {
		t.Helper()
		execSQL(t, db,
			"CREATE TABLE IF NOT EXISTS crash_pad (x INTEGER)",
			"DELETE FROM crash_pad",
			"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) INSERT INTO crash_pad SELECT x FROM c",
			"CREATE TRIGGER crash_slow AFTER INSERT ON "+table+" BEGIN SELECT count(*) FROM crash_pad a, crash_pad b WHERE a.x * b.x < 0; END")
		t.Cleanup(func() { execSQL(t, db, "DROP TRIGGER IF EXISTS crash_slow", "DROP TABLE IF EXISTS crash_pad") })
	}
	inWrite := func(t *testing.T, p *proc, logSize int64) {
		t.Helper()
		p.until(t, "end of reading", time.Minute, func() bool { return p.readBytes() >= logSize })
		p.until(t, "write transaction held for 50ms", time.Minute, func() bool {
			if !writeLocked(t, db) {
				return false
			}
			time.Sleep(50 * time.Millisecond)
			return writeLocked(t, db)
		})
	}

	t.Run("SIGKILL while reading the large log (30%)", func(t *testing.T) {
		p := start(t, dir, audit(big)...)
		p.until(t, "30% read", time.Minute, func() bool { return p.readBytes() > bigSize*3/10 })
		kill(t, p)
		afterKill(t)
	})
	t.Run("SIGKILL while reading the large log (90%)", func(t *testing.T) {
		p := start(t, dir, audit(big)...)
		p.until(t, "90% read", time.Minute, func() bool { return p.readBytes() > bigSize*9/10 })
		kill(t, p)
		afterKill(t)
	})
	t.Run("SIGKILL while evaluating a slow policy", func(t *testing.T) {
		log, size := medium()
		p := start(t, dir, audit(log, "--policy", "slow")...)
		p.until(t, "end of reading", time.Minute, func() bool { return p.readBytes() >= size })
		time.Sleep(1500 * time.Millisecond) // past the merge of the stored days, into the 10^10 steps
		kill(t, p)
		afterKill(t)
	})
	t.Run("SIGKILL in the write transaction after the run row", func(t *testing.T) {
		trigger(t, "runs")
		log, size := medium()
		p := start(t, dir, audit(log)...)
		inWrite(t, p, size)
		kill(t, p)
		afterKill(t)
	})
	t.Run("SIGKILL in the write transaction among the observations", func(t *testing.T) {
		trigger(t, "observations")
		log, size := medium()
		p := start(t, dir, audit(log)...)
		inWrite(t, p, size)
		kill(t, p)
		afterKill(t)
	})

	stop := func(t *testing.T, p *proc, sig syscall.Signal, code int, name string) {
		t.Helper()
		p.cmd.Process.Signal(sig)
		if got := p.wait(t, time.Minute); got != code {
			t.Fatalf("exit %d, want %d\n%s", got, code, p.stderr.String())
		}
		if want := "xborder: stopped by " + name + ": nothing was stored\n"; !strings.HasSuffix(p.stderr.String(), want) {
			t.Errorf("stderr ends %q, want %q", tail(p.stderr.String()), want)
		}
		afterKill(t)
	}
	t.Run("SIGINT while reading the large log", func(t *testing.T) {
		p := start(t, dir, audit(big)...)
		p.until(t, "half read", time.Minute, func() bool { return p.readBytes() > bigSize/2 })
		stop(t, p, syscall.SIGINT, ExitInterrupted, "SIGINT")
	})
	t.Run("SIGTERM while evaluating a slow policy", func(t *testing.T) {
		log, size := medium()
		p := start(t, dir, audit(log, "--policy", "slow")...)
		p.until(t, "end of reading", time.Minute, func() bool { return p.readBytes() >= size })
		time.Sleep(1500 * time.Millisecond) // past the merge of the stored days, into the 10^10 steps
		stop(t, p, syscall.SIGTERM, ExitTerminated, "SIGTERM")
	})
	t.Run("SIGTERM in the write transaction", func(t *testing.T) {
		trigger(t, "observations")
		log, size := medium()
		p := start(t, dir, audit(log)...)
		inWrite(t, p, size)
		stop(t, p, syscall.SIGTERM, ExitTerminated, "SIGTERM")
	})

	t.Run("SIGKILL while writing the reports", func(t *testing.T) {
		log, _ := medium()
		reports := filepath.Join(dir, "reports")
		p := start(t, dir, audit(log, "--report", reports)...)
		p.until(t, "a report being written", 2*time.Minute, func() bool {
			tmp, _ := filepath.Glob(filepath.Join(reports, ".report.*.tmp"))
			return len(tmp) > 0
		})
		kill(t, p)
		// The run was committed before the reports: it is complete.
		got := inspect(t, db)
		if len(got.runs) != len(before.runs)+1 {
			t.Fatalf("%d runs, want %d (the run is stored before its reports)", len(got.runs), len(before.runs)+1)
		}
		before = checkIntact(t, db, got)
		checkReportsWhole(t, reports)
		if !t.Failed() {
			survived++
		}
	})

	t.Run("the next run succeeds", func(t *testing.T) {
		log, _ := medium()
		succeed(t, audit(log)...)
		got := inspect(t, db)
		if len(got.runs) != len(before.runs)+1 {
			t.Fatalf("%d runs, want %d", len(got.runs), len(before.runs)+1)
		}
		checkIntact(t, db, got)
		var env envelope
		b, err := os.ReadFile(filepath.Join(dir, "out.json"))
		if err != nil || json.Unmarshal(b, &env) != nil || env.Run.ID != got.runs[len(got.runs)-1] {
			t.Errorf("the run's JSON report does not name the stored run: %v", err)
		}
	})
	t.Logf("%d kill and stop points survived", survived)
	if survived != 9 {
		t.Errorf("%d of 9 kill and stop points survived", survived)
	}
}

// checkReportsWhole asserts every report file under dir is complete (a
// reader never sees half a report): temporary files are hidden, and the
// real names hold whole documents.
func checkReportsWhole(t *testing.T, dir string) {
	t.Helper()
	ends := map[string][]byte{"report.html": []byte("</html>\n"), "report.pdf": []byte("%%EOF\n")}
	for name, end := range ends {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil || !bytes.HasSuffix(b, end) {
			t.Errorf("%s is not whole (%d bytes, ends %q)", name, len(b), tail(string(b)))
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "report.json")); err == nil && !json.Valid(b) {
		t.Errorf("report.json is not whole")
	}
}

func tail(s string) string { return s[max(0, len(s)-80):] }

// TestEightProcessesOneDatabase starts eight audits of eight log files on one
// database at once (processes, as eight scheduled jobs would be): all
// finish, in turn, and the database holds eight runs in one verified chain.
func TestEightProcessesOneDatabase(t *testing.T) {
	binary(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "shared.db")
	writeLog := crashInput(t, dir, 20)
	var ps []*proc
	for i := range 8 {
		log, _ := writeLog(fmt.Sprintf("day-%d.jsonl", i), 20_000, i*1_000_000)
		ps = append(ps, start(t, dir, "audit", "--manifests", "manifests", "--logs", log, "--db", db,
			"--as-of", "2024-03-31", "-f", "json", "-o", fmt.Sprintf("out-%d.json", i), "--log-format", "json"))
	}
	for i, p := range ps {
		if code := p.wait(t, 3*time.Minute); code != ExitOK && code != ExitFindings {
			t.Errorf("audit %d: exit %d\n%s", i, code, p.stderr.String())
		}
	}
	st := inspect(t, db)
	if len(st.runs) != 8 {
		t.Errorf("%d runs, want 8", len(st.runs))
	}
	checkIntact(t, db, st)
	waited := 0
	for _, p := range ps {
		if strings.Contains(p.stderr.String(), "waiting for another audit on the database") {
			waited++
		}
	}
	t.Logf("%d of 8 audits waited for the database lock", waited)
}
