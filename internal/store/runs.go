package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// RunSummary is one line of `xborder runs`: a run without its details.
type RunSummary struct {
	ID       string     `json:"id"`
	Mode     audit.Mode `json:"mode"`
	AsOf     string     `json:"asOf"`
	Started  time.Time  `json:"started"`
	Finished time.Time  `json:"finished"`
	Records  int64      `json:"records"`
	// Inputs counts the files read; SkippedFiles those skipped because an
	// earlier run had ingested them.
	Inputs       int `json:"inputs"`
	SkippedFiles int `json:"skippedFiles"`
	// Counts are the active findings (neither waived nor baselined) by
	// severity, as in audit.Run.Summary.
	Counts    audit.Counts `json:"counts"`
	Waived    int          `json:"waived"`
	Baselined int          `json:"baselined"`
	// Findings is every finding of the run, New those first seen in it,
	// Resolved those of the previous run it no longer reports.
	Findings int    `json:"findings"`
	New      int    `json:"new"`
	Resolved int    `json:"resolved"`
	Hash     string `json:"hash"`
	PrevHash string `json:"prevHash"`
}

// eventKinds are the input kinds ingested once by digest: transfer logs and
// partial aggregates of them. Manifests and consent ledgers are state, read
// again by every run.
var eventKinds = []string{"log", "partial"}

// SaveRun stores a run and everything it saw in one transaction; see
// SaveRunWithSketches.
func (s *Store) SaveRun(ctx context.Context, run *audit.Run) error {
	return s.SaveRunWithSketches(ctx, run, nil)
}

// SaveRunWithSketches stores a run: its header, inputs, findings,
// observations (each with its distinct-subject sketch when one is given),
// unmatched traffic and data quality, in one BEGIN IMMEDIATE transaction.
// On any error, including a cancelled ctx, nothing is stored and run is left
// as it was.
//
// On success it has filled in run.ID (when empty: the start time and 3 random
// bytes, "20060102T150405Z-a1b2c3"), run.PrevHash and run.Hash (the hash
// chain), and each finding's Status and FirstSeen, computed against the
// previous run of the same mode (an audit is not compared with a check):
// a fingerprint that run had is "recurring" and keeps its first-seen run,
// any other is "new"; the previous run's fingerprints missing now are
// recorded as resolved in this run. A finding that comes back after being
// resolved is new again.
//
// Event files (Kind "log" or "partial") among run.Inputs are recorded by
// digest for IngestedFile; a digest already recorded keeps its first run.
func (s *Store) SaveRunWithSketches(ctx context.Context, run *audit.Run, sketches []ObservationSketch) error {
	if run == nil {
		return errors.New("save run: nil run")
	}
	r := *run
	r.Findings = slices.Clone(run.Findings)
	if r.ID == "" {
		started := r.Started
		if started.IsZero() {
			started = s.now()
		}
		r.ID = newRunID(started)
	}
	sketchOf, err := indexSketches(r.Observations, sketches)
	if err != nil {
		return fmt.Errorf("save run %s: %w", r.ID, err)
	}
	err = s.immediate(ctx, func(c *sql.Conn) error {
		if err := c.QueryRowContext(ctx, `SELECT hash FROM runs ORDER BY seq DESC LIMIT 1`).Scan(&r.PrevHash); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("read previous run: %w", err)
		}
		prior, err := priorFindings(ctx, c, r.Mode)
		if err != nil {
			return err
		}
		resolved := applyLifecycle(&r, prior)
		if r.Hash, err = runHash(&r); err != nil {
			return err
		}
		dh, err := dataHash(&r, sketchList(r.Observations, sketchOf), fingerprints(resolved))
		if err != nil {
			return err
		}
		if err := insertRun(ctx, c, &r, dh); err != nil {
			return err
		}
		if err := insertInputs(ctx, c, &r); err != nil {
			return err
		}
		if err := insertFindings(ctx, c, r.ID, r.Findings); err != nil {
			return err
		}
		if err := insertResolved(ctx, c, r.ID, resolved); err != nil {
			return err
		}
		if err := insertObservations(ctx, c, r.ID, r.Observations, sketchOf); err != nil {
			return err
		}
		if err := insertUnmatched(ctx, c, r.ID, r.Unmatched); err != nil {
			return err
		}
		return insertQuality(ctx, c, r.ID, r.DataQuality.Files)
	})
	if err != nil {
		return fmt.Errorf("save run %s: %w", r.ID, err)
	}
	run.ID, run.Hash, run.PrevHash = r.ID, r.Hash, r.PrevHash
	for i := range run.Findings {
		run.Findings[i].Status = r.Findings[i].Status
		run.Findings[i].FirstSeen = r.Findings[i].FirstSeen
	}
	return nil
}

// newRunID names a run after its start time so that ids sort like runs, plus
// 3 random bytes so that two runs started in the same second differ.
func newRunID(t time.Time) string {
	var b [3]byte
	_, _ = rand.Read(b[:])
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

func insertRun(ctx context.Context, c querier, r *audit.Run, dataHash string) error {
	ids := make([]string, len(r.Findings))
	for i, f := range r.Findings {
		ids[i] = f.ID
	}
	slices.Sort(ids)
	notEvaluated, err := jsonText(r.NotEvaluated)
	if err != nil {
		return err
	}
	findingIDs, err := jsonText(ids)
	if err != nil {
		return err
	}
	var manifests *string
	if r.Manifests != nil {
		m, err := jsonText(r.Manifests)
		if err != nil {
			return fmt.Errorf("manifests: %w", err)
		}
		manifests = &m
	}
	_, err = c.ExecContext(ctx, `INSERT INTO runs (id, mode, as_of, started, finished, tool_name, tool_version,
		policy_digest, records, not_evaluated, quality_lines, quality_bad, quality_unmatched_lines, finding_ids,
		manifests, hash, prev_hash, data_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, string(r.Mode), r.AsOf, formatTime(r.Started), formatTime(r.Finished), r.Tool.Name, r.Tool.Version,
		r.PolicyDigest, r.Records, notEvaluated, r.DataQuality.Lines, r.DataQuality.Bad, r.DataQuality.UnmatchedLines,
		findingIDs, manifests, r.Hash, r.PrevHash, dataHash)
	if err != nil {
		return fmt.Errorf("insert run: %w", err)
	}
	return nil
}

func insertInputs(ctx context.Context, c querier, r *audit.Run) error {
	for skipped, files := range [][]audit.InputFile{r.Inputs, r.SkippedFiles} {
		for pos, f := range files {
			if err := ctx.Err(); err != nil {
				return err
			}
			if _, err := c.ExecContext(ctx, `INSERT INTO inputs (run_id, skipped, pos, path, sha256, kind, size)
				VALUES (?, ?, ?, ?, ?, ?, ?)`, r.ID, skipped, pos, f.Path, f.SHA256, f.Kind, f.Size); err != nil {
				return fmt.Errorf("input %s: %w", f.Path, err)
			}
			if skipped == 1 || !slices.Contains(eventKinds, f.Kind) {
				continue
			}
			if _, err := c.ExecContext(ctx, `INSERT INTO ingested_files (sha256, path, kind, size, run_id)
				VALUES (?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`, f.SHA256, f.Path, f.Kind, f.Size, r.ID); err != nil {
				return fmt.Errorf("input %s: %w", f.Path, err)
			}
		}
	}
	return nil
}

func insertQuality(ctx context.Context, c querier, runID string, files []audit.FileQuality) error {
	for pos, f := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		examples, err := jsonText(f.Examples)
		if err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `INSERT INTO data_quality (run_id, pos, path, lines, records, bad, examples)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, runID, pos, f.Path, f.Lines, f.Records, f.Bad, examples); err != nil {
			return fmt.Errorf("data quality of %s: %w", f.Path, err)
		}
	}
	return nil
}

// Runs lists every stored run, newest first.
func (s *Store) Runs(ctx context.Context) ([]RunSummary, error) {
	var out []RunSummary
	err := s.read(ctx, func(q querier) error {
		rows, err := q.QueryContext(ctx, `SELECT r.id, r.mode, r.as_of, r.started, r.finished, r.records, r.hash, r.prev_hash,
			(SELECT count(*) FROM inputs i WHERE i.run_id = r.id AND i.skipped = 0),
			(SELECT count(*) FROM inputs i WHERE i.run_id = r.id AND i.skipped = 1),
			(SELECT count(*) FROM resolved x WHERE x.run_id = r.id),
			count(f.fingerprint),
			coalesce(sum(f.status = 'new'), 0),
			coalesce(sum(f.waived IS NOT NULL), 0),
			coalesce(sum(f.waived IS NULL AND f.baselined = 1), 0),
			coalesce(sum(f.waived IS NULL AND f.baselined = 0 AND f.severity = 'critical'), 0),
			coalesce(sum(f.waived IS NULL AND f.baselined = 0 AND f.severity = 'high'), 0),
			coalesce(sum(f.waived IS NULL AND f.baselined = 0 AND f.severity = 'medium'), 0),
			coalesce(sum(f.waived IS NULL AND f.baselined = 0 AND f.severity = 'low'), 0)
			FROM runs r LEFT JOIN findings f ON f.run_id = r.id
			GROUP BY r.seq ORDER BY r.seq DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var rs RunSummary
			var mode, started, finished string
			if err := rows.Scan(&rs.ID, &mode, &rs.AsOf, &started, &finished, &rs.Records, &rs.Hash, &rs.PrevHash,
				&rs.Inputs, &rs.SkippedFiles, &rs.Resolved, &rs.Findings, &rs.New, &rs.Waived, &rs.Baselined,
				&rs.Counts.Critical, &rs.Counts.High, &rs.Counts.Medium, &rs.Counts.Low); err != nil {
				return err
			}
			rs.Mode = audit.Mode(mode)
			if rs.Started, err = parseTime(started); err != nil {
				return fmt.Errorf("run %s: started: %w", rs.ID, err)
			}
			if rs.Finished, err = parseTime(finished); err != nil {
				return fmt.Errorf("run %s: finished: %w", rs.ID, err)
			}
			out = append(out, rs)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, fmt.Errorf("list runs: %w", err)
	}
	return out, nil
}

// Run returns one stored run in full: its header, inputs and skipped files,
// findings (sorted as every output sorts them, with Status and FirstSeen),
// the manifests it judged (without field locations or warnings, which are
// not stored), observations and unmatched traffic (in the order saved) and
// data quality.
// id is a run id, a unique prefix of one, or "latest" (also "").
// Empty and nil slices are not told apart: Findings, Inputs and
// DataQuality.Files come back empty, the others nil, when there were none.
func (s *Store) Run(ctx context.Context, id string) (*audit.Run, error) {
	var run *audit.Run
	err := s.read(ctx, func(q querier) error {
		full, err := resolveRunID(ctx, q, id)
		if err != nil {
			return err
		}
		sr, err := loadRun(ctx, q, full, false)
		if err != nil {
			return err
		}
		run = &sr.run
		audit.SortFindings(run.Findings)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// resolveRunID turns "latest", "" or a unique id prefix into a run id.
func resolveRunID(ctx context.Context, q querier, id string) (string, error) {
	if id == "" || id == "latest" {
		var full string
		err := q.QueryRowContext(ctx, `SELECT id FROM runs ORDER BY seq DESC LIMIT 1`).Scan(&full)
		if errors.Is(err, sql.ErrNoRows) {
			return "", fmt.Errorf("latest run: %w: the database holds no run yet", ErrNotFound)
		}
		return full, err
	}
	rows, err := q.QueryContext(ctx, `SELECT id FROM runs WHERE id = ?1 OR substr(id, 1, length(?1)) = ?1 ORDER BY seq LIMIT 3`, id)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return "", err
		}
		if s == id {
			return s, nil
		}
		ids = append(ids, s)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	switch len(ids) {
	case 0:
		return "", fmt.Errorf("run %s: %w", id, ErrNotFound)
	case 1:
		return ids[0], nil
	}
	return "", fmt.Errorf("run %s: ambiguous prefix (%s, …)", id, strings.Join(ids, ", "))
}

// storedRun is a run as stored, with what only Verify needs.
type storedRun struct {
	seq        int64
	run        audit.Run
	findingIDs []string          // the fingerprints saved with the run
	dataHash   string            // the stored data hash
	rowHashes  map[string]string // fingerprint → stored finding row hash
	sketches   []ObservationSketch
	resolved   []string // fingerprints resolved in the run
}

// loadRun reads a whole run; sketches (large) only when asked.
func loadRun(ctx context.Context, q querier, id string, withSketches bool) (*storedRun, error) {
	sr := &storedRun{}
	r := &sr.run
	var mode, started, finished, notEvaluated, findingIDs string
	var manifests sql.NullString
	err := q.QueryRowContext(ctx, `SELECT seq, id, mode, as_of, started, finished, tool_name, tool_version, policy_digest,
		records, not_evaluated, quality_lines, quality_bad, quality_unmatched_lines, finding_ids, manifests, hash, prev_hash,
		data_hash FROM runs WHERE id = ?`, id).Scan(&sr.seq, &r.ID, &mode, &r.AsOf, &started, &finished, &r.Tool.Name,
		&r.Tool.Version, &r.PolicyDigest, &r.Records, &notEvaluated, &r.DataQuality.Lines, &r.DataQuality.Bad,
		&r.DataQuality.UnmatchedLines, &findingIDs, &manifests, &r.Hash, &r.PrevHash, &sr.dataHash)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("run %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", id, err)
	}
	r.Mode = audit.Mode(mode)
	if r.Started, err = parseTime(started); err != nil {
		return nil, fmt.Errorf("run %s: started: %w", id, err)
	}
	if r.Finished, err = parseTime(finished); err != nil {
		return nil, fmt.Errorf("run %s: finished: %w", id, err)
	}
	if err := json.Unmarshal([]byte(notEvaluated), &r.NotEvaluated); err != nil {
		return nil, fmt.Errorf("run %s: not evaluated: %w", id, err)
	}
	if err := json.Unmarshal([]byte(findingIDs), &sr.findingIDs); err != nil {
		return nil, fmt.Errorf("run %s: finding ids: %w", id, err)
	}
	if manifests.Valid {
		r.Manifests = new(audit.Manifests)
		if err := json.Unmarshal([]byte(manifests.String), r.Manifests); err != nil {
			return nil, fmt.Errorf("run %s: manifests: %w", id, err)
		}
	}
	if r.Inputs, r.SkippedFiles, err = loadInputs(ctx, q, id); err != nil {
		return nil, fmt.Errorf("run %s: inputs: %w", id, err)
	}
	if r.Findings, sr.rowHashes, err = loadFindings(ctx, q, id); err != nil {
		return nil, fmt.Errorf("run %s: findings: %w", id, err)
	}
	if r.Observations, sr.sketches, err = loadObservations(ctx, q, id, withSketches); err != nil {
		return nil, fmt.Errorf("run %s: observations: %w", id, err)
	}
	if r.Unmatched, err = loadUnmatched(ctx, q, id); err != nil {
		return nil, fmt.Errorf("run %s: unmatched: %w", id, err)
	}
	if r.DataQuality.Files, err = loadQuality(ctx, q, id); err != nil {
		return nil, fmt.Errorf("run %s: data quality: %w", id, err)
	}
	if sr.resolved, err = resolvedFingerprints(ctx, q, id); err != nil {
		return nil, fmt.Errorf("run %s: resolved: %w", id, err)
	}
	return sr, nil
}

func loadInputs(ctx context.Context, q querier, runID string) (inputs, skipped []audit.InputFile, err error) {
	rows, err := q.QueryContext(ctx, `SELECT skipped, path, sha256, kind, size FROM inputs WHERE run_id = ? ORDER BY skipped, pos`, runID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	inputs = []audit.InputFile{}
	for rows.Next() {
		var f audit.InputFile
		var isSkipped bool
		if err := rows.Scan(&isSkipped, &f.Path, &f.SHA256, &f.Kind, &f.Size); err != nil {
			return nil, nil, err
		}
		if isSkipped {
			skipped = append(skipped, f)
		} else {
			inputs = append(inputs, f)
		}
	}
	return inputs, skipped, rows.Err()
}

func loadQuality(ctx context.Context, q querier, runID string) ([]audit.FileQuality, error) {
	rows, err := q.QueryContext(ctx, `SELECT path, lines, records, bad, examples FROM data_quality WHERE run_id = ? ORDER BY pos`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	files := []audit.FileQuality{}
	for rows.Next() {
		var f audit.FileQuality
		var examples string
		if err := rows.Scan(&f.Path, &f.Lines, &f.Records, &f.Bad, &examples); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(examples), &f.Examples); err != nil {
			return nil, fmt.Errorf("%s: examples: %w", f.Path, err)
		}
		files = append(files, f)
	}
	return files, rows.Err()
}

// IngestedFile reports whether an event file with this SHA-256 was already
// ingested, and by which run: the audit skips such files (incremental
// ingestion), so that a day's log read twice is not counted twice.
func (s *Store) IngestedFile(ctx context.Context, sha256 string) (runID string, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT run_id FROM ingested_files WHERE sha256 = ?`, sha256).Scan(&runID)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("ingested file %s: %w", sha256, err)
	}
	return runID, true, nil
}

// IngestedSize reports whether an ingested event file has this size. A file
// of any other size cannot be one already ingested, so an incremental audit
// need not digest it before reading it (reading digests it anyway).
func (s *Store) IngestedSize(ctx context.Context, size int64) (bool, error) {
	var one int
	err := s.db.QueryRowContext(ctx, `SELECT 1 FROM ingested_files WHERE size = ? LIMIT 1`, size).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("ingested files of size %d: %w", size, err)
	}
	return true, nil
}

// formatTime is how times are stored: RFC 3339 in UTC with nanoseconds, so
// that they sort as text and round-trip exactly.
func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func parseTime(s string) (time.Time, error) { return time.Parse(time.RFC3339Nano, s) }

// jsonText encodes a value for a JSON column.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}
