package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/internal/store"
)

// kakaoDay is the kakaopay-alipay fixture's log file of 2024-03-DD.
func kakaoDay(dd int) string {
	return fixture("kakaopay-alipay", "logs", fmt.Sprintf("transfers-2024-03-%02d.jsonl", dd))
}

// auditDay runs a daily audit of one kakaopay log file into db.
func auditDay(t *testing.T, db string, dd int, extra ...string) (result, envelopeWithStatus) {
	t.Helper()
	args := append([]string{"audit", "--manifests", fixture("kakaopay-alipay", "manifests"), "--logs", kakaoDay(dd),
		"--as-of", fmt.Sprintf("2024-03-%02d", dd), "--db", db, "-f", "json"}, extra...)
	res := runCLI(t, args...)
	if res.code != ExitFindings {
		t.Fatalf("audit of day %d: exit %d, want 1\n%s", dd, res.code, res.stderr)
	}
	var env envelopeWithStatus
	if err := json.Unmarshal([]byte(res.stdout), &env); err != nil {
		t.Fatalf("day %d: %v", dd, err)
	}
	return res, env
}

// envelopeWithStatus is the JSON envelope with what history adds.
type envelopeWithStatus struct {
	Run struct {
		ID           string `json:"id"`
		AsOf         string `json:"asOf"`
		Records      int64  `json:"records"`
		SkippedFiles []struct {
			Path   string `json:"path"`
			SHA256 string `json:"sha256"`
		} `json:"skippedFiles"`
	} `json:"run"`
	Diff    *runDiffResult `json:"diff"`
	Summary struct {
		Critical, High, Medium, Low, Total int
	} `json:"summary"`
	Findings []struct {
		ID        string         `json:"id"`
		Rule      string         `json:"rule"`
		Flow      string         `json:"flow"`
		Key       string         `json:"key"`
		Status    string         `json:"status"`
		FirstSeen string         `json:"firstSeen"`
		Evidence  map[string]any `json:"evidence"`
	} `json:"findings"`
}

// label names a finding in transition lists: rule, then flow or key.
func label(rule, flow, key string) string {
	s := rule
	if flow != "" {
		s += " " + flow
	}
	if key != "" {
		s += " (" + key + ")"
	}
	return s
}

// TestAuditWeekReplay replays the kakaopay fixture as a scheduler would:
// one run a day, each reading only that day's file with --as-of that day,
// and checks the exact lifecycle transitions of every run, that the bulk
// export is found from stored days when one file cannot show it, and that
// re-running a day skips its file.
func TestAuditWeekReplay(t *testing.T) {
	db := filepath.Join(t.TempDir(), "week.db")
	type transitions struct{ New, Resolved []string }
	want := map[int]transitions{
		1: {New: []string{
			"CIA-32-CREDIT-CONSENT alipay-nsf (credit)",
			"EFTA-26-TXN-CONFIDENTIALITY alipay-nsf (transactions)",
			"PIPA-17-PURPOSE-MISMATCH alipay-overseas-payment (purposes)",
			"PIPA-21-RETENTION alipay-nsf (longer)",
			"PIPA-22-BUNDLED-MANDATORY alipay-overseas-payment (mandatory)",
			"PIPA-26-ENTRUSTMENT-CONTROLS (inspection)",
			"PIPA-26-ENTRUSTMENT-CONTROLS (training)",
			"PIPA-26-ENTRUSTMENT-MISCLASSIFIED alipay-nsf",
			"PIPA-28-2-PSEUDONYM-LINKAGE alipay-nsf (purpose)",
			"PIPA-28-8-4-SAFEGUARDS alipay-nsf (grievance)",
			"PIPA-28-8-CONTRACT-BASIS-MISUSE alipay-nsf",
			"PIPA-28-8-CONTRACT-DISCLOSURE alipay-nsf (undisclosed)",
			"PIPA-28-8-NOTICE-ITEMS alipay-overseas-payment (notice)",
			"PIPA-29-WEAK-PSEUDONYMIZATION alipay-nsf",
			"PIPA-29-WEAK-PSEUDONYMIZATION alipay-overseas-payment",
			"PIPA-3-16-MINIMIZATION alipay-nsf",
			"PIPA-3-16-MINIMIZATION alipay-overseas-payment",
			"PIPA-30-POLICY-DISCLOSURE (trustee)",
			"XB-SCOPE-NONUSERS alipay-nsf (declared)",
		}},
		2: {},
		// Day 3: the third full-base batch in the window, two of them stored.
		3: {New: []string{"XB-BULK-DAILY alipay-nsf"}},
		// Day 4: two malformed lines.
		4: {New: []string{"XB-DATA-QUALITY"}},
		// Day 5: device_id on payments; the day's file is clean again.
		5: {New: []string{"XB-ITEMS-UNDECLARED alipay-overseas-payment"}, Resolved: []string{"XB-DATA-QUALITY"}},
		// Day 6: traffic to a tracker no flow declares (its lines are
		// unmatched: a data-quality finding of that day's file).
		6: {New: []string{"XB-DATA-QUALITY", "XB-SHADOW-FLOW (collector.tracking.example|US)"}},
		// Day 7: payments without consent; the tracker traffic stopped.
		// Undeclared items of day 5 stay in the 30-day window: recurring.
		7: {New: []string{"PIPA-17-CONSENT-AT-TRANSFER alipay-overseas-payment (withoutConsent)"},
			Resolved: []string{"XB-DATA-QUALITY", "XB-SHADOW-FLOW (collector.tracking.example|US)"}},
		8: {},
	}
	st := func() *store.Store {
		s, err := store.Open(context.Background(), db)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}()
	var prev envelopeWithStatus
	ids := map[int]string{}
	for dd := 1; dd <= 8; dd++ {
		res, env := auditDay(t, db, dd)
		ids[dd] = env.Run.ID
		if !strings.Contains(res.stderr, `msg="audit end"`) {
			t.Errorf("day %d: stderr has no audit end record:\n%s", dd, res.stderr)
		}
		var got transitions
		byID := map[string]bool{}
		for _, f := range env.Findings {
			byID[f.ID] = true
			switch f.Status {
			case "new":
				got.New = append(got.New, label(f.Rule, f.Flow, f.Key))
				if f.FirstSeen != env.Run.ID {
					t.Errorf("day %d: new %s first seen %s, want this run", dd, f.Rule, f.FirstSeen)
				}
			case "recurring":
				if f.FirstSeen == env.Run.ID || f.FirstSeen == "" {
					t.Errorf("day %d: recurring %s first seen %q", dd, f.Rule, f.FirstSeen)
				}
			default:
				t.Errorf("day %d: %s has status %q", dd, f.Rule, f.Status)
			}
		}
		resolved, err := st.Findings(context.Background(), store.FindingQuery{Run: env.Run.ID, Status: "resolved"})
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range resolved {
			got.Resolved = append(got.Resolved, label(f.Rule, f.Flow, keyOf(t, prev, f.ID)))
			if byID[f.ID] {
				t.Errorf("day %d: %s both reported and resolved", dd, f.Rule)
			}
		}
		slices.Sort(got.New)
		slices.Sort(got.Resolved)
		if diff := cmp.Diff(want[dd], got); diff != "" {
			t.Errorf("day %d transitions (-want +got):\n%s", dd, diff)
		}
		prev = env
	}
	// Day 8 reports what the whole week shows, less the one-day events
	// that resolved (shadow flow, data quality).
	if got := len(prev.Findings); got != 22 {
		t.Errorf("day 8 reports %d findings, want 22", got)
	}
	bulk := findingOf(prev, "XB-BULK-DAILY")
	if bulk == nil || bulk.Evidence["dayCount"] != float64(8) {
		t.Errorf("day 8 XB-BULK-DAILY = %v, want 8 bulk days from the store", bulk)
	}

	// Re-running day 8 skips its file (already ingested), says so, and
	// judges the same stored days: nothing new, nothing resolved.
	res, env := auditDay(t, db, 8)
	if len(env.Run.SkippedFiles) != 1 || filepath.Base(env.Run.SkippedFiles[0].Path) != "transfers-2024-03-08.jsonl" || env.Run.Records != 0 {
		t.Errorf("re-run: skipped %v, records %d; want the day's file skipped and nothing read", env.Run.SkippedFiles, env.Run.Records)
	}
	if !strings.Contains(res.stderr, "already ingested by run "+ids[8]) {
		t.Errorf("re-run: stderr does not say the file was ingested by run %s:\n%s", ids[8], res.stderr)
	}
	for _, f := range env.Findings {
		if f.Status != "recurring" {
			t.Errorf("re-run: %s is %s, want recurring", f.Rule, f.Status)
		}
	}
	if resolved, _ := st.Resolved(context.Background(), env.Run.ID); len(resolved) != 0 || len(env.Findings) != 22 {
		t.Errorf("re-run: %d findings, %d resolved; want 22 and 0", len(env.Findings), len(resolved))
	}
}

func findingOf(env envelopeWithStatus, rule string) *struct {
	ID        string         `json:"id"`
	Rule      string         `json:"rule"`
	Flow      string         `json:"flow"`
	Key       string         `json:"key"`
	Status    string         `json:"status"`
	FirstSeen string         `json:"firstSeen"`
	Evidence  map[string]any `json:"evidence"`
} {
	for i := range env.Findings {
		if env.Findings[i].Rule == rule {
			return &env.Findings[i]
		}
	}
	return nil
}

// keyOf is the key of a finding of the previous run, by fingerprint (the
// store's resolved rows do not keep keys).
func keyOf(t *testing.T, prev envelopeWithStatus, id string) string {
	t.Helper()
	for _, f := range prev.Findings {
		if f.ID == id {
			return f.Key
		}
	}
	t.Errorf("resolved %s was not reported by the previous run", id)
	return ""
}

// TestAuditBulkFromStoredDays: with bulkDays 3, days 1 and 2 cannot show a
// bulk export, day 3 shows it only because days 1 and 2 are stored: day 3's
// file alone, in a fresh database, does not.
func TestAuditBulkFromStoredDays(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	for dd := 1; dd <= 3; dd++ {
		_, env := auditDay(t, db, dd)
		bulk := findingOf(env, "XB-BULK-DAILY")
		if dd < 3 && bulk != nil {
			t.Errorf("day %d: XB-BULK-DAILY fired with %d day(s) stored", dd, dd)
		}
		if dd == 3 {
			if bulk == nil {
				t.Fatal("day 3: no XB-BULK-DAILY from the stored days 1 and 2")
			}
			days, _ := bulk.Evidence["days"].([]any)
			var got []string
			for _, d := range days {
				got = append(got, d.(map[string]any)["day"].(string))
			}
			if diff := cmp.Diff([]string{"2024-03-01", "2024-03-02", "2024-03-03"}, got); diff != "" {
				t.Errorf("day 3 bulk days (-want +got):\n%s", diff)
			}
		}
	}
	_, alone := auditDay(t, filepath.Join(t.TempDir(), "fresh.db"), 3)
	if findingOf(alone, "XB-BULK-DAILY") != nil {
		t.Error("day 3's file alone fired XB-BULK-DAILY: the stored days are not what made it fire")
	}
	// A window shorter than the stored history forgets the old days.
	cfg := filepath.Join(t.TempDir(), "xborder.yaml")
	if err := os.WriteFile(cfg, []byte("params:\n  bulkWindowDays: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, env := auditDay(t, db, 4, "--config", cfg)
	if findingOf(env, "XB-BULK-DAILY") != nil {
		t.Error("bulkWindowDays 2: XB-BULK-DAILY fired from days outside the window")
	}
}

// sqlite3 returns the sqlite3 CLI; without it the test skips, except in CI
// where it must be installed (make tools).
func sqlite3(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("sqlite3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("sqlite3 is not installed (Debian package sqlite3; make tools installs it)")
		}
		t.Skip("sqlite3 is not installed")
	}
	return p
}

// TestVerifyDB: verify --db passes on an untouched database and fails,
// naming the row, after one row is edited with the sqlite3 CLI.
func TestVerifyDB(t *testing.T) {
	bin := sqlite3(t)
	dir := t.TempDir()
	clean := filepath.Join(dir, "clean.db")
	var ids []string
	for dd := 1; dd <= 3; dd++ {
		_, env := auditDay(t, clean, dd)
		ids = append(ids, env.Run.ID)
	}
	res := runCLI(t, "verify", "--db", clean)
	if res.code != ExitOK || !strings.Contains(res.stdout, "3 run(s)") || !strings.HasSuffix(res.stdout, "verified\n") {
		t.Fatalf("untouched database: exit %d\n%s%s", res.code, res.stdout, res.stderr)
	}
	st, err := store.Open(context.Background(), clean)
	if err != nil {
		t.Fatal(err)
	}
	fs, err := st.Findings(context.Background(), store.FindingQuery{Run: ids[1], Rule: "PIPA-21-RETENTION"})
	st.Close()
	if err != nil || len(fs) != 1 {
		t.Fatalf("findings: %v %v", fs, err)
	}
	fp := fs[0].ID
	for _, tc := range []struct {
		name, sql string
		want      []string
	}{
		{"finding severity lowered", fmt.Sprintf(`UPDATE findings SET severity = 'low' WHERE run_id = '%s' AND fingerprint = '%s'`, ids[1], fp),
			[]string{fmt.Sprintf("FAIL  run %s: finding %s: content hash mismatch", ids[1], fp)}},
		{"finding deleted", fmt.Sprintf(`DELETE FROM findings WHERE run_id = '%s' AND fingerprint = '%s'`, ids[1], fp),
			[]string{fmt.Sprintf("FAIL  run %s: finding %s: missing", ids[1], fp)}},
		{"run records edited", fmt.Sprintf(`UPDATE runs SET records = records - 1000 WHERE id = '%s'`, ids[0]),
			[]string{fmt.Sprintf("FAIL  run %s: content hash mismatch", ids[0])}},
		{"observation edited", fmt.Sprintf(`UPDATE observations SET subjects = 10 WHERE run_id = '%s' AND flow = 'alipay-nsf'`, ids[2]),
			[]string{fmt.Sprintf("FAIL  run %s: data hash mismatch", ids[2])}},
		{"run deleted", fmt.Sprintf(`PRAGMA foreign_keys = ON; DELETE FROM runs WHERE id = '%s'`, ids[1]),
			[]string{fmt.Sprintf("FAIL  run %s: 1 run(s) saved between run %s and it were deleted", ids[2], ids[0])}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "edited.db")
			copyFile(t, clean, db)
			if out, err := exec.Command(bin, db, tc.sql).CombinedOutput(); err != nil {
				t.Fatalf("sqlite3: %v\n%s", err, out)
			}
			res := runCLI(t, "verify", "--db", db)
			if res.code != ExitFindings || !strings.Contains(res.stdout, "NOT VERIFIED") {
				t.Fatalf("exit %d, want 1\n%s%s", res.code, res.stdout, res.stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.stdout, w) {
					t.Errorf("output lacks %q:\n%s", w, res.stdout)
				}
			}
		})
	}
	// The report form still works beside the database form.
	if res := runCLI(t, "verify", "--pubkey", "x.pub", "--db", clean); res.code != ExitError {
		t.Errorf("--pubkey without a report: exit %d, want 2", res.code)
	}
}

// copyFile copies a closed SQLite database (its WAL, if any, too).
func copyFile(t *testing.T, from, to string) {
	t.Helper()
	for _, suffix := range []string{"", "-wal"} {
		b, err := os.ReadFile(from + suffix)
		if os.IsNotExist(err) && suffix != "" {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(to+suffix, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestConcurrentAudits: two audits of the same new file on one database
// at once both finish, one after the other: exactly one reads the file,
// the other skips it, and the database verifies.
func TestConcurrentAudits(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	var wg sync.WaitGroup
	envs := make([]envelopeWithStatus, 4)
	for i := range envs {
		wg.Go(func() { _, envs[i] = auditDay(t, db, 1+i%2) })
	}
	wg.Wait()
	read, skipped := map[string]int{}, map[string]int{}
	for _, env := range envs {
		for _, f := range env.Run.SkippedFiles {
			skipped[filepath.Base(f.Path)]++
		}
		if env.Run.Records > 0 {
			read[env.Run.AsOf]++
		}
	}
	wantRead := map[string]int{"2024-03-01": 1, "2024-03-02": 1}
	wantSkipped := map[string]int{"transfers-2024-03-01.jsonl": 1, "transfers-2024-03-02.jsonl": 1}
	if diff := cmp.Diff(wantRead, read); diff != "" {
		t.Errorf("runs that read each day (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantSkipped, skipped); diff != "" {
		t.Errorf("skipped files (-want +got):\n%s", diff)
	}
	res := runCLI(t, "verify", "--db", db)
	if res.code != ExitOK || !strings.Contains(res.stdout, "4 run(s)") {
		t.Errorf("verify after concurrent audits: exit %d\n%s", res.code, res.stdout)
	}
	// Each day's batch counted once: the stored records are one file's each.
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	obs, err := st.ObservationsSince(context.Background(), "2024-03-01")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range obs {
		if o.Flow == "alipay-nsf" && o.Records != 40450 {
			t.Errorf("alipay-nsf on %s: %d records stored, want 40450 (one batch)", o.Day, o.Records)
		}
	}
}

// TestConsentLedgerFixture audits fixtures/consent-ledger with its ledger
// and compares the findings with expected.json; without the ledger the
// same logs show nothing. No full subject key of the ledger or the logs
// leaves the run: not in the report, the logs on stderr, or the database.
func TestConsentLedgerFixture(t *testing.T) {
	exp := readExpected(t, fixture("consent-ledger", "expected.json"))
	db := filepath.Join(t.TempDir(), "x.db")
	args := []string{"audit", "--manifests", fixture("consent-ledger", "manifests"), "--logs", fixture("consent-ledger", "logs"),
		"--as-of", exp.AsOf, "--db", db, "-f", "json", "--log-format", "json"}
	res := runCLI(t, append(args, "--consents", fixture("consent-ledger", "consents"))...)
	if res.code != ExitFindings {
		t.Fatalf("exit %d, want 1\n%s", res.code, res.stderr)
	}
	var env envelopeWithStatus
	if err := json.Unmarshal([]byte(res.stdout), &env); err != nil {
		t.Fatal(err)
	}
	var got, want []string
	for _, f := range env.Findings {
		got = append(got, label(f.Rule, f.Flow, f.Key))
	}
	for _, f := range exp.Findings {
		want = append(want, label(f.Rule, f.Flow, f.Key))
	}
	slices.Sort(got)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings differ from expected.json (-want +got):\n%s", diff)
	}
	type example struct{ Time, Subject string }
	for key, wantEx := range map[string][]example{
		"withoutConsent":   {{"2024-03-08T09:31:05+09:00", "u:91…"}, {"2024-03-08T12:05:56+09:00", "u:5d…"}, {"2024-03-08T15:52:26+09:00", "u:91…"}},
		"withdrawnConsent": {{"2024-03-08T10:58:09+09:00", "u:7e…"}, {"2024-03-08T13:29:15+09:00", "u:7e…"}, {"2024-03-08T14:02:33+09:00", "u:b3…"}},
	} {
		var ev map[string]any
		for _, f := range env.Findings {
			if f.Key == key {
				ev = f.Evidence
			}
		}
		if ev[key] != float64(3) {
			t.Errorf("%s: count %v, want 3", key, ev[key])
		}
		var gotEx []example
		xs, _ := ev["subjectExamples"].([]any)
		for _, x := range xs {
			m := x.(map[string]any)
			gotEx = append(gotEx, example{m["time"].(string), m["subject"].(string)})
		}
		if diff := cmp.Diff(wantEx, gotEx); diff != "" {
			t.Errorf("%s subject examples (-want +got):\n%s", key, diff)
		}
	}
	// Structured logs: JSON records, the ledger counted, no key.
	var msgs []string
	for _, line := range strings.Split(strings.TrimSpace(res.stderr), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("--log-format json: stderr line %q is not JSON", line)
		}
		msgs = append(msgs, rec["msg"].(string))
		if rec["msg"] == "consent ledger read" && (rec["entries"] != float64(16) || rec["ignoredEntries"] != float64(1)) {
			t.Errorf("ledger record = %v, want 16 entries and 1 ignored", rec)
		}
	}
	if !slices.Contains(msgs, "audit start") || !slices.Contains(msgs, "consent ledger read") || !slices.Contains(msgs, "audit end") {
		t.Errorf("log records %v lack start, ledger or end", msgs)
	}
	dbBytes, _ := os.ReadFile(db)
	wal, _ := os.ReadFile(db + "-wal")
	for _, key := range []string{"u:91fa0b", "u:5d7c33", "u:7e21c4", "u:b3905d", "u:0a11f0"} {
		for where, b := range map[string][]byte{"report": []byte(res.stdout), "stderr": []byte(res.stderr), "database": append(dbBytes, wal...)} {
			if bytes.Contains(b, []byte(key)) {
				t.Errorf("the full subject key %s appears in the %s", key, where)
			}
		}
	}
	// Without the ledger the logs' consent references are taken at their
	// word: nothing to report.
	res = runCLI(t, append(args[:len(args)-2], "--db", filepath.Join(t.TempDir(), "y.db"))...)
	if res.code != ExitOK || !strings.Contains(res.stdout, `"findings": []`) {
		t.Errorf("without --consents: exit %d, want 0 and no finding\n%s", res.code, res.stdout)
	}
}

// TestConsentLedgerBadLines: bad ledger lines are counted and reported as
// XB-DATA-QUALITY like bad log lines, and count towards --max-bad-ratio.
func TestConsentLedgerBadLines(t *testing.T) {
	dir := t.TempDir()
	ledger := filepath.Join(dir, "ledger.jsonl")
	good, err := os.ReadFile(fixture("consent-ledger", "consents", "ledger.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(ledger, append(good, "{\"subject\":\"u:ffffff\",\"flow\":\"alipay-overseas-payment\"}\nnot json\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"audit", "--manifests", fixture("consent-ledger", "manifests"), "--logs", fixture("consent-ledger", "logs"),
		"--consents", ledger, "--as-of", "2024-03-08", "--db", filepath.Join(dir, "x.db"), "-f", "json"}
	res := runCLI(t, args...)
	if res.code != ExitError || !strings.Contains(res.stderr, "2 of 37 log lines") || !strings.Contains(res.stderr, "ledger.jsonl:16: missing granted") {
		t.Fatalf("2 bad of 37 lines is above 1%%: exit %d\n%s", res.code, res.stderr)
	}
	res = runCLI(t, append(args, "--max-bad-ratio", "0.1")...)
	var env envelopeWithStatus
	if err := json.Unmarshal([]byte(res.stdout), &env); err != nil {
		t.Fatalf("exit %d: %v\n%s", res.code, err, res.stderr)
	}
	dq := findingOf(env, "XB-DATA-QUALITY")
	if dq == nil || dq.Evidence["badLines"] != float64(2) {
		t.Errorf("XB-DATA-QUALITY = %v, want 2 bad lines from the ledger", dq)
	}
}

// TestHistoryCommands: runs, findings and diff over three daily runs, as
// text and JSON.
func TestHistoryCommands(t *testing.T) {
	db := filepath.Join(t.TempDir(), "x.db")
	var ids []string
	for _, dd := range []int{3, 4, 5} {
		_, env := auditDay(t, db, dd)
		ids = append(ids, env.Run.ID)
	}
	// runs: newest first, with the fields a dashboard reads.
	res := runCLI(t, "runs", "--db", db, "-f", "json")
	var runs []map[string]any
	if err := json.Unmarshal([]byte(res.stdout), &runs); err != nil || res.code != ExitOK {
		t.Fatalf("runs -f json: exit %d, %v\n%s", res.code, err, res.stdout)
	}
	if len(runs) != 3 || runs[0]["id"] != ids[2] || runs[2]["asOf"] != "2024-03-03" {
		t.Fatalf("runs = %v, want the three runs newest first", runs)
	}
	for _, k := range []string{"id", "asOf", "started", "records", "skippedFiles", "counts", "new", "resolved"} {
		if _, ok := runs[0][k]; !ok {
			t.Errorf("runs -f json: no %q in %v", k, runs[0])
		}
	}
	if c := runs[1]["counts"].(map[string]any); c["medium"] != float64(5) || runs[1]["new"] != float64(1) {
		t.Errorf("day 4 counts %v, new %v; want 5 medium (data quality new) and 1 new", c, runs[1]["new"])
	}
	res = runCLI(t, "runs", "--db", db)
	if lines := strings.Split(strings.TrimSpace(res.stdout), "\n"); len(lines) != 4 || !strings.Contains(lines[1], ids[2]) || !strings.Contains(lines[0], "RESOLVED") {
		t.Errorf("runs text:\n%s", res.stdout)
	}

	// findings: by status, rule and flow; the envelope for JSON.
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"--status", "new"}, []string{"XB-BULK-DAILY", "XB-ITEMS-UNDECLARED"}},
		{[]string{"--status", "resolved"}, []string{"XB-DATA-QUALITY"}},
		{[]string{"--status", "new", "--run", ids[1]}, []string{"XB-DATA-QUALITY"}},
		{[]string{"--rule", "PIPA-3-16-MINIMIZATION", "--flow", "alipay-nsf"}, []string{"PIPA-3-16-MINIMIZATION"}},
		{[]string{"--status", "recurring", "--flow", "alipay-overseas-payment", "--rule", "XB-ITEMS-UNDECLARED"}, nil},
	} {
		res := runCLI(t, append([]string{"findings", "--db", db, "-f", "json"}, tc.args...)...)
		var env envelopeWithStatus
		if err := json.Unmarshal([]byte(res.stdout), &env); err != nil || res.code != ExitOK {
			t.Fatalf("findings %v: exit %d, %v\n%s", tc.args, res.code, err, res.stderr)
		}
		var got []string
		for _, f := range env.Findings {
			got = append(got, f.Rule)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" || env.Summary.Total != len(tc.want) {
			t.Errorf("findings %v (-want +got):\n%s", tc.args, diff)
		}
	}
	res = runCLI(t, "findings", "--db", db, "--status", "resolved")
	if !strings.Contains(res.stdout, "1 resolved finding(s)") || !strings.Contains(res.stdout, "resolved  medium    XB-DATA-QUALITY") {
		t.Errorf("findings text:\n%s", res.stdout)
	}
	if res := runCLI(t, "findings", "--db", db, "--status", "closed"); res.code != ExitError || !strings.Contains(res.stderr, "--status") {
		t.Errorf("bad --status: exit %d, %s", res.code, res.stderr)
	}
	if res := runCLI(t, "findings", "--db", db, "--run", "19990101"); res.code != ExitError {
		t.Errorf("unknown run: exit %d, want 2", res.code)
	}

	// diff: day 3 → day 5 added two findings (the third bulk day, the
	// undeclared item) and kept the rest.
	res = runCLI(t, "diff", ids[0], ids[2], "--db", db, "-f", "json")
	var env envelopeWithStatus
	if err := json.Unmarshal([]byte(res.stdout), &env); err != nil || res.code != ExitOK {
		t.Fatalf("diff -f json: exit %d, %v\n%s", res.code, err, res.stdout)
	}
	if env.Diff == nil || *env.Diff != (runDiffResult{From: ids[0], To: ids[2], New: 2, Resolved: 0, Unchanged: 19}) || env.Run.ID != ids[2] {
		t.Errorf("diff = %+v of run %s", env.Diff, env.Run.ID)
	}
	if !strings.HasPrefix(res.stdout, "{\n  \"schemaVersion\": 1,\n  \"tool\": ") {
		t.Errorf("diff envelope does not start like the report envelope:\n%.200s", res.stdout)
	}
	res = runCLI(t, "diff", ids[1], ids[2], "--db", db)
	for _, want := range []string{"2 new, 1 resolved, 19 unchanged", "\n+ new       high      XB-ITEMS-UNDECLARED  alipay-overseas-payment",
		"\n- resolved  medium    XB-DATA-QUALITY      -", "\n    2 of 426 log lines could not be used"} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("diff text lacks %q:\n%s", want, res.stdout)
		}
	}
}

// TestAuditConfigFile: one xborder.yaml drives the scheduled audit (every
// path, the database, the threshold) and the history commands, which
// ignore the audit's settings; a typo is still an error.
func TestAuditConfigFile(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "xborder.yaml")
	db := filepath.Join(dir, "audit.db")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`manifests: [%s]
logs: [%s]
consents: [%s]
db: %s
report: %s
fail-on: none
log-format: json
params:
  bulkDays: 1
`, fixture("consent-ledger", "manifests"), fixture("consent-ledger", "logs"), fixture("consent-ledger", "consents"), db, filepath.Join(dir, "out"))), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runCLI(t, "audit", "--as-of", "2024-03-08", "--config", cfg)
	if res.code != ExitOK || !strings.Contains(res.stderr, `"msg":"audit end"`) {
		t.Fatalf("audit with config: exit %d\n%s", res.code, res.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "out", "report.json")); err != nil {
		t.Errorf("report dir from the config: %v", err)
	}
	res = runCLI(t, "findings", "--config", cfg, "-f", "json")
	var env envelopeWithStatus
	if err := json.Unmarshal([]byte(res.stdout), &env); err != nil || len(env.Findings) != 2 {
		t.Errorf("findings with the audit's config: exit %d, %v\n%s%s", res.code, err, res.stdout, res.stderr)
	}
	if err := os.WriteFile(cfg, []byte("dbb: x.db\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if res := runCLI(t, "runs", "--config", cfg); res.code != ExitError || !strings.Contains(res.stderr, "dbb: unknown setting") {
		t.Errorf("typo in config: exit %d, %s", res.code, res.stderr)
	}
}

// TestAuditProgress: a progress bar on a terminal's stderr, nothing when
// stderr is not a terminal.
func TestAuditProgress(t *testing.T) {
	for _, terminal := range []bool{true, false} {
		var stdout, stderr bytes.Buffer
		clock := time.Date(2024, 3, 8, 12, 0, 0, 0, time.UTC)
		code := run(context.Background(), []string{"audit", "--manifests", fixture("kakaopay-alipay", "manifests"),
			"--logs", fixture("kakaopay-alipay", "logs"), "--as-of", "2024-03-08", "--db", filepath.Join(t.TempDir(), "x.db"),
			"-o", filepath.Join(t.TempDir(), "r.json"), "-f", "json"}, &env{
			stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr,
			now:        func() time.Time { clock = clock.Add(time.Second); return clock },
			getenv:     func(string) string { return "" },
			isTerminal: func(w io.Writer) bool { return terminal && w == &stderr },
		})
		if code != ExitFindings {
			t.Fatalf("exit %d\n%s", code, stderr.String())
		}
		bar := strings.Contains(stderr.String(), "reading logs   [########################] 100%  1.2 MB / 1.2 MB") &&
			strings.Contains(stderr.String(), "rec/s")
		if bar != terminal {
			t.Errorf("terminal %v: progress bar shown %v:\n%s", terminal, bar, stderr.String())
		}
	}
}

// TestProgressLine pins the bar's layout: share, bytes, records/s, ETA.
func TestProgressLine(t *testing.T) {
	start := time.Date(2024, 3, 8, 0, 0, 0, 0, time.UTC)
	p := &progress{phase: "reading logs", total: 2_700_000_000, start: start, records: new(atomic.Int64)}
	p.records.Store(8_500_000)
	got := p.line(1_200_000_000, start.Add(10*time.Second))
	want := "reading logs [##########..............]  44%  1.2 GB / 2.7 GB  850,000 rec/s  ETA 0:13"
	if got != want {
		t.Errorf("line =\n%q\nwant\n%q", got, want)
	}
}
