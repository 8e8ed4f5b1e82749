package audit

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// InputError is a problem with something a user wrote: a manifest, a log
// line, a waiver, a mapping or a flag value. It prints as
// `file:line:col: field: message`, the shape editors and CI annotations
// understand. Line and Col are 1-based; 0 means unknown and is omitted.
type InputError struct {
	File  string `json:"file"`
	Line  int    `json:"line,omitempty"`
	Col   int    `json:"col,omitempty"`
	Field string `json:"field,omitempty"`
	Msg   string `json:"message"`
}

func (e *InputError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Col > 0 {
			fmt.Fprintf(&b, ":%d", e.Col)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// InputErrors collects every input problem of one load so that all of them
// are shown at once. Use Err to get nil when there were none.
type InputErrors []*InputError

// Add records a problem.
func (es *InputErrors) Add(file string, line, col int, field, format string, args ...any) {
	*es = append(*es, &InputError{File: file, Line: line, Col: col, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// Sort orders the errors by file, line, column, field and message.
func (es InputErrors) Sort() {
	slices.SortStableFunc(es, func(a, b *InputError) int {
		return cmp.Or(
			cmp.Compare(a.File, b.File),
			cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Col, b.Col),
			cmp.Compare(a.Field, b.Field),
			cmp.Compare(a.Msg, b.Msg),
		)
	})
}

// Err returns the sorted errors as an error, or nil when there are none.
func (es InputErrors) Err() error {
	if len(es) == 0 {
		return nil
	}
	es.Sort()
	return es
}

// Error prints one error per line.
func (es InputErrors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}
