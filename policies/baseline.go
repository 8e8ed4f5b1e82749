package policies

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	"github.com/xborder/xborder/internal/audit"
)

// BaselineVersion is the version of the baseline file format.
const BaselineVersion = 1

// Baseline is the set of findings a team has accepted as already known
// (`--baseline FILE`), so that only new findings fail the gate. It is keyed
// by finding fingerprint (audit.Finding.ID), which ignores line numbers:
// editing around a known finding keeps it baselined.
type Baseline struct {
	ids map[string]bool
}

// BaselineEntry is one baselined finding. Only ID counts; rule, flow and
// file are there for the humans who review the file in a pull request.
type BaselineEntry struct {
	ID   string `json:"id"`
	Rule string `json:"rule"`
	Flow string `json:"flow,omitempty"`
	File string `json:"file,omitempty"`
}

type baselineFile struct {
	Version  int             `json:"version"`
	Tool     string          `json:"tool"`
	Findings []BaselineEntry `json:"findings"`
}

// WriteBaseline writes the baseline of findings (`--write-baseline`): every
// finding that is not waived, sorted by fingerprint, one per line, so that
// the file diffs well. Waived findings stay out on purpose: when a waiver
// expires its finding must fail again, not hide in the baseline.
func WriteBaseline(w io.Writer, findings []audit.Finding) error {
	bf := baselineFile{Version: BaselineVersion, Tool: "xborder", Findings: []BaselineEntry{}}
	seen := map[string]bool{}
	for _, f := range findings {
		if f.Waived != nil || seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		bf.Findings = append(bf.Findings, BaselineEntry{ID: f.ID, Rule: f.Rule, Flow: f.Flow, File: f.Location.File})
	}
	slices.SortFunc(bf.Findings, func(a, b BaselineEntry) int { return cmp.Compare(a.ID, b.ID) })
	var b bytes.Buffer
	fmt.Fprintf(&b, "{\n  \"version\": %d,\n  \"tool\": \"xborder\",\n  \"findings\": [", bf.Version)
	for i, e := range bf.Findings {
		line, err := marshalNoEscape(e)
		if err != nil {
			return err
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString("\n    ")
		b.Write(line)
	}
	if len(bf.Findings) > 0 {
		b.WriteString("\n  ")
	}
	b.WriteString("]\n}\n")
	_, err := w.Write(b.Bytes())
	return err
}

func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// ReadBaseline reads a baseline file written by WriteBaseline. A file that
// is not one (bad JSON, unknown fields, another version) is a located
// audit.InputErrors.
func ReadBaseline(file string) (*Baseline, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, audit.InputErrors{{File: file, Msg: "baseline file does not exist (write one with --write-baseline)"}}
		}
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return ParseBaseline(file, data)
}

// ParseBaseline is ReadBaseline over file contents already read.
func ParseBaseline(file string, data []byte) (*Baseline, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var bf baselineFile
	fail := func(off int64, format string, args ...any) error {
		line, col := lineCol(data, off)
		return audit.InputErrors{{File: file, Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}}
	}
	if err := dec.Decode(&bf); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, fail(se.Offset, "not a baseline: %v", se)
		case errors.As(err, &te):
			return nil, fail(te.Offset, "not a baseline: %s is %s, want %s", te.Field, te.Value, te.Type)
		case errors.Is(err, io.EOF):
			return nil, fail(0, "not a baseline: empty file")
		}
		msg := strings.TrimPrefix(err.Error(), "json: ")
		off := dec.InputOffset()
		if name, ok := strings.CutPrefix(msg, "unknown field "); ok {
			if i := bytes.LastIndex(data[:off], []byte(name)); i >= 0 {
				off = int64(i) + 1 // point at the key
			}
		}
		return nil, fail(off, "not a baseline: %s", msg)
	}
	if dec.More() {
		return nil, fail(dec.InputOffset()+1, "not a baseline: data after the JSON object")
	}
	if bf.Version != BaselineVersion {
		return nil, fail(0, "baseline version %d, this build reads version %d", bf.Version, BaselineVersion)
	}
	b := &Baseline{ids: make(map[string]bool, len(bf.Findings))}
	var errs audit.InputErrors
	for i, e := range bf.Findings {
		if e.ID == "" {
			errs.Add(file, 0, 0, fmt.Sprintf("findings[%d].id", i), "missing")
			continue
		}
		b.ids[e.ID] = true
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return b, nil
}

// Len is the number of baselined fingerprints.
func (b *Baseline) Len() int {
	if b == nil {
		return 0
	}
	return len(b.ids)
}

// Contains reports whether the fingerprint is in the baseline.
func (b *Baseline) Contains(id string) bool { return b != nil && b.ids[id] }

// Apply marks the findings in the baseline (Finding.Baselined) and returns
// how many it marked. Marked findings are still reported but no longer
// decide the exit code (audit.Failing).
func (b *Baseline) Apply(findings []audit.Finding) int {
	n := 0
	for i := range findings {
		if b.Contains(findings[i].ID) {
			findings[i].Baselined = true
			n++
		}
	}
	return n
}
