package reports

import (
	"bufio"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// ANSI styles of the text format, used only when Report.Color is set.
const (
	ansiReset = "\x1b[0m"
	ansiBold  = "\x1b[1m"
	ansiDim   = "\x1b[2m"
	ansiPass  = "\x1b[1;32m" // bold green
	ansiFail  = "\x1b[1;31m" // bold red
)

var severityColor = map[string]string{
	"critical": "\x1b[1;31m", // bold red
	"high":     "\x1b[31m",   // red
	"medium":   "\x1b[33m",   // yellow
	"low":      "\x1b[36m",   // cyan
}

// Text writes the terminal summary the engineer reads at the pre-merge gate:
// active findings grouped by severity, one or two lines each
// (`file:line  RULE-ID  flow  message`, then the remediation), then the
// counts, rules not evaluated, data quality and the verdict line.
func Text(w io.Writer, r *Report) error {
	if err := checkReport(r); err != nil {
		return err
	}
	v := newView(r, false)
	t := &textWriter{w: bufio.NewWriter(w), color: r.Color}
	l := v.L

	head := []string{v.Tool, v.Mode}
	if v.AsOf != "" {
		head = append(head, l["asof"]+" "+v.AsOf)
	}
	if v.Organization != "" {
		head = append(head, v.Organization)
	}
	t.line(ansiBold, joinNonEmpty(head, " · "))
	t.nl()

	if len(v.Active) == 0 {
		t.line("", l["text.none"])
		t.nl()
	}
	for _, g := range v.Active {
		t.line(severityColor[g.Name], fmt.Sprintf("%s (%d)", strings.ToUpper(g.Label), len(g.Findings)))
		for _, f := range g.Findings {
			t.str("  ")
			if f.Location != "" {
				t.style(ansiDim, f.Location)
				t.str("  ")
			}
			t.style(ansiBold, f.Rule)
			if f.Flow != "" {
				t.str("  " + f.Flow)
			}
			t.str("  " + f.Message)
			t.nl()
			if f.Remediation != "" {
				t.str("      " + l["text.fix"] + " " + f.Remediation)
				t.nl()
			}
		}
		t.nl()
	}

	counts := make([]string, 0, len(v.Summary.Severities))
	for _, c := range v.Summary.Severities {
		counts = append(counts, fmt.Sprintf(l["text.count"], c.Label, c.Count))
	}
	t.line("", fmt.Sprintf("%s: %s · %s · %s", l["findings"], strings.Join(counts, ", "),
		fmt.Sprintf(l["text.count"], l["waived"], v.Summary.Waived),
		fmt.Sprintf(l["text.count"], l["baselined"], v.Summary.Baselined)))
	if len(v.NotEvaluated) > 0 {
		t.line("", l["notEvaluated"]+": "+strings.Join(v.NotEvaluated, ", "))
	}
	if dq := v.DataQuality; dq.Read {
		t.line("", fmt.Sprintf(l["text.dataQuality"], l["dataQuality"], dq.Bad, dq.Lines, dq.BadRatio, dq.Unmatched))
	}
	verdictStyle := ansiPass
	if !v.Verdict.Pass {
		verdictStyle = ansiFail
	}
	t.line(verdictStyle, v.Verdict.Text)
	return t.flush()
}

// textWriter writes styled text, dropping styles when colour is off, and
// keeps the first write error.
type textWriter struct {
	w     *bufio.Writer
	color bool
}

// str writes s with its control characters replaced (see clean).
func (t *textWriter) str(s string) { t.w.WriteString(clean(s)) }
func (t *textWriter) nl()          { t.w.WriteByte('\n') }

func (t *textWriter) style(style, s string) {
	if t.color && style != "" {
		t.w.WriteString(style + clean(s) + ansiReset)
		return
	}
	t.str(s)
}

func (t *textWriter) line(style, s string) {
	t.style(style, s)
	t.nl()
}

func (t *textWriter) flush() error {
	if err := t.w.Flush(); err != nil {
		return fmt.Errorf("reports: write text: %w", err)
	}
	return nil
}

// clean replaces control characters so that a hostile flow name or message
// cannot move the cursor, recolour or rewrite the terminal.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}

func joinNonEmpty(parts []string, sep string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, sep)
}
