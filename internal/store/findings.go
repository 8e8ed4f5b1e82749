package store

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/xborder/xborder/internal/audit"
)

// Finding filters accepted by FindingQuery.Status.
const (
	// StatusOpen selects every finding a run reports, new or recurring.
	StatusOpen = "open"
)

// FindingQuery selects findings of one run for `xborder findings`.
type FindingQuery struct {
	// Run is a run id, a unique prefix of one, or "latest" (also "").
	Run string
	// Status is "" or "open" (every finding of the run), "new",
	// "recurring", or "resolved" (the previous run's findings this run no
	// longer reports).
	Status string
	// Rule and Flow, when set, keep only findings of that rule or flow.
	Rule string
	Flow string
}

// Findings returns the findings of one run that match q, sorted as every
// output sorts them.
func (s *Store) Findings(ctx context.Context, q FindingQuery) ([]audit.Finding, error) {
	switch q.Status {
	case "", StatusOpen, audit.StatusNew, audit.StatusRecurring, audit.StatusResolved:
	default:
		return nil, fmt.Errorf("findings: unknown status %q (want open, new, recurring or resolved)", q.Status)
	}
	var out []audit.Finding
	err := s.read(ctx, func(tx querier) error {
		id, err := resolveRunID(ctx, tx, q.Run)
		if err != nil {
			return err
		}
		var fs []audit.Finding
		if q.Status == audit.StatusResolved {
			fs, err = loadResolved(ctx, tx, id)
		} else {
			fs, _, err = loadFindings(ctx, tx, id)
		}
		if err != nil {
			return fmt.Errorf("run %s: %w", id, err)
		}
		out = slices.DeleteFunc(fs, func(f audit.Finding) bool {
			return (q.Rule != "" && f.Rule != q.Rule) || (q.Flow != "" && f.Flow != q.Flow) ||
				(q.Status == audit.StatusNew || q.Status == audit.StatusRecurring) && f.Status != q.Status
		})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("findings: %w", err)
	}
	audit.SortFindings(out)
	return out, nil
}

// Resolved returns the findings resolved in a run: reported by the previous
// run of the same mode, no longer reported by this one. Each carries what it
// was when last reported (rule, severity, title, flow, message, location),
// Status "resolved" and FirstSeen.
func (s *Store) Resolved(ctx context.Context, runID string) ([]audit.Finding, error) {
	return s.Findings(ctx, FindingQuery{Run: runID, Status: audit.StatusResolved})
}

// priorFinding is what lifecycle needs of a finding of the previous run.
type priorFinding struct {
	finding  audit.Finding // ID, Rule, Severity, Title, Flow, Message, Location, FirstSeen
	lastSeen string
}

// priorFindings reads the findings of the latest stored run of mode.
func priorFindings(ctx context.Context, q querier, mode audit.Mode) (map[string]priorFinding, error) {
	var prevID string
	err := q.QueryRowContext(ctx, `SELECT id FROM runs WHERE mode = ? ORDER BY seq DESC LIMIT 1`, string(mode)).Scan(&prevID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read previous run: %w", err)
	}
	fs, _, err := loadFindings(ctx, q, prevID)
	if err != nil {
		return nil, fmt.Errorf("read previous run %s: %w", prevID, err)
	}
	prior := make(map[string]priorFinding, len(fs))
	for _, f := range fs {
		prior[f.ID] = priorFinding{finding: f, lastSeen: prevID}
	}
	return prior, nil
}

// applyLifecycle fills Status and FirstSeen of r's findings from the previous
// run's and returns the previous findings that r no longer has, sorted by
// fingerprint.
func applyLifecycle(r *audit.Run, prior map[string]priorFinding) []priorFinding {
	seen := make(map[string]bool, len(r.Findings))
	for i := range r.Findings {
		f := &r.Findings[i]
		seen[f.ID] = true
		if p, ok := prior[f.ID]; ok {
			f.Status, f.FirstSeen = audit.StatusRecurring, p.finding.FirstSeen
		} else {
			f.Status, f.FirstSeen = audit.StatusNew, r.ID
		}
	}
	var resolved []priorFinding
	for id, p := range prior {
		if !seen[id] {
			resolved = append(resolved, p)
		}
	}
	slices.SortFunc(resolved, func(a, b priorFinding) int { return cmp.Compare(a.finding.ID, b.finding.ID) })
	return resolved
}

func fingerprints(ps []priorFinding) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.finding.ID
	}
	return ids
}

func insertFindings(ctx context.Context, c querier, runID string, fs []audit.Finding) error {
	stmt, err := c.PrepareContext(ctx, `INSERT INTO findings (run_id, fingerprint, rule, severity, title, title_ko,
		articles, flow, message, evidence, file, line, col, field, remediation, remediation_ko, finding_key, waived,
		baselined, status, first_seen, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, f := range fs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := insertFinding(ctx, stmt, runID, f); err != nil {
			return fmt.Errorf("finding %s (%s): %w", f.ID, f.Rule, err)
		}
	}
	return nil
}

func insertFinding(ctx context.Context, stmt *sql.Stmt, runID string, f audit.Finding) error {
	articles, err := jsonText(f.Articles)
	if err != nil {
		return err
	}
	evidence, err := jsonText(f.Evidence)
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	var waived *string
	if f.Waived != nil {
		w, err := jsonText(f.Waived)
		if err != nil {
			return err
		}
		waived = &w
	}
	hash, err := findingRowHash(runID, f)
	if err != nil {
		return err
	}
	_, err = stmt.ExecContext(ctx, runID, f.ID, f.Rule, f.Severity.String(), f.Title, f.TitleKO, articles, f.Flow,
		f.Message, evidence, f.Location.File, f.Location.Line, f.Location.Col, f.Field, f.Remediation, f.RemediationKO,
		f.Key, waived, f.Baselined, f.Status, f.FirstSeen, hash)
	return err
}

// loadFindings reads a run's findings (in fingerprint order) and their
// stored row hashes.
func loadFindings(ctx context.Context, q querier, runID string) ([]audit.Finding, map[string]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT fingerprint, rule, severity, title, title_ko, articles, flow, message, evidence,
		file, line, col, field, remediation, remediation_ko, finding_key, waived, baselined, status, first_seen, hash
		FROM findings WHERE run_id = ? ORDER BY fingerprint`, runID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	fs := []audit.Finding{}
	hashes := map[string]string{}
	for rows.Next() {
		var f audit.Finding
		var severity, articles, evidence, hash string
		var waived sql.NullString
		if err := rows.Scan(&f.ID, &f.Rule, &severity, &f.Title, &f.TitleKO, &articles, &f.Flow, &f.Message, &evidence,
			&f.Location.File, &f.Location.Line, &f.Location.Col, &f.Field, &f.Remediation, &f.RemediationKO, &f.Key,
			&waived, &f.Baselined, &f.Status, &f.FirstSeen, &hash); err != nil {
			return nil, nil, err
		}
		if f.Severity, err = audit.ParseSeverity(severity); err != nil {
			return nil, nil, fmt.Errorf("finding %s: %w", f.ID, err)
		}
		if err := json.Unmarshal([]byte(articles), &f.Articles); err != nil {
			return nil, nil, fmt.Errorf("finding %s: articles: %w", f.ID, err)
		}
		if f.Evidence, err = decodeEvidence(evidence); err != nil {
			return nil, nil, fmt.Errorf("finding %s: evidence: %w", f.ID, err)
		}
		if waived.Valid {
			f.Waived = new(audit.Waiver)
			if err := json.Unmarshal([]byte(waived.String), f.Waived); err != nil {
				return nil, nil, fmt.Errorf("finding %s: waived: %w", f.ID, err)
			}
		}
		fs = append(fs, f)
		hashes[f.ID] = hash
	}
	return fs, hashes, rows.Err()
}

// decodeEvidence reads evidence JSON keeping numbers as json.Number: that is
// what the policy engine hands over (OPA results), and it keeps large
// integers exact.
func decodeEvidence(s string) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader([]byte(s)))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, err
	}
	return m, nil
}

func insertResolved(ctx context.Context, c querier, runID string, resolved []priorFinding) error {
	stmt, err := c.PrepareContext(ctx, `INSERT INTO resolved (run_id, fingerprint, rule, severity, title, flow, message,
		file, line, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, p := range resolved {
		if err := ctx.Err(); err != nil {
			return err
		}
		f := p.finding
		if _, err := stmt.ExecContext(ctx, runID, f.ID, f.Rule, f.Severity.String(), f.Title, f.Flow, f.Message, f.Location.File, f.Location.Line,
			f.FirstSeen, p.lastSeen); err != nil {
			return fmt.Errorf("resolved finding %s: %w", f.ID, err)
		}
	}
	return nil
}

func loadResolved(ctx context.Context, q querier, runID string) ([]audit.Finding, error) {
	rows, err := q.QueryContext(ctx, `SELECT fingerprint, rule, severity, title, flow, message, file, line, first_seen
		FROM resolved WHERE run_id = ? ORDER BY fingerprint`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	fs := []audit.Finding{}
	for rows.Next() {
		f := audit.Finding{Status: audit.StatusResolved}
		var severity string
		if err := rows.Scan(&f.ID, &f.Rule, &severity, &f.Title, &f.Flow, &f.Message, &f.Location.File, &f.Location.Line,
			&f.FirstSeen); err != nil {
			return nil, err
		}
		if f.Severity, err = audit.ParseSeverity(severity); err != nil {
			return nil, fmt.Errorf("resolved finding %s: %w", f.ID, err)
		}
		fs = append(fs, f)
	}
	return fs, rows.Err()
}

func resolvedFingerprints(ctx context.Context, q querier, runID string) ([]string, error) {
	rows, err := q.QueryContext(ctx, `SELECT fingerprint FROM resolved WHERE run_id = ? ORDER BY fingerprint`, runID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}
