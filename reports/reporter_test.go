package reports

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNames(t *testing.T) {
	got := Names()
	if !slices.IsSorted(got) {
		t.Errorf("Names() = %v, not sorted", got)
	}
	if diff := cmp.Diff(slices.Sorted(maps.Keys(Formats)), got); diff != "" {
		t.Errorf("Names() differs from the Formats keys (-want +got):\n%s", diff)
	}
	for _, want := range []string{"html", "json", "text"} {
		if !slices.Contains(got, want) {
			t.Errorf("Names() = %v, missing %q", got, want)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, name := range Names() {
		rep, err := Lookup(name)
		if err != nil || rep == nil {
			t.Errorf("Lookup(%q) = %v, %v; want a reporter", name, rep, err)
		}
	}
	for _, name := range []string{"xml", "", "JSON", "text "} {
		_, err := Lookup(name)
		if err == nil {
			t.Errorf("Lookup(%q) succeeded, want an error", name)
			continue
		}
		msg := err.Error()
		if !strings.Contains(msg, `unknown format "`+name+`"`) {
			t.Errorf("Lookup(%q) error %q does not quote the name", name, msg)
		}
		for _, valid := range Names() {
			if !strings.Contains(msg, valid) {
				t.Errorf("Lookup(%q) error %q does not list %q", name, msg, valid)
			}
		}
	}
}

func TestOrList(t *testing.T) {
	tests := []struct {
		in   []string
		want string
	}{
		{nil, "nothing"},
		{[]string{"json"}, "json"},
		{[]string{"html", "json"}, "html or json"},
		{[]string{"html", "json", "text"}, "html, json or text"},
	}
	for _, tt := range tests {
		if got := orList(tt.in); got != tt.want {
			t.Errorf("orList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
