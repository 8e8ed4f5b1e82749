package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/internal/audit"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// goldenRun is a fixed run whose canonical JSON is pinned in testdata.
func goldenRun() *audit.Run {
	r := fullRun()
	r.ID = "20240301T020000Z-0a1b2c"
	r.PrevHash = "5d41402abc4b2a76b9719d911017c592"
	r.Findings[0].Status, r.Findings[0].FirstSeen = audit.StatusRecurring, "20240229T020000Z-ffffff"
	return r
}

func TestCanonicalRunJSONGolden(t *testing.T) {
	got, err := CanonicalRunJSON(goldenRun())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("testdata", "canonical_run.golden")
	if *update {
		if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(bytes.TrimSuffix(want, []byte("\n"))), string(got)); diff != "" {
		t.Errorf("canonical JSON (-golden +got):\n%s", diff)
	}
	if bytes.ContainsAny(got, "\n\t") || bytes.Contains(got, []byte(": ")) {
		t.Errorf("canonical JSON has insignificant whitespace: %s", got)
	}
}

func TestRunHashInvariance(t *testing.T) {
	base := RunHash(goldenRun())
	if len(base) != 64 {
		t.Fatalf("RunHash = %q, want 64 hex digits", base)
	}
	tests := []struct {
		name string
		edit func(r *audit.Run)
		same bool
	}{
		{"findings in another order", func(r *audit.Run) { slices.Reverse(r.Findings) }, true},
		{"inputs in another order", func(r *audit.Run) { slices.Reverse(r.Inputs) }, true},
		{"lifecycle filled differently", func(r *audit.Run) {
			for i := range r.Findings {
				r.Findings[i].Status, r.Findings[i].FirstSeen = "new", r.ID
			}
		}, true},
		{"times in another zone", func(r *audit.Run) {
			r.Started = r.Started.In(time.FixedZone("PST", -8*3600))
			r.Finished = r.Finished.UTC()
		}, true},
		{"evidence numbers as float64 and int", func(r *audit.Run) {
			r.Findings[0].Evidence["subjects"] = float64(40450000)
			r.Findings[0].Evidence["share"] = 0.98
			r.Findings[1].Evidence["subjects"] = 40450000
		}, true},
		{"evidence number written 4.045e7", func(r *audit.Run) { r.Findings[0].Evidence["subjects"] = json.Number("4.045e7") }, true},
		{"observations and data quality (not hashed here)", func(r *audit.Run) {
			r.Observations, r.Unmatched, r.DataQuality = nil, nil, audit.DataQuality{}
		}, true},
		{"message edited", func(r *audit.Run) { r.Findings[2].Message += "." }, false},
		{"finding removed", func(r *audit.Run) { r.Findings = r.Findings[1:] }, false},
		{"waiver added", func(r *audit.Run) { r.Findings[0].Waived = &audit.Waiver{Owner: "x"} }, false},
		{"evidence value changed", func(r *audit.Run) { r.Findings[0].Evidence["subjects"] = json.Number("40450001") }, false},
		{"previous hash changed", func(r *audit.Run) { r.PrevHash = "" }, false},
		{"records changed", func(r *audit.Run) { r.Records++ }, false},
		{"input digest changed", func(r *audit.Run) { r.Inputs[1].SHA256 = "00" }, false},
		{"input kind and size (not in a report envelope)", func(r *audit.Run) { r.Inputs[1].Kind, r.Inputs[1].Size = "", 0 }, true},
		{"tool version changed", func(r *audit.Run) { r.Tool.Version = "v0.1.1" }, false},
		{"started a nanosecond later", func(r *audit.Run) { r.Started = r.Started.Add(1) }, false},
		{"as-of changed", func(r *audit.Run) { r.AsOf = "2024-03-02" }, false},
		{"policy digest changed", func(r *audit.Run) { r.PolicyDigest = "sha256:other" }, false},
		{"id changed", func(r *audit.Run) { r.ID = "20240301T020000Z-0a1b2d" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := goldenRun()
			tt.edit(r)
			if got := RunHash(r); (got == base) != tt.same {
				t.Errorf("hash %s, golden %s: same = %v, want %v", got, base, got == base, tt.same)
			}
		})
	}
}

// A report is the audit.Run as JSON; `xborder verify` decodes it and
// recomputes the hash. Evidence numbers then come back as float64.
func TestRunHashSurvivesReportJSON(t *testing.T) {
	ctx := context.Background()
	s, _ := openMemory(t)
	run := mustSave(t, s, fullRun())
	b, err := json.Marshal(run)
	if err != nil {
		t.Fatal(err)
	}
	var decoded audit.Run
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	if got := RunHash(&decoded); got != run.Hash {
		t.Errorf("hash recomputed from the report JSON = %s, want %s", got, run.Hash)
	}
	loaded, err := s.Run(ctx, run.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := RunHash(loaded); got != run.Hash {
		t.Errorf("hash recomputed from the stored run = %s, want %s", got, run.Hash)
	}
}

// tamperFixture saves three chained runs in a database file.
type tamperFixture struct {
	s          *Store
	path       string
	r1, r2, r3 *audit.Run
	edited     string // a fingerprint of r2
}

func newTamperFixture(t *testing.T) *tamperFixture {
	s, path := openFile(t)
	a := finding("PIPA-28-8-BASIS", "alipay-nsf", "", audit.SeverityCritical)
	b := finding("XB-COUNTRY-MISMATCH", "alipay-nsf", "CN", audit.SeverityHigh)
	c := finding("PIPA-21-RETENTION", "aws-tokyo", "", audit.SeverityMedium)
	fx := &tamperFixture{s: s, path: path, edited: b.ID}
	fx.r1 = mustSave(t, s, fullRun())
	fx.r2 = newRun(1, a, b, c)
	fx.r2.Observations = []audit.Observation{{Flow: "alipay-nsf", Day: "2024-03-02", Records: 9, Subjects: 9, Items: []string{"phone"}}}
	mustSave(t, s, fx.r2)
	fx.r3 = mustSave(t, s, newRun(2, a, c))
	return fx
}

// execer runs tampering statements on a second handle.
type execer struct{ db *sql.DB }

func (e execer) exec(t *testing.T, query string, args ...any) {
	t.Helper()
	exec(t, e.db, query, args...)
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func TestVerifyFindsTampering(t *testing.T) {
	const fake = "20240302T000000Z-fa4e00"
	insertFake := func(seq int64, prevHash string) string {
		return `INSERT INTO runs (seq, id, mode, as_of, started, finished, tool_name, tool_version, policy_digest, records,
			not_evaluated, quality_lines, quality_bad, quality_unmatched_lines, finding_ids, hash, prev_hash, data_hash)
			VALUES (` + itoa(seq) + `, '` + fake + `', 'audit', '2024-03-02', '2024-03-02T00:00:00Z', '2024-03-02T00:01:00Z',
			'xborder', 'v0.1.0', 'sha256:policy', 1, 'null', 0, 0, 0, '[]', 'deadbeef', '` + prevHash + `', 'cafe')`
	}
	tests := []struct {
		name   string
		fk     bool // tamper with foreign keys on (deletes cascade)
		tamper func(t *testing.T, fx *tamperFixture, db execer)
		want   func(fx *tamperFixture) []Problem
	}{
		{
			name:   "untouched",
			tamper: func(*testing.T, *tamperFixture, execer) {},
			want:   func(*tamperFixture) []Problem { return nil },
		},
		{
			name: "finding message updated",
			tamper: func(t *testing.T, fx *tamperFixture, db execer) {
				db.exec(t, `UPDATE findings SET message = 'nothing to see' WHERE run_id = ? AND fingerprint = ?`, fx.r2.ID, fx.edited)
			},
			want: func(fx *tamperFixture) []Problem {
				return []Problem{{fx.r2.ID, fx.edited, "content hash mismatch (edited after the run was saved)"}}
			},
		},
		{
			name: "finding status updated",
			tamper: func(t *testing.T, fx *tamperFixture, db execer) {
				db.exec(t, `UPDATE findings SET status = 'recurring' WHERE run_id = ? AND fingerprint = ?`, fx.r2.ID, fx.edited)
			},
			want: func(fx *tamperFixture) []Problem {
				return []Problem{{fx.r2.ID, fx.edited, "content hash mismatch (edited after the run was saved)"}}
			},
		},
		{
			name: "finding deleted",
			tamper: func(t *testing.T, fx *tamperFixture, db execer) {
				db.exec(t, `DELETE FROM findings WHERE run_id = ? AND fingerprint = ?`, fx.r2.ID, fx.edited)
			},
			want: func(fx *tamperFixture) []Problem {
				return []Problem{{fx.r2.ID, fx.edited, "missing (deleted after the run was saved)"}}
			},
		},
		{
			name: "finding inserted",
			tamper: func(t *testing.T, fx *tamperFixture, db execer) {
				db.exec(t, `INSERT INTO findings SELECT run_id, 'ffffffffffffffff', rule, severity, title, title_ko, articles, flow,
					message, evidence, file, line, col, field, remediation, remediation_ko, finding_key, waived, baselined, status,
					first_seen, hash FROM findings WHERE run_id = ? AND fingerprint = ?`, fx.r2.ID, fx.edited)
			},
			want: func(fx *tamperFixture) []Problem {
				return []Problem{{fx.r2.ID, "ffffffffffffffff", "not among the findings saved with the run (inserted)"}}
			},
		},
		{
			name: "run record updated",
			tamper: func(t *testing.T, fx *tamperFixture, db execer) {
				db.exec(t, `UPDATE runs SET records = 1 WHERE id = ?`, fx.r1.ID)
			},
			want: func(fx *tamperFixture) []Problem {
				return []Problem{{fx.r1.ID, "", "content hash mismatch (the run's record or its inputs were edited)"}}
			},
		},
		{
			name: "run record updated and its hash recomputed",
			tamper: func(t *testing.T, fx *tamperFixture, db execer) {
				forged := *fx.r2
				forged.Records = 1
				db.exec(t, `UPDATE runs SET records = 1, hash = ? WHERE id = ?`, RunHash(&forged), fx.r2.ID)
			},
			want: func(fx *tamperFixture) []Problem {
				return []Problem{{fx.r3.ID, "", "previous hash does not match run " + fx.r2.ID + " (a run was inserted before it, or that run's hash was edited)"}}
			},
		},
		{
			name: "observation updated",
			tamper: func(t *testing.T, fx *tamperFixture, db execer) {
				db.exec(t, `UPDATE observations SET records = 1 WHERE run_id = ?`, fx.r2.ID)
			},
			want: func(fx *tamperFixture) []Problem {
				return []Problem{{fx.r2.ID, "", "data hash mismatch (manifests, observations, unmatched traffic, data quality, input files or resolved findings were edited)"}}
			},
		},
		{
			name: "stored manifests edited",
			tamper: func(t *testing.T, fx *tamperFixture, db execer) {
				db.exec(t, `UPDATE runs SET manifests = json_set(manifests, '$.flows[0].legalBasis.overseas', 'consent') WHERE id = ?`, fx.r1.ID)
			},
			want: func(fx *tamperFixture) []Problem {
				return []Problem{{fx.r1.ID, "", "data hash mismatch (manifests, observations, unmatched traffic, data quality, input files or resolved findings were edited)"}}
			},
		},
		{
			name: "input size updated",
			tamper: func(t *testing.T, fx *tamperFixture, db execer) {
				db.exec(t, `UPDATE inputs SET size = 1 WHERE run_id = ?`, fx.r1.ID)
			},
			want: func(fx *tamperFixture) []Problem {
				return []Problem{{fx.r1.ID, "", "data hash mismatch (manifests, observations, unmatched traffic, data quality, input files or resolved findings were edited)"}}
			},
		},
		{
			name: "middle run deleted with its rows (cascade)",
			fk:   true,
			tamper: func(t *testing.T, fx *tamperFixture, db execer) {
				db.exec(t, `DELETE FROM runs WHERE id = ?`, fx.r2.ID)
			},
			want: func(fx *tamperFixture) []Problem {
				return []Problem{{fx.r3.ID, "", "1 run(s) saved between run " + fx.r1.ID + " and it were deleted"}}
			},
		},
		{
			name: "middle run deleted, its rows left behind",
			tamper: func(t *testing.T, fx *tamperFixture, db execer) {
				db.exec(t, `DELETE FROM runs WHERE id = ?`, fx.r2.ID)
			},
			want: func(fx *tamperFixture) []Problem {
				// 3 findings, 1 input, 1 observation, 4 resolved (r1's other findings).
				return []Problem{
					{fx.r3.ID, "", "1 run(s) saved between run " + fx.r1.ID + " and it were deleted"},
					{fx.r2.ID, "", "deleted, yet 9 of its rows remain"},
				}
			},
		},
		{
			name: "latest run deleted",
			fk:   true,
			tamper: func(t *testing.T, fx *tamperFixture, db execer) {
				db.exec(t, `DELETE FROM runs WHERE id = ?`, fx.r3.ID)
			},
			want: func(fx *tamperFixture) []Problem {
				return []Problem{{fx.r2.ID, "", "1 run(s) saved after it were deleted"}}
			},
		},
		{
			name: "fake run appended",
			tamper: func(t *testing.T, fx *tamperFixture, db execer) {
				db.exec(t, insertFake(4, fx.r3.Hash))
			},
			want: func(fx *tamperFixture) []Problem {
				return []Problem{
					{fake, "", "content hash mismatch (the run's record or its inputs were edited)"},
					{fake, "", "data hash mismatch (manifests, observations, unmatched traffic, data quality, input files or resolved findings were edited)"},
				}
			},
		},
		{
			name: "fake run inserted in the middle",
			tamper: func(t *testing.T, fx *tamperFixture, db execer) {
				db.exec(t, `UPDATE runs SET seq = 4 WHERE id = ?`, fx.r3.ID)
				db.exec(t, insertFake(3, fx.r2.Hash))
			},
			want: func(fx *tamperFixture) []Problem {
				return []Problem{
					{fake, "", "content hash mismatch (the run's record or its inputs were edited)"},
					{fake, "", "data hash mismatch (manifests, observations, unmatched traffic, data quality, input files or resolved findings were edited)"},
					{fx.r3.ID, "", "previous hash does not match run " + fake + " (a run was inserted before it, or that run's hash was edited)"},
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fx := newTamperFixture(t)
			tt.tamper(t, fx, execer{rawDB(t, fx.path, tt.fk)})
			got, err := fx.s.Verify(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want(fx), got); diff != "" {
				t.Errorf("Verify (-want +got):\n%s", diff)
			}
		})
	}
}

func TestProblemString(t *testing.T) {
	tests := []struct {
		p    Problem
		want string
	}{
		{Problem{"20240301T020000Z-0a1b2c", "9f2c0b1e2d3a4f5e", "content hash mismatch"}, "run 20240301T020000Z-0a1b2c: finding 9f2c0b1e2d3a4f5e: content hash mismatch"},
		{Problem{Run: "20240301T020000Z-0a1b2c", Message: "1 run(s) saved after it were deleted"}, "run 20240301T020000Z-0a1b2c: 1 run(s) saved after it were deleted"},
		{Problem{Message: "all 3 saved run(s) were deleted"}, "database: all 3 saved run(s) were deleted"},
	}
	for _, tt := range tests {
		if got := tt.p.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
	}
}

func TestVerifyAllRunsDeleted(t *testing.T) {
	fx := newTamperFixture(t)
	exec(t, rawDB(t, fx.path, true), `DELETE FROM runs`)
	got, err := fx.s.Verify(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Problem{{Message: "all 3 saved run(s) were deleted"}}, got); diff != "" {
		t.Errorf("Verify (-want +got):\n%s", diff)
	}
}
