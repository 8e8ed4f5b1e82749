package reports

import (
	"encoding/xml"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// parsedJUnit is a JUnit file as a CI server reads it.
type parsedJUnit struct {
	XMLName  xml.Name `xml:"testsuites"`
	Tests    int      `xml:"tests,attr"`
	Failures int      `xml:"failures,attr"`
	Skipped  int      `xml:"skipped,attr"`
	Suites   []struct {
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Cases    []struct {
			ClassName string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			File      string `xml:"file,attr"`
			Failure   *struct {
				Type    string `xml:"type,attr"`
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			SystemOut string `xml:"system-out"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func parseJUnit(t *testing.T, out []byte) parsedJUnit {
	t.Helper()
	var p parsedJUnit
	if err := xml.Unmarshal(out, &p); err != nil {
		t.Fatalf("junit does not parse: %v\n%s", err, out)
	}
	return p
}

func TestJUnitGolden(t *testing.T) {
	golden(t, "junit.golden", render(t, "junit", prReport("en")))
}

func TestJUnitParses(t *testing.T) {
	p := parseJUnit(t, render(t, "junit", prReport("en")))
	type tc struct{ Suite, Class, Name, File, State string }
	var got []tc
	tests, failures, skipped := 0, 0, 0
	for _, s := range p.Suites {
		sf, ss := 0, 0
		for _, c := range s.Cases {
			state := "pass"
			switch {
			case c.Failure != nil:
				state, sf = "fail "+c.Failure.Type, sf+1
			case c.Skipped != nil:
				state, ss = "skip "+c.Skipped.Message, ss+1
			}
			got = append(got, tc{s.Name, c.ClassName, c.Name, c.File, state})
		}
		if s.Tests != len(s.Cases) || s.Failures != sf || s.Skipped != ss {
			t.Errorf("suite %s counts tests=%d failures=%d skipped=%d, cases say %d/%d/%d", s.Name, s.Tests, s.Failures, s.Skipped, len(s.Cases), sf, ss)
		}
		tests, failures, skipped = tests+len(s.Cases), failures+sf, skipped+ss
	}
	if p.Tests != tests || p.Failures != failures || p.Skipped != skipped {
		t.Errorf("totals %d/%d/%d, suites sum to %d/%d/%d", p.Tests, p.Failures, p.Skipped, tests, failures, skipped)
	}
	want := []tc{
		{"PIPA-17-CONSENT-AT-TRANSFER", "PIPA-17-CONSENT-AT-TRANSFER", "not evaluated", "", "skip not evaluated: the rule needs transfer logs (xborder audit)"},
		{"PIPA-26-ENTRUSTMENT-MISCLASSIFIED: Entrustment that is really a provision", "PIPA-26-ENTRUSTMENT-MISCLASSIFIED", "alipay-nsf", "services/pay/manifests/alipay.yaml", "fail critical"},
		{"PIPA-28-8-CONTRACT-DISCLOSURE: Contract-basis transfer not disclosed", "PIPA-28-8-CONTRACT-DISCLOSURE", "aws-tokyo-storage", "services/pay/manifests/aws.yaml",
			"skip waived by privacy-office: policy revision with the AWS Tokyo entry ships on 2024-04-01 (expires 2024-04-30)"},
		{"PIPA-29-WEAK-PSEUDONYMIZATION: Identifiers protected by unkeyed hashing", "PIPA-29-WEAK-PSEUDONYMIZATION", "alipay-nsf", "services/pay/manifests/alipay.yaml", "fail high"},
		{"XB-BULK-DAILY: Bulk daily transfer of the subject base", "XB-BULK-DAILY", "alipay-nsf", "services/pay/manifests/alipay.yaml", "fail critical"},
		{"XB-DATA-QUALITY: Malformed or unmatched log lines", "XB-DATA-QUALITY", "services/pay/logs/2024-03-01.jsonl", "services/pay/logs/2024-03-01.jsonl", "pass"},
		{"XB-MANIFEST-HYGIENE: Manifest hygiene", "XB-MANIFEST-HYGIENE", "aws-tokyo-storage", "services/pay/manifests/aws.yaml", "skip baselined: present in the accepted baseline"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("test cases (-want +got):\n%s", diff)
	}
}

func TestJUnitEscaping(t *testing.T) {
	out := render(t, "junit", prHostileReport())
	if strings.Contains(string(out), "<script>") {
		t.Errorf("raw <script> in the XML")
	}
	p := parseJUnit(t, out)
	var fail *struct {
		Type    string `xml:"type,attr"`
		Message string `xml:"message,attr"`
		Text    string `xml:",chardata"`
	}
	var name string
	for _, s := range p.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil {
				fail, name = c.Failure, c.Name
			}
		}
	}
	if fail == nil {
		t.Fatal("no failure for the critical finding")
	}
	visible := strings.NewReplacer("\u202E", "<U+202E>", "\u202C", "<U+202C>", "\n", " ").Replace(prHostileName)
	if name != visible {
		t.Errorf("test case name = %q, want %q", name, visible)
	}
	if want := "flow " + visible + " sends everyone"; fail.Message != want {
		t.Errorf("failure message = %q, want %q", fail.Message, want)
	}
	if !strings.Contains(fail.Text, "svc/manifests/we|ird, na:me.yaml:7:3") {
		t.Errorf("failure text lacks the location: %q", fail.Text)
	}
}
