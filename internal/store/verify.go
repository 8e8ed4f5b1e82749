package store

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// CanonicalRunJSON is the byte string a run's Hash is the SHA-256 of. It
// holds what a report carries, so that `xborder verify` can recompute the
// hash from a JSON report: the run's id, asOf, started, finished, tool,
// inputs, policyDigest, records, prevHash and findings. Findings are sorted
// by ID and hashed without Status and FirstSeen (the store derives those from
// the chain), so a report rendered before or after saving shows the same
// hash. Observations are not in it (a report does not carry them); the store
// protects them with a separate per-run data hash that Verify checks.
//
// Inputs enter as path and sha256 only, the shape of the report envelope
// (DESIGN §8); the digest covers the content, and the store's data hash
// covers kind and size.
//
// The encoding is deterministic: UTF-8 JSON, object keys sorted, no
// insignificant whitespace, no HTML escaping, times in RFC 3339 UTC (with
// nanoseconds when non-zero), inputs sorted by path and digest, absent lists
// as [] and absent evidence as {}. Numbers are written as integers when they
// are integers that fit int64 and as Go's shortest float64 form otherwise, so
// that evidence decoded as json.Number or as float64 hashes the same.
func CanonicalRunJSON(run *audit.Run) ([]byte, error) {
	type input struct {
		Path   string `json:"path"`
		SHA256 string `json:"sha256"`
	}
	inputs := make([]input, len(run.Inputs))
	for i, f := range run.Inputs {
		inputs[i] = input{f.Path, f.SHA256}
	}
	slices.SortFunc(inputs, func(a, b input) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.SHA256, b.SHA256))
	})
	findings := make([]audit.Finding, len(run.Findings))
	for i, f := range run.Findings {
		findings[i] = canonicalFinding(f, false)
	}
	slices.SortStableFunc(findings, func(a, b audit.Finding) int { return cmp.Compare(a.ID, b.ID) })
	return canonicalize(map[string]any{
		"id":           run.ID,
		"asOf":         run.AsOf,
		"started":      canonicalTime(run.Started),
		"finished":     canonicalTime(run.Finished),
		"tool":         run.Tool,
		"inputs":       inputs,
		"policyDigest": run.PolicyDigest,
		"records":      run.Records,
		"prevHash":     run.PrevHash,
		"findings":     findings,
	})
}

// RunHash is the hex SHA-256 of CanonicalRunJSON(run), or "" when the run
// cannot be encoded (evidence holding a value JSON cannot represent).
func RunHash(run *audit.Run) string {
	h, _ := runHash(run)
	return h
}

func runHash(run *audit.Run) (string, error) {
	b, err := CanonicalRunJSON(run)
	if err != nil {
		return "", fmt.Errorf("canonical run: %w", err)
	}
	return sha256Hex(b), nil
}

// findingRowHash covers a stored finding row entire, lifecycle and run
// included, so that Verify can name the finding that was edited.
func findingRowHash(runID string, f audit.Finding) (string, error) {
	b, err := canonicalize(map[string]any{"run": runID, "finding": canonicalFinding(f, true)})
	if err != nil {
		return "", fmt.Errorf("canonical finding: %w", err)
	}
	return sha256Hex(b), nil
}

// canonicalFinding normalises the parts of a finding that JSON round trips
// may change (nil lists and maps); without lifecycle it drops Status and
// FirstSeen.
func canonicalFinding(f audit.Finding, lifecycle bool) audit.Finding {
	if !lifecycle {
		f.Status, f.FirstSeen = "", ""
	}
	if f.Articles == nil {
		f.Articles = []string{}
	}
	if f.Evidence == nil {
		f.Evidence = map[string]any{}
	}
	return f
}

func canonicalTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// canonicalize encodes v with Go's JSON encoder, decodes it into plain
// values (maps sort their keys when encoded again), normalises numbers and
// encodes it once more without HTML escaping.
func canonicalize(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var tree any
	if err := d.Decode(&tree); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	e := json.NewEncoder(&out)
	e.SetEscapeHTML(false)
	if err := e.Encode(normalizeNumbers(tree)); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(out.Bytes(), []byte("\n")), nil
}

func normalizeNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			v[k] = normalizeNumbers(x)
		}
	case []any:
		for i, x := range v {
			v[i] = normalizeNumbers(x)
		}
	case json.Number:
		if i, err := strconv.ParseInt(string(v), 10, 64); err == nil {
			return json.Number(strconv.FormatInt(i, 10))
		}
		f, err := strconv.ParseFloat(string(v), 64)
		if err != nil {
			return v // out of float64 range: keep the literal
		}
		if f >= -(1<<63) && f < 1<<63 && f == math.Trunc(f) {
			return json.Number(strconv.FormatInt(int64(f), 10))
		}
		b, _ := json.Marshal(f)
		return json.Number(b)
	}
	return v
}

// dataHash covers what a run saved beyond its canonical JSON: its mode and
// skipped rules, the manifests it judged, its inputs in full (kind and size)
// and skipped files,
// observations and their sketches, unmatched traffic, data quality and the
// fingerprints it resolved.
func dataHash(r *audit.Run, sketches []ObservationSketch, resolved []string) (string, error) {
	type sketchDigest struct {
		Flow   string `json:"flow"`
		Day    string `json:"day"`
		SHA256 string `json:"sha256"`
	}
	digests := []sketchDigest{}
	for _, s := range sketches {
		digests = append(digests, sketchDigest{s.Flow, s.Day, sha256Hex(s.Sketch)})
	}
	quality := r.DataQuality
	quality.Files = orEmpty(quality.Files)
	b, err := json.Marshal(struct {
		Mode         audit.Mode          `json:"mode"`
		NotEvaluated []string            `json:"notEvaluated"`
		Manifests    *audit.Manifests    `json:"manifests"`
		Inputs       []audit.InputFile   `json:"inputs"`
		SkippedFiles []audit.InputFile   `json:"skippedFiles"`
		Observations []audit.Observation `json:"observations"`
		Sketches     []sketchDigest      `json:"sketches"`
		Unmatched    []audit.Unmatched   `json:"unmatched"`
		DataQuality  audit.DataQuality   `json:"dataQuality"`
		Resolved     []string            `json:"resolved"`
	}{r.Mode, orEmpty(r.NotEvaluated), r.Manifests, orEmpty(r.Inputs), orEmpty(r.SkippedFiles), orEmpty(r.Observations), digests,
		orEmpty(r.Unmatched), quality, orEmpty(resolved)})
	if err != nil {
		return "", fmt.Errorf("data hash: %w", err)
	}
	return sha256Hex(b), nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func sha256Hex(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// Problem is one integrity failure Verify found, named by run id and, when
// it concerns one finding, the finding's fingerprint.
type Problem struct {
	Run     string `json:"run,omitempty"`
	Finding string `json:"finding,omitempty"`
	Message string `json:"message"`
}

// String prints "run ID: finding FP: message" (or "database: message").
func (p Problem) String() string {
	s := "database: "
	if p.Run != "" {
		s = "run " + p.Run + ": "
	}
	if p.Finding != "" {
		s += "finding " + p.Finding + ": "
	}
	return s + p.Message
}

// Verify recomputes every run's hashes and the chain, and reports what was
// changed behind the store's back: a finding edited, deleted or inserted, a
// run's record or data edited, runs deleted (the seq numbers have a gap, or
// their rows remain orphaned) or inserted (the chain breaks). It also runs
// SQLite's quick_check. No problems means the database is as the runs
// saved it, up to a forger who recomputes the whole chain; the hash printed
// in each report anchors against that.
func (s *Store) Verify(ctx context.Context) ([]Problem, error) {
	var problems []Problem
	err := s.read(ctx, func(q querier) error {
		ids, seqs, err := runIDs(ctx, q)
		if err != nil {
			return err
		}
		var prev *storedRun
		for i, id := range ids {
			if err := ctx.Err(); err != nil {
				return err
			}
			sr, err := loadRun(ctx, q, id, true)
			if err != nil {
				return err
			}
			if sr.seq != seqs[i] {
				return fmt.Errorf("run %s: changed during verification", id)
			}
			ps, err := checkRun(sr)
			if err != nil {
				return err
			}
			problems = append(problems, ps...)
			problems = append(problems, checkLink(prev, sr)...)
			prev = sr
		}
		var maxSeq int64
		if err := q.QueryRowContext(ctx, `SELECT seq FROM sqlite_sequence WHERE name = 'runs'`).Scan(&maxSeq); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		switch {
		case prev != nil && maxSeq > prev.seq:
			problems = append(problems, Problem{Run: prev.run.ID, Message: fmt.Sprintf("%d run(s) saved after it were deleted", maxSeq-prev.seq)})
		case prev == nil && maxSeq > 0:
			problems = append(problems, Problem{Message: fmt.Sprintf("all %d saved run(s) were deleted", maxSeq)})
		}
		orphans, err := orphanedRuns(ctx, q)
		if err != nil {
			return err
		}
		problems = append(problems, orphans...)
		return quickCheck(ctx, q, &problems)
	})
	if err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	return problems, nil
}

func runIDs(ctx context.Context, q querier) ([]string, []int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, seq FROM runs ORDER BY seq`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ids []string
	var seqs []int64
	for rows.Next() {
		var id string
		var seq int64
		if err := rows.Scan(&id, &seq); err != nil {
			return nil, nil, err
		}
		ids, seqs = append(ids, id), append(seqs, seq)
	}
	return ids, seqs, rows.Err()
}

// checkRun recomputes one run's hashes.
func checkRun(sr *storedRun) ([]Problem, error) {
	id := sr.run.ID
	var ps []Problem
	saved := make(map[string]bool, len(sr.findingIDs))
	for _, fp := range sr.findingIDs {
		saved[fp] = true
	}
	present := make(map[string]bool, len(sr.run.Findings))
	for _, f := range sr.run.Findings { // in fingerprint order
		present[f.ID] = true
		h, err := findingRowHash(id, f)
		if err != nil {
			return nil, fmt.Errorf("run %s: finding %s: %w", id, f.ID, err)
		}
		switch {
		case !saved[f.ID]:
			ps = append(ps, Problem{id, f.ID, "not among the findings saved with the run (inserted)"})
		case h != sr.rowHashes[f.ID]:
			ps = append(ps, Problem{id, f.ID, "content hash mismatch (edited after the run was saved)"})
		}
	}
	for _, fp := range sr.findingIDs {
		if !present[fp] {
			ps = append(ps, Problem{id, fp, "missing (deleted after the run was saved)"})
		}
	}
	slices.SortStableFunc(ps, func(a, b Problem) int { return cmp.Compare(a.Finding, b.Finding) })
	if len(ps) == 0 { // finding problems already explain a run hash mismatch
		h, err := runHash(&sr.run)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", id, err)
		}
		if h != sr.run.Hash {
			ps = append(ps, Problem{Run: id, Message: "content hash mismatch (the run's record or its inputs were edited)"})
		}
	}
	dh, err := dataHash(&sr.run, sr.sketches, sr.resolved)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	if dh != sr.dataHash {
		ps = append(ps, Problem{Run: id, Message: "data hash mismatch (manifests, observations, unmatched traffic, data quality, input files or resolved findings were edited)"})
	}
	return ps, nil
}

// checkLink checks that sr follows prev in the chain.
func checkLink(prev, sr *storedRun) []Problem {
	id := sr.run.ID
	switch {
	case prev == nil && sr.seq > 1:
		return []Problem{{Run: id, Message: fmt.Sprintf("the %d run(s) saved before it were deleted", sr.seq-1)}}
	case prev == nil && sr.run.PrevHash != "":
		return []Problem{{Run: id, Message: "it is the first run but links to a previous hash (inserted)"}}
	case prev == nil:
		return nil
	case sr.seq != prev.seq+1:
		return []Problem{{Run: id, Message: fmt.Sprintf("%d run(s) saved between run %s and it were deleted", sr.seq-prev.seq-1, prev.run.ID)}}
	case sr.run.PrevHash != prev.run.Hash:
		return []Problem{{Run: id, Message: fmt.Sprintf("previous hash does not match run %s (a run was inserted before it, or that run's hash was edited)", prev.run.ID)}}
	}
	return nil
}

// orphanedRuns finds rows left by a run deleted without its cascade (foreign
// keys off): the deleted run's id survives in them.
func orphanedRuns(ctx context.Context, q querier) ([]Problem, error) {
	rows, err := q.QueryContext(ctx, `SELECT run_id, count(*) FROM (
			SELECT run_id FROM findings UNION ALL SELECT run_id FROM observations UNION ALL
			SELECT run_id FROM inputs UNION ALL SELECT run_id FROM resolved UNION ALL
			SELECT run_id FROM unmatched UNION ALL SELECT run_id FROM data_quality)
		WHERE run_id NOT IN (SELECT id FROM runs) GROUP BY run_id ORDER BY run_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ps []Problem
	for rows.Next() {
		var id string
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		ps = append(ps, Problem{Run: id, Message: fmt.Sprintf("deleted, yet %d of its rows remain", n)})
	}
	return ps, rows.Err()
}

func quickCheck(ctx context.Context, q querier, problems *[]Problem) error {
	rows, err := q.QueryContext(ctx, `PRAGMA quick_check`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var msg string
		if err := rows.Scan(&msg); err != nil {
			return err
		}
		if msg != "ok" {
			*problems = append(*problems, Problem{Message: "sqlite quick_check: " + msg})
		}
	}
	return rows.Err()
}
