package reports

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/xborder/xborder/internal/audit"
)

// escapePayload tries every escape at once: HTML and XML markup, both
// quotes, Markdown code and table syntax, an entity, a spreadsheet formula,
// a line break that would start a new workflow command or fake a line, a
// carriage return, a terminal escape, right-to-left override and isolate
// controls (Trojan Source), a NUL byte, and Hangul.
const escapePayload = "<script>alert(\"x\")</script> 'q' `tick` |pipe| a,b:c 100% &amp; " +
	"=HYPERLINK(\"http://evil.example\")\n::error::injected\r\x1b[2J \u202Eevil\u202C \u2067rtl\u2069 \x00nul 결제"

// escapeReport puts escapePayload in every text a user can reach outside
// the DNS-label names the manifest loader enforces: a user policy's
// message, evidence, title and remediation, the integration of a flow, the
// host and integration of unmatched traffic, a recipient's and the
// organization's legal names, a waiver's owner and reason, a bad line's
// reason and a file path.
func escapeReport(lang string) *Report {
	r := testReport(lang)
	run := r.Run
	p := escapePayload
	run.Manifests.Organization.LegalName = p
	run.Manifests.Recipients[0].LegalName = p
	run.Manifests.Flows[0].Integration = p
	run.Unmatched[0].Key, run.Unmatched[0].Host, run.Unmatched[0].Integration = p, p, p
	run.Unmatched[0].UnknownItems = []string{p}
	run.Observations[0].UnknownItems = []string{p}
	f := &run.Findings[1] // critical, not waived
	f.Message = "policy says " + p
	f.Evidence["note"] = p
	f.Evidence["nested"] = map[string]any{"list": []any{p}}
	f.Title = p
	f.Remediation = p
	f.Location.File = "manifests/" + p + ".yaml"
	w := run.Findings[4].Waived
	w.Owner, w.Reason = "@octocat "+p, p
	run.DataQuality.Files[1].Examples[0].Reason = p
	for i := range r.Rules {
		if r.Rules[i].ID == f.Rule {
			r.Rules[i].Title, r.Rules[i].TitleKO = p, p
			r.Rules[i].Remediation, r.Rules[i].RemediationKO = p, p
		}
	}
	r.ExpiredWaivers = []audit.Waiver{{Rule: "XB-BULK-DAILY", Flow: "alipay-*", Owner: p, Reason: p,
		Expires: "2024-02-29", Source: audit.Source{File: "w" + p + ".yaml", Line: 9, Col: 3}}}
	return r
}

// hiddenControl reports a character that changes how the text around it
// reads without being seen: C0 and C1 controls (tab and line ends aside),
// DEL, and the bidirectional embedding, override and isolate controls.
func hiddenControl(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20, r >= 0x7F && r <= 0x9F:
		return true
	}
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// noHiddenControls fails when out holds a hidden control character, or a
// carriage return (unless cr is allowed).
func noHiddenControls(t *testing.T, out string, cr bool) {
	t.Helper()
	if i := strings.IndexFunc(out, hiddenControl); i >= 0 {
		t.Errorf("hidden control %q at byte %d: …%q…", []rune(out[i:])[0], i, out[max(0, i-40):min(len(out), i+20)])
	}
	if !cr && strings.Contains(out, "\r") {
		t.Errorf("raw carriage return in the output")
	}
}

// escapeChecks says, per format, what "well-formed" means. Every format
// of the registry must have one (TestEscapingEveryFormat fails otherwise).
var escapeChecks = map[string]func(t *testing.T, out []byte){
	// Regulator documents: markup stays markup, data stays text, and no
	// character hides or reorders what the reader sees.
	"html": func(t *testing.T, out []byte) {
		checkWellFormed(t, out)
		if bytes.Contains(bytes.ToLower(out), []byte("<script")) {
			t.Errorf("raw <script in the page")
		}
		noHiddenControls(t, string(out), true)
		text := textContent(parseHTML(t, out))
		if !strings.Contains(text, `<script>alert("x")</script> 'q' `+"`tick`"+` |pipe|`) {
			t.Errorf("the payload is not shown as text")
		}
		if !strings.Contains(text, "<U+202E>evil<U+202C>") {
			t.Errorf("bidirectional controls are not shown as <U+202E> … <U+202C>")
		}
	},
	"pdf": func(t *testing.T, out []byte) {
		path := writeTemp(t, "r.pdf", out)
		text, _ := runTool(t, time.Minute, "pdftotext", "-enc", "UTF-8", path, "-")
		noHiddenControls(t, strings.ReplaceAll(string(text), "\f", ""), false)
		if !bytes.Contains(text, []byte(`<script>alert("x")</script>`)) {
			t.Errorf("the payload is not shown as text")
		}
	},
	// The terminal: one finding per line, nothing that moves the cursor,
	// clears the screen or reorders a line.
	"text": func(t *testing.T, out []byte) {
		noHiddenControls(t, string(out), false)
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "::error::injected") {
				t.Errorf("a message started a line of its own: %q", line)
			}
		}
	},
	// Pull-request and CI formats: their structure holds and nothing hides.
	"markdown": func(t *testing.T, out []byte) {
		noHiddenControls(t, string(out), false)
		header := 0
		for _, line := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(line, "::") {
				t.Errorf("a value started a line of its own: %q", line)
			}
			if strings.Contains(stripCodeSpans(line), "<script") {
				t.Errorf("raw <script outside a code span: %q", line)
			}
			if !strings.HasPrefix(line, "|") {
				header = 0
				continue
			}
			if n := len(cells(line)); header == 0 {
				header = n
			} else if n != header {
				t.Errorf("table row of %d cells under a header of %d: %q", n, header, line)
			}
		}
	},
	"github": func(t *testing.T, out []byte) {
		noHiddenControls(t, string(out), false)
		for _, line := range strings.Split(strings.TrimSuffix(string(out), "\n"), "\n") {
			if !strings.HasPrefix(line, "::") {
				t.Errorf("a line that is not a workflow command: %q", line)
			}
		}
		if strings.Contains(string(out), "\n::error::injected") {
			t.Errorf("a message started a workflow command of its own")
		}
	},
	"junit": func(t *testing.T, out []byte) {
		dec := xml.NewDecoder(bytes.NewReader(out))
		dec.Strict = true
		for {
			if _, err := dec.Token(); err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("junit is not well-formed XML: %v", err)
			}
		}
		noHiddenControls(t, string(out), false)
	},
	// Data formats: valid, and the data exactly as it was (a consumer
	// escapes for its own display); SARIF folds line breaks in messages.
	"sarif": func(t *testing.T, out []byte) {
		validateSARIF(t, out)
		if !bytes.Contains(out, []byte(`policy says \u003cscript\u003e`)) && !bytes.Contains(out, []byte(`policy says <script>`)) {
			t.Errorf("the message is not kept as data")
		}
	},
	"json": func(t *testing.T, out []byte) {
		var env struct {
			Findings []struct {
				Message  string         `json:"message"`
				Evidence map[string]any `json:"evidence"`
			} `json:"findings"`
		}
		if err := json.Unmarshal(out, &env); err != nil {
			t.Fatalf("json does not parse: %v", err)
		}
		found := false
		for _, f := range env.Findings {
			if f.Message == "policy says "+strings.ReplaceAll(escapePayload, "\x00", "\ufffd") || f.Message == "policy says "+escapePayload {
				found = f.Evidence["note"] != nil
			}
		}
		if !found {
			t.Errorf("the message and evidence do not round-trip")
		}
	},
	"csv": func(t *testing.T, out []byte) {
		cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(out, []byte("\ufeff"))))
		rows, err := cr.ReadAll() // also checks every row has the header's field count
		if err != nil {
			t.Fatalf("csv does not parse: %v", err)
		}
		for _, row := range rows[1:] {
			for _, cell := range row {
				if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
					t.Errorf("a cell a spreadsheet evaluates: %q", cell)
				}
			}
		}
		if !bytes.Contains(out, []byte("policy says <script>")) {
			t.Errorf("the message is not kept as data")
		}
	},
}

// stripCodeSpans removes Markdown code spans (text between equal runs of
// backticks) from a line.
func stripCodeSpans(line string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(line, '`')
		if i < 0 {
			b.WriteString(line)
			return b.String()
		}
		b.WriteString(line[:i])
		n := i
		for n < len(line) && line[n] == '`' {
			n++
		}
		fence := line[i:n]
		end := strings.Index(line[n:], fence)
		if end < 0 {
			b.WriteString(line[i:])
			return b.String()
		}
		line = line[n+end+len(fence):]
	}
}

// TestEscapingEveryFormat renders the hostile report in every registered
// format and language and checks each stays well-formed and readable.
func TestEscapingEveryFormat(t *testing.T) {
	for _, name := range Names() {
		check, ok := escapeChecks[name]
		if !ok {
			t.Errorf("format %q has no escaping check in escapeChecks", name)
			continue
		}
		for _, lang := range Languages() {
			t.Run(name+"-"+lang, func(t *testing.T) {
				check(t, render(t, name, escapeReport(lang)))
			})
		}
	}
}

// TestHiddenControlVocabulary pins what hiddenControl calls hidden, so
// that the checks above cannot pass by calling nothing hidden.
func TestHiddenControlVocabulary(t *testing.T) {
	for _, r := range "\x00\x1b\x7f\u0085\u202A\u202E\u2066\u2069" {
		if !hiddenControl(r) {
			t.Errorf("%U is not hidden", r)
		}
	}
	for _, r := range "\t\na 결\u200F" {
		if hiddenControl(r) && !unicode.Is(unicode.Cf, r) {
			t.Errorf("%U is hidden", r)
		}
	}
}
