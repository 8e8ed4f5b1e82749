package reports

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// envelope is the versioned JSON report (DESIGN §8). Its shape changes only
// with audit.SchemaVersion; every key is always present (empty lists are [],
// not null) so consumers need no existence checks.
type envelope struct {
	SchemaVersion int               `json:"schemaVersion"`
	Tool          audit.Tool        `json:"tool"`
	Run           envelopeRun       `json:"run"`
	Summary       envelopeSummary   `json:"summary"`
	DataQuality   audit.DataQuality `json:"dataQuality"`
	NotEvaluated  []string          `json:"notEvaluated"`
	Findings      []audit.Finding   `json:"findings"`
}

type envelopeRun struct {
	ID           string          `json:"id"`
	Mode         audit.Mode      `json:"mode"`
	AsOf         string          `json:"asOf"`
	Started      time.Time       `json:"started"`
	Finished     time.Time       `json:"finished"`
	Inputs       []envelopeInput `json:"inputs"`
	PolicyDigest string          `json:"policyDigest"`
	Records      int64           `json:"records"`
	Hash         string          `json:"hash"`
	PrevHash     string          `json:"prevHash"`
	SkippedFiles []envelopeInput `json:"skippedFiles"`
}

type envelopeInput struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Kind   string `json:"kind"`
}

// envelopeSummary counts active findings per severity plus the waived and
// baselined ones; Total is every finding in the envelope, so
// critical+high+medium+low+waived+baselined == total == len(findings).
type envelopeSummary struct {
	audit.Counts
	Waived    int `json:"waived"`
	Baselined int `json:"baselined"`
	Total     int `json:"total"`
}

// JSON writes the versioned envelope for machines: two-space indent, a
// trailing newline, findings in report order, map keys sorted by
// encoding/json. Labels are not localised: the JSON is the same in every
// language.
func JSON(w io.Writer, r *Report) error {
	if err := checkReport(r); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(newEnvelope(r.Run)); err != nil {
		return fmt.Errorf("reports: write json: %w", err)
	}
	return nil
}

func newEnvelope(run *audit.Run) *envelope {
	s := run.Summary()
	findings := sortedFindings(run.Findings)
	for i := range findings {
		if findings[i].Evidence == nil {
			findings[i].Evidence = map[string]any{}
		}
		if findings[i].Articles == nil {
			findings[i].Articles = []string{}
		}
	}
	dq := run.DataQuality
	dq.Files = sortedFiles(dq.Files)
	return &envelope{
		SchemaVersion: audit.SchemaVersion,
		Tool:          run.Tool,
		Run: envelopeRun{
			ID:           run.ID,
			Mode:         run.Mode,
			AsOf:         run.AsOf,
			Started:      run.Started,
			Finished:     run.Finished,
			Inputs:       envelopeInputs(run.Inputs),
			PolicyDigest: run.PolicyDigest,
			Records:      run.Records,
			Hash:         run.Hash,
			PrevHash:     run.PrevHash,
			SkippedFiles: envelopeInputs(run.SkippedFiles),
		},
		Summary: envelopeSummary{
			Counts:    s.Counts,
			Waived:    s.Waived,
			Baselined: s.Baselined,
			Total:     len(findings),
		},
		DataQuality:  dq,
		NotEvaluated: nonNil(slices.Sorted(slices.Values(run.NotEvaluated))),
		Findings:     findings,
	}
}

func envelopeInputs(fs []audit.InputFile) []envelopeInput {
	out := make([]envelopeInput, len(fs))
	for i, f := range fs {
		out[i] = envelopeInput{Path: f.Path, SHA256: f.SHA256, Kind: f.Kind}
	}
	return out
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
