package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/xborder/xborder/internal/audit"
)

// fullRun is a run with every part the store keeps filled in.
func fullRun() *audit.Run {
	kst := time.FixedZone("KST", 9*3600)
	waived := finding("PIPA-29-WEAK-PSEUDONYMIZATION", "alipay-nsf", "sha256", audit.SeverityHigh)
	waived.Waived = &audit.Waiver{Rule: waived.Rule, Flow: "alipay-nsf", Owner: "privacy@kakaopay.example",
		Reason: "keyed hashing rolls out in Q2", Expires: "2024-06-30", Source: audit.Source{File: "waivers.yaml", Line: 4}}
	baselined := finding("XB-MANIFEST-HYGIENE", "alipay-nsf", "owner", audit.SeverityLow)
	baselined.Baselined = true
	bare := finding("XB-DATA-QUALITY", "", "logs", audit.SeverityMedium)
	bare.Articles, bare.Evidence, bare.Flow = nil, nil, ""
	r := newRun(0,
		finding("PIPA-28-8-BASIS", "alipay-nsf", "", audit.SeverityCritical),
		finding("XB-BULK-DAILY", "alipay-nsf", "", audit.SeverityCritical),
		waived, baselined, bare)
	r.Started = time.Date(2024, 3, 1, 11, 0, 0, 987654321, kst) // not UTC: stored as the same instant
	r.Finished = r.Started.Add(2 * time.Minute)
	r.Inputs = append(r.Inputs,
		audit.InputFile{Path: "logs/2024-03-01.jsonl.gz", SHA256: "aa" + fmt.Sprintf("%062d", 2), Kind: "log", Size: 123456},
		audit.InputFile{Path: "consents.csv", SHA256: "cc" + fmt.Sprintf("%062d", 3), Kind: "consents", Size: 77})
	r.SkippedFiles = []audit.InputFile{{Path: "logs/2024-02-29.jsonl", SHA256: "bb" + fmt.Sprintf("%062d", 4), Kind: "log", Size: 99}}
	r.NotEvaluated = []string{"XB-SCOPE-NONUSERS"}
	r.Manifests = &audit.Manifests{
		Organization: &audit.Organization{Object: audit.Object{Name: "kakaopay", Source: audit.Source{File: "manifests/org.yaml", Line: 1}},
			LegalName: "Kakaopay Corp.", Country: "KR", Subjects: audit.Subjects{Total: 40450000, Active: 25000000},
			PrivacyPolicy: &audit.PrivacyPolicy{URL: "https://example.com/privacy", Updated: "2024-01-10", Discloses: []string{"alipay-overseas-payment"}}},
		Recipients: []audit.Recipient{{Object: audit.Object{Name: "alipay", Source: audit.Source{File: "manifests/alipay.yaml", Line: 3}},
			LegalName: "Alipay Singapore E-Commerce Pte. Ltd.", Country: "SG", OwnPurposes: []string{"nsf_scoring"},
			Onward: &audit.Onward{Recipients: 1, Countries: []string{"worldwide"}}}},
		Flows: []audit.DataFlow{{Object: audit.Object{Name: "alipay-nsf", Source: audit.Source{File: "manifests/flows.yaml", Line: 2}},
			Recipient: "alipay", Integration: "alipay-nsf-sftp", Countries: []string{"CN", "SG"}, Type: "entrustment",
			Purposes: []string{"fraud_prevention"}, Items: []string{"account_id", "balance"}, NecessaryItems: []string{},
			LegalBasis: audit.LegalBasis{Overseas: "contract"}, Retention: "P1Y", RetentionDays: 365,
			Safeguards: audit.Safeguards{Transport: "sftp", Identifiers: &audit.Identifiers{Method: "sha256"}}}},
		Files: []audit.InputFile{r.Inputs[0]},
	}
	r.Observations = []audit.Observation{
		{Flow: "alipay-nsf", Day: "2024-03-01", Records: 40450000, Subjects: 40450000, Items: []string{"account_id", "balance"},
			UnknownItems: []string{"nsf_flag"}, Countries: []string{"CN"}, Hosts: []string{"sftp.alipay.example"},
			Protections: []string{"sha256"}, TLS: []string{"sftp"}, WithoutConsent: 40450000, Bytes: 9 << 30},
		{Flow: "alipay-overseas-payment", Day: "2024-03-01", Records: 1200, Subjects: 1100, SubjectsEstimated: true,
			Items: []string{"account_id", "amount", "order_id"}, Countries: []string{"SG"}, Hosts: []string{"api.alipay.example"},
			Protections: []string{"token"}, TLS: []string{"1.2"}, WithdrawnConsent: 3, Bytes: 812 * 1200},
	}
	r.Unmatched = []audit.Unmatched{{Key: "api.unknown.example", Host: "api.unknown.example", Country: "US", Day: "2024-03-01",
		Records: 5, Subjects: 5, Items: []string{"email"}, Protections: []string{"plain"}, TLS: []string{"1.3"}, Bytes: 400}}
	r.DataQuality = audit.DataQuality{
		Files: []audit.FileQuality{{Path: "logs/2024-03-01.jsonl.gz", Lines: 1201, Records: 40451200, Bad: 1,
			Examples: []audit.BadLine{{Line: 17, Reason: "ts: missing"}}}},
		Lines: 1201, Bad: 1, UnmatchedLines: 5,
	}
	return r
}

func TestSaveRunRoundTrips(t *testing.T) {
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			ctx := context.Background()
			s, _ := o.open(t)
			run := fullRun()
			if err := s.SaveRun(ctx, run); err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`^20240301T020000Z-[0-9a-f]{6}$`).MatchString(run.ID) {
				t.Errorf("assigned run id %q, want 20240301T020000Z-<6 hex> from Started", run.ID)
			}
			if run.Hash != RunHash(run) || run.PrevHash != "" {
				t.Errorf("hash %q prevHash %q, want %q and empty", run.Hash, run.PrevHash, RunHash(run))
			}
			for _, f := range run.Findings {
				if f.Status != audit.StatusNew || f.FirstSeen != run.ID {
					t.Errorf("finding %s: status %q first seen %q, want new in %s", f.ID, f.Status, f.FirstSeen, run.ID)
				}
			}
			want := *run
			want.Findings = slices.Clone(run.Findings)
			audit.SortFindings(want.Findings)

			for _, id := range []string{run.ID, "latest", "", run.ID[:12]} {
				got, err := s.Run(ctx, id)
				if err != nil {
					t.Fatalf("Run(%q): %v", id, err)
				}
				if diff := cmp.Diff(&want, got); diff != "" {
					t.Errorf("Run(%q) (-saved +loaded):\n%s", id, diff)
				}
				if h := RunHash(got); h != run.Hash {
					t.Errorf("Run(%q): recomputed hash %s, want %s", id, h, run.Hash)
				}
			}
			integrityCheck(t, s)
		})
	}
}

func TestRunLookupErrors(t *testing.T) {
	ctx := context.Background()
	s, _ := openMemory(t)
	if _, err := s.Run(ctx, "latest"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Run(latest) on an empty database: err = %v, want ErrNotFound", err)
	}
	if _, err := s.Findings(ctx, FindingQuery{}); !errors.Is(err, ErrNotFound) {
		t.Errorf("Findings on an empty database: err = %v, want ErrNotFound", err)
	}
	a := mustSave(t, s, newRun(0))
	b := mustSave(t, s, newRun(1))
	if _, err := s.Run(ctx, "20990101T000000Z-000000"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Run(unknown id): err = %v, want ErrNotFound", err)
	}
	// Both ids start with the day: an ambiguous prefix is an error, not a guess.
	if _, err := s.Run(ctx, "20240301T"); err == nil || errors.Is(err, ErrNotFound) {
		t.Errorf("Run(ambiguous prefix): err = %v, want an ambiguity error", err)
	}
	for id, want := range map[string]string{a.ID: a.ID, b.ID[:16]: b.ID, "latest": b.ID} {
		got, err := s.Run(ctx, id)
		if err != nil {
			t.Fatalf("Run(%q): %v", id, err)
		}
		if got.ID != want {
			t.Errorf("Run(%q).ID = %s, want %s", id, got.ID, want)
		}
	}
	if _, err := s.Findings(ctx, FindingQuery{Status: "closed"}); err == nil {
		t.Error("Findings with status closed: no error")
	}
}

func TestLifecycleOverRuns(t *testing.T) {
	for _, o := range openers {
		t.Run(o.name, func(t *testing.T) {
			ctx := context.Background()
			s, _ := o.open(t)
			a := finding("PIPA-28-8-BASIS", "alipay-nsf", "", audit.SeverityCritical)
			b := finding("XB-COUNTRY-MISMATCH", "alipay-nsf", "CN", audit.SeverityHigh)
			c := finding("PIPA-21-RETENTION", "aws-tokyo", "", audit.SeverityMedium)

			r1 := mustSave(t, s, newRun(1, a, b))
			r2 := mustSave(t, s, newRun(2, b, c))
			// A check run between audits has its own lifecycle: it does not
			// resolve the audit's findings.
			check := newRun(3, a)
			check.Mode = audit.ModeCheck
			mustSave(t, s, check)
			r3 := mustSave(t, s, newRun(4, c))
			r4 := mustSave(t, s, newRun(5, a, c)) // a comes back: new again

			tests := []struct {
				run            *audit.Run
				want, resolved []lifecycle
			}{
				{r1, []lifecycle{{a.ID, "new", r1.ID}, {b.ID, "new", r1.ID}}, nil},
				{r2, []lifecycle{{b.ID, "recurring", r1.ID}, {c.ID, "new", r2.ID}}, []lifecycle{{a.ID, "resolved", r1.ID}}},
				{check, []lifecycle{{a.ID, "new", check.ID}}, nil},
				{r3, []lifecycle{{c.ID, "recurring", r2.ID}}, []lifecycle{{b.ID, "resolved", r1.ID}}},
				{r4, []lifecycle{{a.ID, "new", r4.ID}, {c.ID, "recurring", r2.ID}}, nil},
			}
			for i, tt := range tests {
				byID := cmpopts.SortSlices(func(x, y lifecycle) bool { return x.ID < y.ID })
				if diff := cmp.Diff(tt.want, lifecycles(tt.run.Findings), byID); diff != "" {
					t.Errorf("run %d: lifecycle filled on the passed run (-want +got):\n%s", i+1, diff)
				}
				stored, err := s.Findings(ctx, FindingQuery{Run: tt.run.ID})
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, lifecycles(stored), byID); diff != "" {
					t.Errorf("run %d: stored lifecycle (-want +got):\n%s", i+1, diff)
				}
				res, err := s.Resolved(ctx, tt.run.ID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.resolved, lifecycles(res), byID, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("run %d: resolved (-want +got):\n%s", i+1, diff)
				}
			}

			// What a resolved finding carries: what it was when last reported.
			res, err := s.Resolved(ctx, r2.ID)
			if err != nil {
				t.Fatal(err)
			}
			wantResolved := []audit.Finding{{ID: a.ID, Rule: a.Rule, Severity: a.Severity, Title: a.Title, Flow: a.Flow,
				Message: a.Message, Location: audit.Source{File: a.Location.File, Line: a.Location.Line},
				Status: audit.StatusResolved, FirstSeen: r1.ID}}
			if diff := cmp.Diff(wantResolved, res); diff != "" {
				t.Errorf("Resolved(r2) (-want +got):\n%s", diff)
			}

			// Queries by status, rule and flow.
			queries := []struct {
				q    FindingQuery
				want []string
			}{
				{FindingQuery{Run: r2.ID, Status: "new"}, []string{c.ID}},
				{FindingQuery{Run: r2.ID, Status: "recurring"}, []string{b.ID}},
				{FindingQuery{Run: r2.ID, Status: "open"}, []string{b.ID, c.ID}},
				{FindingQuery{Run: r2.ID, Status: "resolved"}, []string{a.ID}},
				{FindingQuery{Run: r2.ID, Rule: "PIPA-21-RETENTION"}, []string{c.ID}},
				{FindingQuery{Run: r2.ID, Flow: "alipay-nsf"}, []string{b.ID}},
				{FindingQuery{Run: r2.ID, Flow: "alipay-nsf", Status: "new"}, []string{}},
				{FindingQuery{}, []string{a.ID, c.ID}}, // latest run
				{FindingQuery{Run: "latest", Status: "new"}, []string{a.ID}},
			}
			for _, qt := range queries {
				fs, err := s.Findings(ctx, qt.q)
				if err != nil {
					t.Fatalf("%+v: %v", qt.q, err)
				}
				got := []string{}
				for _, f := range fs {
					got = append(got, f.ID)
				}
				slices.Sort(qt.want)
				slices.Sort(got)
				if diff := cmp.Diff(qt.want, got); diff != "" {
					t.Errorf("Findings(%+v) (-want +got):\n%s", qt.q, diff)
				}
			}

			// The chain links every run, check included, in save order.
			chain := []*audit.Run{r1, r2, check, r3, r4}
			for i := 1; i < len(chain); i++ {
				if chain[i].PrevHash != chain[i-1].Hash {
					t.Errorf("run %d: prevHash %s, want run %d's hash %s", i+1, chain[i].PrevHash, i, chain[i-1].Hash)
				}
			}
		})
	}
}

func TestRunsSummaries(t *testing.T) {
	ctx := context.Background()
	s, _ := openFile(t)
	first := mustSave(t, s, fullRun())
	second := newRun(1, finding("PIPA-28-8-BASIS", "alipay-nsf", "", audit.SeverityCritical),
		finding("PIPA-34-BREACH-CLOCK", "", "api.unknown.example", audit.SeverityHigh))
	second.SkippedFiles = []audit.InputFile{first.Inputs[1]}
	mustSave(t, s, second)

	got, err := s.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := []RunSummary{
		{ID: second.ID, Mode: audit.ModeAudit, AsOf: second.AsOf, Started: second.Started, Finished: second.Finished,
			Records: second.Records, Inputs: 1, SkippedFiles: 1, Counts: audit.Counts{Critical: 1, High: 1},
			Findings: 2, New: 1, Resolved: 4, Hash: second.Hash, PrevHash: first.Hash},
		{ID: first.ID, Mode: audit.ModeAudit, AsOf: first.AsOf, Started: first.Started, Finished: first.Finished,
			Records: first.Records, Inputs: 3, SkippedFiles: 1, Counts: audit.Counts{Critical: 2, Medium: 1},
			Waived: 1, Baselined: 1, Findings: 5, New: 5, Hash: first.Hash},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Runs() (-want +got):\n%s", diff)
	}
	// The counts agree with the vocabulary's own summary.
	if sum := first.Summary(); sum.Counts != got[1].Counts || sum.Waived != got[1].Waived || sum.Baselined != got[1].Baselined {
		t.Errorf("Runs() counts %+v disagree with Run.Summary() %+v", got[1], sum)
	}
}

func TestIngestedFile(t *testing.T) {
	ctx := context.Background()
	s, _ := openFile(t)
	first := mustSave(t, s, fullRun())
	log, consents, skipped := first.Inputs[1], first.Inputs[2], first.SkippedFiles[0]
	again := newRun(1)
	again.Inputs = append(again.Inputs, log) // re-ingested on purpose: the first run keeps the file
	mustSave(t, s, again)

	tests := []struct {
		name   string
		sha256 string
		run    string
		ok     bool
	}{
		{"log ingested by the first run", log.SHA256, first.ID, true},
		{"consent ledgers are re-read every run", consents.SHA256, "", false},
		{"manifests are re-read every run", first.Inputs[0].SHA256, "", false},
		{"a skipped file was ingested elsewhere, not here", skipped.SHA256, "", false},
		{"unknown digest", "ff", "", false},
	}
	for _, tt := range tests {
		run, ok, err := s.IngestedFile(ctx, tt.sha256)
		if err != nil {
			t.Fatal(err)
		}
		if run != tt.run || ok != tt.ok {
			t.Errorf("%s: IngestedFile = %q, %v, want %q, %v", tt.name, run, ok, tt.run, tt.ok)
		}
	}
}

// assertNothingStored checks that no table holds a row and that the run
// passed to the failed SaveRun was left as it was.
func assertNothingStored(t *testing.T, s *Store, run *audit.Run, before *audit.Run) {
	t.Helper()
	for _, table := range allTables {
		if n := count(t, s.db, table); n != 0 {
			t.Errorf("%s holds %d rows after a failed SaveRun", table, n)
		}
	}
	runs, err := s.Runs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 0 {
		t.Errorf("Runs() = %d runs after a failed SaveRun", len(runs))
	}
	if diff := cmp.Diff(before, run); diff != "" {
		t.Errorf("failed SaveRun changed the run (-before +after):\n%s", diff)
	}
}

// cancelAfter is a context that cancels itself on the nth call of Err:
// SaveRun checks Err before every row it writes, so with the run below
// (4 input rows, then 45 findings) the 20th call falls among the findings,
// after rows were written.
type cancelAfter struct {
	context.Context
	cancel context.CancelFunc
	n      atomic.Int64
}

func (c *cancelAfter) Err() error {
	if c.n.Add(-1) == 0 {
		c.cancel()
	}
	return c.Context.Err()
}

func TestFailedSaveRunLeavesNothing(t *testing.T) {
	dup := finding("PIPA-28-8-BASIS", "alipay-nsf", "", audit.SeverityCritical)
	tests := []struct {
		name     string
		run      func() *audit.Run
		sketches []ObservationSketch
		ctx      func() context.Context
		wantErr  func(error) bool
	}{
		{
			name: "duplicate finding fingerprint",
			run: func() *audit.Run {
				return newRun(0, finding("XB-BULK-DAILY", "alipay-nsf", "", audit.SeverityCritical), dup, dup)
			},
			wantErr: func(err error) bool {
				return err != nil && regexp.MustCompile(`finding `+dup.ID+`.*UNIQUE`).MatchString(err.Error())
			},
		},
		{
			name: "finding without a severity",
			run:  func() *audit.Run { return newRun(0, finding("XB-BULK-DAILY", "alipay-nsf", "", audit.SeverityNone)) },
			wantErr: func(err error) bool {
				return err != nil && regexp.MustCompile(`CHECK constraint failed`).MatchString(err.Error())
			},
		},
		{
			name: "duplicate observation after the findings were written",
			run: func() *audit.Run {
				r := fullRun()
				r.Observations = append(r.Observations, r.Observations[0])
				return r
			},
			wantErr: func(err error) bool {
				return err != nil && regexp.MustCompile(`observation of flow "alipay-nsf" on 2024-03-01.*UNIQUE`).MatchString(err.Error())
			},
		},
		{
			name: "context cancelled in mid-write",
			run: func() *audit.Run {
				r := fullRun()
				for i := range 40 {
					r.Findings = append(r.Findings, finding("XB-ITEMS-UNDECLARED", "alipay-nsf", fmt.Sprint(i), audit.SeverityHigh))
				}
				return r
			},
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				c := &cancelAfter{Context: ctx, cancel: cancel}
				c.n.Store(20)
				return c
			},
			wantErr: func(err error) bool { return errors.Is(err, context.Canceled) },
		},
		{
			name: "context already cancelled",
			run:  fullRun,
			ctx: func() context.Context {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				return ctx
			},
			wantErr: func(err error) bool { return errors.Is(err, context.Canceled) },
		},
		{
			name:     "sketch of no observation",
			run:      fullRun,
			sketches: []ObservationSketch{{Flow: "ghost", Day: "2024-03-01", Sketch: []byte{1}}},
			wantErr: func(err error) bool {
				return err != nil && regexp.MustCompile(`sketch of flow "ghost" on 2024-03-01: the run has no such observation`).MatchString(err.Error())
			},
		},
	}
	for _, o := range openers {
		for _, tt := range tests {
			t.Run(o.name+"/"+tt.name, func(t *testing.T) {
				s, _ := o.open(t)
				run := tt.run()
				before := *run
				before.Findings = slices.Clone(run.Findings)
				ctx := context.Background()
				if tt.ctx != nil {
					ctx = tt.ctx()
				}
				err := s.SaveRunWithSketches(ctx, run, tt.sketches)
				if !tt.wantErr(err) {
					t.Fatalf("SaveRun: err = %v, not the expected error", err)
				}
				assertNothingStored(t, s, run, &before)

				// The store is still usable and the chain starts afresh.
				next := mustSave(t, s, newRun(9, dup))
				if next.PrevHash != "" {
					t.Errorf("next run links to %q, want the start of the chain", next.PrevHash)
				}
				if got := lifecycles(next.Findings); got[0].Status != audit.StatusNew {
					t.Errorf("next run: %+v, want new", got)
				}
				integrityCheck(t, s)
			})
		}
	}
}

func TestConcurrentWritersSerialise(t *testing.T) {
	ctx := context.Background()
	_, path := openFile(t)
	const writers, perWriter = 2, 6
	stores := make([]*Store, writers)
	for i := range stores {
		s, err := Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stores[i] = s
	}
	var wg sync.WaitGroup
	errs := make(chan error, writers*perWriter)
	for w, s := range stores {
		wg.Go(func() {
			for i := range perWriter {
				r := newRun(w*100+i,
					finding("PIPA-28-8-BASIS", "alipay-nsf", "", audit.SeverityCritical),
					finding("XB-ITEMS-UNDECLARED", fmt.Sprintf("flow-%d", w), fmt.Sprint(i), audit.SeverityHigh))
				r.Observations = []audit.Observation{{Flow: fmt.Sprintf("flow-%d", w), Day: r.AsOf, Records: int64(i + 1), Subjects: 1,
					Items: []string{"phone"}}}
				r.Inputs = append(r.Inputs, audit.InputFile{Path: fmt.Sprintf("w%d-%d.jsonl", w, i), SHA256: fmt.Sprintf("%d-%d", w, i), Kind: "log"})
				errs <- s.SaveRun(ctx, r)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent SaveRun: %v", err)
		}
	}

	s := stores[0]
	runs, err := s.Runs(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != writers*perWriter {
		t.Fatalf("%d runs stored, want %d", len(runs), writers*perWriter)
	}
	for i := 0; i+1 < len(runs); i++ { // newest first
		if runs[i].PrevHash != runs[i+1].Hash {
			t.Errorf("run %s links to %s, want the hash of %s", runs[i].ID, runs[i].PrevHash, runs[i+1].ID)
		}
	}
	// The finding every run reports was new once, then recurring.
	news := 0
	for _, r := range runs {
		news += r.New
	}
	if want := 1 + writers*perWriter; news != want { // the shared finding once, each per-run finding once
		t.Errorf("%d new findings over all runs, want %d", news, want)
	}
	problems, err := s.Verify(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 0 {
		t.Errorf("Verify after concurrent writes: %v", problems)
	}
	integrityCheck(t, s)
}

func TestEvidenceIsStoredAsGiven(t *testing.T) {
	ctx := context.Background()
	s, _ := openMemory(t)
	f := finding("XB-BULK-DAILY", "alipay-nsf", "", audit.SeverityCritical)
	f.Evidence = map[string]any{"subjects": json.Number("9007199254740993"), "hosts": []any{"a<b>&c"}}
	r := mustSave(t, s, newRun(0, f))
	var stored string
	if err := s.db.QueryRow(`SELECT evidence FROM findings WHERE run_id = ?`, r.ID).Scan(&stored); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(f.Evidence)
	if stored != string(want) {
		t.Errorf("stored evidence %s, want %s", stored, want)
	}
	got, err := s.Findings(ctx, FindingQuery{})
	if err != nil {
		t.Fatal(err)
	}
	// 2^53+1 survives: numbers come back as json.Number.
	if diff := cmp.Diff(f.Evidence, got[0].Evidence); diff != "" {
		t.Errorf("evidence (-saved +loaded):\n%s", diff)
	}
}

func TestSaveRunIDs(t *testing.T) {
	s, _ := openMemory(t)
	s.now = func() time.Time { return time.Date(2025, 1, 22, 18, 30, 0, 0, time.FixedZone("KST", 9*3600)) }
	noStart := newRun(0)
	noStart.Started = time.Time{}
	mustSave(t, s, noStart)
	if !regexp.MustCompile(`^20250122T093000Z-[0-9a-f]{6}$`).MatchString(noStart.ID) {
		t.Errorf("run without a start time named %q, want the clock's UTC time 20250122T093000Z-<6 hex>", noStart.ID)
	}
	given := newRun(1)
	given.ID = "20240301T030000Z-cafe00"
	mustSave(t, s, given)
	if given.ID != "20240301T030000Z-cafe00" {
		t.Errorf("given run id replaced by %q", given.ID)
	}
	again := newRun(2)
	again.ID = given.ID
	if err := s.SaveRun(context.Background(), again); err == nil {
		t.Error("saving a second run with the same id: no error")
	}
}
