package reports

import (
	"strings"
	"testing"
)

// TestHiddenControls: the ASCII fast path agrees with judging every rune,
// and the controls are written visibly.
func TestHiddenControls(t *testing.T) {
	for _, c := range []struct {
		in, visible string
	}{
		{"", ""},
		{"plain text, 40,000,000 subjects", "plain text, 40,000,000 subjects"},
		{"tab\tline\nreturn\r", "tab\tline\nreturn\r"},
		{"\x1b[31mred", "<U+001B>[31mred"},
		{"nul\x00del\x7f", "nul<U+0000>del<U+007F>"},
		{"국외이전 적법근거 부재", "국외이전 적법근거 부재"},
		{"name\u202Egnp.exe", "name<U+202E>gnp.exe"},
		{"C1 \u0085 next line", "C1 <U+0085> next line"},
		{"é then \x01", "é then <U+0001>"},
		{"isolate \u2066x\u2069", "isolate <U+2066>x<U+2069>"},
		{"broken \xff byte", "broken \xff byte"},
		{"עברית right-to-left letters", "עברית right-to-left letters"},
	} {
		want := strings.ContainsFunc(c.in, isHiddenControl)
		if got := hasHiddenControl(c.in); got != want {
			t.Errorf("hasHiddenControl(%q) = %v, judging every rune says %v", c.in, got, want)
		}
		got := visibleControls(c.in)
		if want {
			if got != c.visible {
				t.Errorf("visibleControls(%q) = %q, want %q", c.in, got, c.visible)
			}
		} else if got != c.in {
			t.Errorf("visibleControls(%q) changed a string without controls to %q", c.in, got)
		}
	}
}
