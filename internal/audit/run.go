package audit

import "time"

// SchemaVersion is the version of the JSON envelope (DESIGN §8).
const SchemaVersion = 1

// Tool identifies the build that produced a run.
type Tool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// Run is one evaluation: its inputs, its findings and what it read.
type Run struct {
	ID           string      `json:"id"`
	Mode         Mode        `json:"mode"`
	AsOf         string      `json:"asOf"`
	Started      time.Time   `json:"started"`
	Finished     time.Time   `json:"finished"`
	Tool         Tool        `json:"tool"`
	Inputs       []InputFile `json:"inputs"`
	PolicyDigest string      `json:"policyDigest"`
	Records      int64       `json:"records"`
	SkippedFiles []InputFile `json:"skippedFiles,omitempty"` // log files already ingested by an earlier run
	Findings     []Finding   `json:"findings"`
	// Manifests is the declared state the run judged (for the transfer
	// inventory of reports); stored with the run, not part of the envelope.
	Manifests    *Manifests    `json:"-"`
	Observations []Observation `json:"-"` // stored per run, not part of the envelope
	Unmatched    []Unmatched   `json:"-"`
	DataQuality  DataQuality   `json:"dataQuality"`
	// NotEvaluated lists rules skipped because their evidence was absent
	// (for `check`, the rules that need observations).
	NotEvaluated []string `json:"notEvaluated,omitempty"`
	// Hash is the SHA-256 of the run's canonical JSON; PrevHash links runs
	// into a chain so that an edited, inserted or deleted run shows.
	Hash     string `json:"hash,omitempty"`
	PrevHash string `json:"prevHash,omitempty"`
}

// Summary counts a run's findings.
func (r *Run) Summary() Summary {
	s := Summary{Flows: map[string]int{}}
	for _, f := range r.Findings {
		switch {
		case f.Waived != nil:
			s.Waived++
		case f.Baselined:
			s.Baselined++
		default:
			s.Counts.Add(f.Severity)
		}
		if f.Flow != "" {
			s.Flows[f.Flow]++
		}
	}
	return s
}

// Summary is the per-severity count of active (unwaived, unbaselined)
// findings plus the waived and baselined totals.
type Summary struct {
	Counts
	Waived    int            `json:"waived"`
	Baselined int            `json:"baselined"`
	Flows     map[string]int `json:"-"`
}
