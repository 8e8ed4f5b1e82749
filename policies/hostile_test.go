package policies_test

// Hostile waiver files: a waiver file arrives in a pull request like any
// manifest, so `xborder check` must answer it with located errors, in
// bounded time and memory, whatever it holds.

import (
	"errors"
	"fmt"
	"github.com/xborder/xborder/internal/testutil"
	"strings"
	"testing"
	"time"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/policies"
)

var hostileRules = []audit.Rule{
	{ID: "XB-BULK-DAILY", Severity: audit.SeverityCritical},
	{ID: "XB-MANIFEST-HYGIENE", Severity: audit.SeverityLow},
}

func hostileFindings() []audit.Finding {
	return []audit.Finding{
		{ID: "a", Rule: "XB-BULK-DAILY", Severity: audit.SeverityCritical, Flow: "alipay-nsf", Message: "m",
			Articles: []string{"PIPA 28-8", "PIPA 3"}, Evidence: map[string]any{"days": 3, "list": []any{1, 2, 3}}},
		{ID: "b", Rule: "XB-MANIFEST-HYGIENE", Severity: audit.SeverityLow, Flow: "aws"},
	}
}

// waiver is one well-formed waiver with the given extra YAML lines.
func waiver(extra string) string {
	return "- rule: XB-BULK-DAILY\n  owner: privacy-office\n  reason: accepted\n  expires: 2099-12-31\n" + extra
}

// nested is a CEL condition iterating over a ten-element list depth
// times: 10^depth steps, unless a cost limit stops it.
func nested(depth int) string {
	list := "[0,1,2,3,4,5,6,7,8,9]"
	expr := "finding.flow"
	for i := range depth {
		expr = fmt.Sprintf("%s.map(v%d, %s)", list, i, expr)
	}
	return expr + ".size() == 10"
}

// TestHostileWaivers parses and applies waiver files built to hurt: each
// gives located errors or a bounded evaluation, never a hang or a crash.
func TestHostileWaivers(t *testing.T) {
	for _, tc := range []struct {
		name      string
		data      string
		want      string // the error, "" for none
		waived    bool   // the first finding ends up waived
		maxHeapMB uint64
	}{
		{name: "CEL condition of 10^9 steps", data: waiver("  when: '" + nested(9) + "'\n"), maxHeapMB: 64},
		{name: "CEL condition building a list of 10^8 strings", data: waiver("  when: '" + strings.Replace(nested(8), "finding.flow", "finding.message + finding.flow", 1) + "'\n"), maxHeapMB: 64},
		{name: "CEL condition within the limits", data: waiver("  when: '" + nested(3) + " && finding.articles.exists(a, a.startsWith(\"PIPA\"))'\n"), waived: true, maxHeapMB: 64},
		{name: "alias bomb", data: "- &a {rule: XB-BULK-DAILY, owner: o, reason: r, expires: 2099-01-01}\n- &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n- &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n- &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n- [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n",
			want: "w.yaml:2:3: waivers[1]: want a mapping with rule, owner, reason and expires\n" +
				"w.yaml:3:3: waivers[2]: want a mapping with rule, owner, reason and expires\n" +
				"w.yaml:4:3: waivers[3]: want a mapping with rule, owner, reason and expires\n" +
				"w.yaml:5:3: waivers[4]: want a mapping with rule, owner, reason and expires", maxHeapMB: 64},
		{name: "deep nesting on the first line", data: "- " + strings.Repeat("[", 20_000) + strings.Repeat("]", 20_000) + "\n",
			want: "w.yaml:1: invalid YAML: exceeded max depth of 10000", maxHeapMB: 64},
		{name: "deep nesting further down", data: waiver("") + "- " + strings.Repeat("{a: ", 20_000) + strings.Repeat("}", 20_000) + "\n",
			want: "w.yaml:5: invalid YAML: exceeded max depth of 10000", maxHeapMB: 64},
		{name: "NUL byte", data: waiver("") + "- rule: XB-BULK-DAILY\n  owner: \"a\x00b\"\n", want: "w.yaml:6:12: invalid YAML: NUL byte is not allowed", maxHeapMB: 16},
		{name: "terminal escape", data: waiver("") + "- rule: XB-BULK-DAILY\n  reason: \"\x1b[2J\"\n", want: "w.yaml:6:12: invalid YAML: control character U+001B is not allowed", maxHeapMB: 16},
		{name: "invalid UTF-8", data: waiver("") + "- rule: XB-BULK-DAILY\n  reason: caf\xe9\n", want: "w.yaml:6:14: invalid YAML: invalid UTF-8 byte 0xE9 (the file must be UTF-8)", maxHeapMB: 16},
		{name: "unclosed quote at the end", data: "\"", want: "w.yaml:1: invalid YAML: found unexpected end of stream", maxHeapMB: 16},
		{name: "BOM and CRLF", data: "\xef\xbb\xbf" + strings.ReplaceAll(waiver(""), "\n", "\r\n"), waived: true, maxHeapMB: 16},
		{name: "10,000 waivers", data: strings.Repeat(waiver("  when: finding.flow == \"alipay-nsf\"\n"), 10_000), waived: true, maxHeapMB: 512},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var ws *policies.Waivers
			var err error
			fs := hostileFindings()
			start := time.Now()
			peak := testutil.HeapPeak(func() {
				ws, err = policies.ParseWaivers("w.yaml", []byte(tc.data), hostileRules)
				if err == nil {
					ws.Apply(fs, "2024-03-08")
				}
			})
			elapsed := time.Since(start)
			t.Logf("%s, peak heap %.1f MiB", elapsed.Round(time.Millisecond), float64(peak)/(1<<20))
			if elapsed > 5*time.Second {
				t.Errorf("took %s", elapsed)
			}
			if peak > tc.maxHeapMB<<20 {
				t.Errorf("peak heap %.1f MiB, above %d MiB", float64(peak)/(1<<20), tc.maxHeapMB)
			}
			switch {
			case tc.want == "" && err != nil:
				t.Fatalf("error: %v", err)
			case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
				t.Fatalf("error %v, want %q", err, tc.want)
			case tc.want != "":
				return
			}
			if got := fs[0].Waived != nil; got != tc.waived {
				t.Errorf("waived = %v, want %v", got, tc.waived)
			}
		})
	}
}

// FuzzWaiversLocated parses and applies arbitrary waiver files: never a
// panic, and every error names the file and a line within it.
func FuzzWaiversLocated(f *testing.F) {
	for _, s := range []string{
		waiver("  flow: alipay-*\n  when: finding.evidence.days > 2\n"),
		waiver("  when: |\n    finding.flow ==\n"),
		"\"", "[", "- - -", "- rule: &a x\n  owner: *a\n", "- {rule: XB-BULK-DAILY, expires: 2024-02-30}",
		"- rule: XB-BULK-DAILY\n  reason: \"\x00\"\n", "\xef\xbb\xbf- 1\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ws, err := policies.ParseWaivers("w.yaml", data, hostileRules)
		if err == nil {
			ws.Apply(hostileFindings(), "2024-03-08")
			return
		}
		var ies audit.InputErrors
		if !errors.As(err, &ies) || len(ies) == 0 {
			t.Fatalf("error %T %v, want audit.InputErrors", err, err)
		}
		lines := testutil.YAMLLines(data)
		for _, e := range ies {
			if e.File != "w.yaml" || e.Msg == "" || e.Line < 1 || e.Line > lines || e.Col < 0 {
				t.Fatalf("error %q is not located within the file's %d lines", e, lines)
			}
		}
	})
}
