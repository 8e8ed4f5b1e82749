package reports

import (
	"strings"
	"testing"

	"github.com/xborder/xborder/internal/audit"
)

func TestMarkdownGolden(t *testing.T) {
	golden(t, "markdown.golden", render(t, "markdown", prReport("en")))
	golden(t, "markdown-ko.golden", render(t, "markdown", prReport("ko")))
	pass := testReport("en")
	pass.FailOn = audit.SeverityCritical
	pass.Run.Findings = pass.Run.Findings[:1] // the baselined hygiene finding only
	golden(t, "markdown-pass.golden", render(t, "markdown", pass))
}

// cells splits a GFM table row on unescaped pipes.
func cells(row string) []string {
	var out []string
	var cur strings.Builder
	for i := 0; i < len(row); i++ {
		switch {
		case row[i] == '\\' && i+1 < len(row):
			cur.WriteByte(row[i])
			cur.WriteByte(row[i+1])
			i++
		case row[i] == '|':
			out = append(out, cur.String())
			cur.Reset()
		default:
			cur.WriteByte(row[i])
		}
	}
	return append(out, cur.String())
}

func TestMarkdownEscaping(t *testing.T) {
	out := string(render(t, "markdown", prHostileReport()))
	span := "`` <script>alert(\"x\")</script> 'q' `tick` \\|pipe\\| a,b:c 100% ::error::injected <U+202E>evil<U+202C> ``"
	// Inside a code span <script> is literal text; anywhere else it must not be.
	outside := strings.ReplaceAll(out, span, "")
	for _, bad := range []string{"<script>", "\u202E", "::error::injected\n", "@octocat"} {
		if strings.Contains(outside, bad) {
			t.Errorf("output contains %q:\n%s", bad, out)
		}
	}
	// Every table row keeps its column count: pipes in values are escaped
	// and line breaks folded.
	var header int
	for _, line := range strings.Split(out, "\n") {
		if !strings.HasPrefix(line, "|") {
			header = 0
			continue
		}
		n := len(cells(line))
		if header == 0 {
			header = n
			continue
		}
		if n != header {
			t.Errorf("row has %d cells, header %d: %q", n, header, line)
		}
	}
	if strings.Count(out, span) != 2 {
		t.Errorf("flow name is not one code span with a double fence:\n%s", out)
	}
	if !strings.Contains(out, "flow &lt;script&gt;alert(\"x\")&lt;/script&gt; 'q' \\`tick\\` \\|pipe\\|") {
		t.Errorf("message is not escaped prose:\n%s", out)
	}
}

func TestMarkdownCap(t *testing.T) {
	r := testReport("en")
	f := r.Run.Findings[1]
	r.Run.Findings = nil
	for i := range markdownMaxRows + 7 {
		g := f
		g.ID = strings.Repeat("0", 12) + string(rune('a'+i%26)) + string(rune('a'+i/26))
		g.Flow = "flow-" + g.ID
		r.Run.Findings = append(r.Run.Findings, g)
	}
	out := string(render(t, "markdown", r))
	if got := strings.Count(out, "| 🔴 critical | ["); got != markdownMaxRows {
		t.Errorf("%d rows, want %d", got, markdownMaxRows)
	}
	if !strings.Contains(out, "… and 7 more: see the SARIF or JSON output.") {
		t.Errorf("no overflow note")
	}
}

func TestMdCode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "` plain `"},
		{"a`b", "`` a`b ``"},
		{"a``b|c", "``` a``b\\|c ```"},
	}
	for _, tt := range tests {
		if got := mdCode(tt.in); got != tt.want {
			t.Errorf("mdCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
