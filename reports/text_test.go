package reports

import (
	"bytes"
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/audit"
)

func TestTextColor(t *testing.T) {
	plain := render(t, "text", testReport("en"))
	if bytes.Contains(plain, []byte("\x1b")) {
		t.Errorf("plain text has ANSI escapes")
	}
	r := testReport("en")
	r.Color = true
	color := render(t, "text", r)
	for _, want := range []string{ansiFail + "FAIL: 3 findings at or above high" + ansiReset, severityColor["critical"] + "CRITICAL (2)" + ansiReset} {
		if !bytes.Contains(color, []byte(want)) {
			t.Errorf("colour text lacks %q", want)
		}
	}
	// Without the escapes, colour and plain say the same thing.
	stripped := color
	for _, esc := range []string{ansiReset, ansiBold, ansiDim, ansiPass, ansiFail, "\x1b[1;31m", "\x1b[31m", "\x1b[33m", "\x1b[36m"} {
		stripped = bytes.ReplaceAll(stripped, []byte(esc), nil)
	}
	if !bytes.Equal(stripped, plain) {
		t.Errorf("colour text differs from plain beyond its escapes:\n%s", stripped)
	}
}

// TestTextControlCharacters checks names and messages cannot inject
// terminal escapes or fake lines.
func TestTextControlCharacters(t *testing.T) {
	r := &Report{Run: &audit.Run{Findings: []audit.Finding{{
		Rule: "XB-X", Severity: audit.SeverityHigh, Flow: "evil\x1b[2J",
		Message: "line one\nPASS: forged\r", Location: audit.Source{File: "m\x1b]0;t\x07.yaml", Line: 1},
	}}}, FailOn: audit.SeverityHigh}
	out := string(render(t, "text", r))
	if strings.ContainsAny(out, "\x1b\r\x07") {
		t.Errorf("control characters reached the terminal: %q", out)
	}
	if strings.Contains(out, "\nPASS: forged") {
		t.Errorf("a message forged a verdict line: %q", out)
	}
	if !strings.Contains(out, "XB-X  evil<U+001B>[2J  line one PASS: forged") {
		t.Errorf("finding line not as expected: %q", out)
	}
}

func TestTextPass(t *testing.T) {
	r := &Report{Run: &audit.Run{Mode: audit.ModeCheck, Tool: audit.Tool{Name: "xborder", Version: "dev"}, AsOf: "2024-03-02",
		Findings: []audit.Finding{{Rule: "XB-MANIFEST-HYGIENE", Severity: audit.SeverityLow, Message: "no owner", Flow: "f",
			Location: audit.Source{File: "m.yaml", Line: 2}}}}, FailOn: audit.SeverityHigh}
	want := `xborder dev · check · as of 2024-03-02

LOW (1)
  m.yaml:2  XB-MANIFEST-HYGIENE  f  no owner

Findings: 0 critical, 0 high, 0 medium, 1 low · 0 waived · 0 baselined
PASS: no findings at or above high
`
	if got := string(render(t, "text", r)); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
	r.Run.Findings = nil
	if got := string(render(t, "text", r)); !strings.Contains(got, "\nNo active findings.\n") {
		t.Errorf("no findings: %q", got)
	}
}
