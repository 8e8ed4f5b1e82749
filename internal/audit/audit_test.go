package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"testing"
)

func TestInputErrorsSortedAndFormatted(t *testing.T) {
	var es InputErrors
	es.Add("b.yaml", 3, 1, "spec.type", "unknown value %q", "gift")
	es.Add("a.yaml", 10, 5, "", "not a mapping")
	es.Add("a.yaml", 2, 7, "metadata.name", "required")
	es.Add("logs.jsonl", 0, 0, "", "unreadable")
	err := es.Err()
	want := "a.yaml:2:7: metadata.name: required\n" +
		"a.yaml:10:5: not a mapping\n" +
		"b.yaml:3:1: spec.type: unknown value \"gift\"\n" +
		"logs.jsonl: unreadable"
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
	var got InputErrors
	if !errors.As(fmt.Errorf("load: %w", err), &got) || len(got) != 4 {
		t.Errorf("errors.As through wrapping lost the list: %v", got)
	}
	if (InputErrors{}).Err() != nil {
		t.Error("an empty list must be a nil error")
	}
}

func TestSeverity(t *testing.T) {
	for _, name := range []string{"critical", "HIGH", "Medium", "low", "none"} {
		s, err := ParseSeverity(name)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := json.Marshal(s)
		var back Severity
		if err := json.Unmarshal(b, &back); err != nil || back != s {
			t.Errorf("%s: JSON round trip gave %v, %v", name, back, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("unknown severity accepted")
	}
	if !(SeverityCritical > SeverityHigh && SeverityHigh > SeverityMedium && SeverityLow > SeverityNone) {
		t.Error("severities do not order by seriousness")
	}
}

func TestFingerprintIgnoresLinesAndSeparatesFields(t *testing.T) {
	a := Fingerprint("XB-BULK-DAILY", "alipay-nsf", "m/flows.yaml", "")
	if a != Fingerprint("XB-BULK-DAILY", "alipay-nsf", "m/flows.yaml", "") || len(a) != 16 {
		t.Fatalf("fingerprint not stable: %s", a)
	}
	// Field boundaries matter: ("ab","c") is not ("a","bc").
	if Fingerprint("R", "ab", "c", "") == Fingerprint("R", "a", "bc", "") {
		t.Error("fingerprint does not separate its fields")
	}
}

func TestLocateFallsBackToEnclosingField(t *testing.T) {
	o := Object{Source: Source{File: "f.yaml", Line: 1}, Fields: Fields{
		"spec":                  {File: "f.yaml", Line: 4},
		"spec.legalBasis":       {File: "f.yaml", Line: 9},
		"spec.items[2]":         {File: "f.yaml", Line: 15, Col: 7},
		"spec.contract.clauses": {File: "f.yaml", Line: 20},
	}}
	for field, line := range map[string]int{
		"spec.items[2]":            15,
		"spec.items[9]":            4, // no spec.items entry: falls back to spec
		"spec.legalBasis.overseas": 9,
		"spec.contract.clauses[0]": 20,
		"metadata.owner":           1,
		"":                         1,
	} {
		if got := o.Locate(field).Line; got != line {
			t.Errorf("Locate(%q) line = %d, want %d", field, got, line)
		}
	}
}

func TestFailingIgnoresWaivedAndBaselined(t *testing.T) {
	fs := []Finding{
		{Severity: SeverityCritical},
		{Severity: SeverityHigh, Waived: &Waiver{Owner: "a"}},
		{Severity: SeverityHigh, Baselined: true},
		{Severity: SeverityMedium},
	}
	for th, want := range map[Severity]int{SeverityCritical: 1, SeverityHigh: 1, SeverityMedium: 2, SeverityLow: 2, SeverityNone: 0} {
		if got := Failing(fs, th); got != want {
			t.Errorf("Failing(%v) = %d, want %d", th, got, want)
		}
	}
}

// TestManifestLookup finds flows and recipients by name in a sorted set
// (the loader's) and in one built unsorted by hand, and misses cleanly.
func TestManifestLookup(t *testing.T) {
	sorted := &Manifests{
		Flows:      []DataFlow{{Object: Object{Name: "a"}}, {Object: Object{Name: "b"}}, {Object: Object{Name: "c"}}},
		Recipients: []Recipient{{Object: Object{Name: "r1"}, Country: "SG"}, {Object: Object{Name: "r2"}, Country: "JP"}},
	}
	unsorted := &Manifests{
		Flows:      []DataFlow{{Object: Object{Name: "c"}}, {Object: Object{Name: "a"}}, {Object: Object{Name: "b"}}},
		Recipients: []Recipient{{Object: Object{Name: "r2"}, Country: "JP"}, {Object: Object{Name: "r1"}, Country: "SG"}},
	}
	for name, m := range map[string]*Manifests{"sorted": sorted, "unsorted": unsorted, "empty": {}} {
		for _, flow := range []string{"a", "b", "c", "", "d", "0"} {
			f, ok := m.Flow(flow)
			want := name != "empty" && flow >= "a" && flow <= "c" && flow != ""
			if ok != want || ok && f.Name != flow {
				t.Errorf("%s: Flow(%q) = %v, %v; want found %v", name, flow, f, ok, want)
			}
		}
		for rname, country := range map[string]string{"r1": "SG", "r2": "JP", "r3": ""} {
			r, ok := m.Recipient(rname)
			if want := name != "empty" && country != ""; ok != want || ok && r.Country != country {
				t.Errorf("%s: Recipient(%q) = %v, %v; want found %v (country %s)", name, rname, r, ok, want, country)
			}
		}
	}
	if f, _ := sorted.Flow("b"); f != &sorted.Flows[1] {
		t.Error("Flow returns a copy, not the element")
	}
}
