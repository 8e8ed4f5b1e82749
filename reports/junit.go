package reports

import (
	"cmp"
	"encoding/xml"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/xborder/xborder/internal/audit"
)

// JUnit writes a JUnit XML report for CI test views (GitLab's
// artifacts:reports:junit, Jenkins, Azure Pipelines): one testsuite per rule
// of the catalogue, one testcase per finding of that rule, named after its
// flow.
//
// Suites are per rule, not per flow, because the rule catalogue is small
// and stable while flows come and go: GitLab compares test cases by suite,
// class and name between the merge request and its target branch and lists
// "new failures", which is only meaningful when the names are stable, and a
// per-rule suite with a flow-named case gives exactly the finding's
// fingerprint (rule + flow + key) without line numbers. A rule without
// findings is one passing case, so the report shows every rule that ran.
//
// Active findings at or above --fail-on are failures; active ones below it
// pass with the finding in system-out; waived and baselined findings, and
// rules not evaluated (they need transfer logs), are skipped with the reason.
func JUnit(w io.Writer, r *Report) error {
	if err := checkReport(r); err != nil {
		return err
	}
	run := r.Run
	findings := slices.Clone(run.Findings)
	audit.SortFindings(findings)
	byRule := map[string][]*audit.Finding{}
	rules := map[string]audit.Rule{}
	for _, rule := range r.Rules {
		rules[rule.ID] = rule
	}
	for i := range findings {
		f := &findings[i]
		byRule[f.Rule] = append(byRule[f.Rule], f)
		if _, ok := rules[f.Rule]; !ok {
			rules[f.Rule] = audit.Rule{ID: f.Rule, Title: f.Title, TitleKO: f.TitleKO, Severity: f.Severity}
		}
	}
	notEvaluated := map[string]bool{}
	for _, id := range run.NotEvaluated {
		notEvaluated[id] = true
		if _, ok := rules[id]; !ok {
			rules[id] = audit.Rule{ID: id}
		}
	}
	ids := make([]string, 0, len(rules))
	for id := range rules {
		ids = append(ids, id)
	}
	slices.Sort(ids)

	doc := junitSuites{Name: "xborder " + string(run.Mode)}
	for _, id := range ids {
		rule := rules[id]
		title := localized(r.Lang, rule.Title, rule.TitleKO)
		suite := junitSuite{Name: id}
		if title != "" {
			suite.Name = id + ": " + title
		}
		switch {
		case len(byRule[id]) > 0:
			for _, f := range byRule[id] {
				suite.add(junitCase(r, rule, f))
			}
		case notEvaluated[id]:
			suite.add(junitTestCase{ClassName: id, Name: "not evaluated",
				Skipped: &junitMessage{Message: "not evaluated: the rule needs transfer logs (xborder audit)"}})
		default:
			suite.add(junitTestCase{ClassName: id, Name: "no findings"})
		}
		doc.Tests += suite.Tests
		doc.Failures += suite.Failures
		doc.Skipped += suite.Skipped
		doc.Suites = append(doc.Suites, suite)
	}
	showControls(reflect.ValueOf(&doc).Elem()) // test reports are shown in CI: nothing hidden
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return fmt.Errorf("reports: write junit: %w", err)
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("reports: write junit: %w", err)
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return fmt.Errorf("reports: write junit: %w", err)
	}
	return nil
}

func junitCase(r *Report, rule audit.Rule, f *audit.Finding) junitTestCase {
	name := f.Flow
	switch {
	case name == "" && f.Location.File != "":
		name = repoPath(r, f.Location.File)
	case name == "":
		name = f.ID
	}
	if f.Key != "" {
		name += " · " + f.Key
	}
	tc := junitTestCase{ClassName: f.Rule, Name: visibleControls(oneLine(name)), File: repoPath(r, f.Location.File)}
	if f.Location.Line > 0 {
		tc.Line = strconv.Itoa(f.Location.Line)
	}
	body := junitBody(r, rule, f)
	switch {
	case f.Waived != nil:
		tc.Skipped = &junitMessage{Message: visibleControls(oneLine("waived by " + Justification(f.Waived))), Text: body}
	case f.Baselined:
		tc.Skipped = &junitMessage{Message: "baselined: present in the accepted baseline", Text: body}
	case r.FailOn != audit.SeverityNone && f.Severity >= r.FailOn:
		tc.Failure = &junitMessage{Type: f.Severity.String(), Message: visibleControls(oneLine(f.Message)), Text: body}
	default:
		tc.SystemOut = fmt.Sprintf("%s finding below --fail-on %s\n%s", f.Severity, r.FailOn, body)
	}
	return tc
}

// junitBody is the finding's detail: where, what, how to fix it, evidence.
func junitBody(r *Report, rule audit.Rule, f *audit.Finding) string {
	var b strings.Builder
	if f.Location.File != "" {
		b.WriteString(repoPath(r, f.Location.File))
		if f.Location.Line > 0 {
			fmt.Fprintf(&b, ":%d", f.Location.Line)
			if f.Location.Col > 0 {
				fmt.Fprintf(&b, ":%d", f.Location.Col)
			}
		}
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s (%s)", f.Rule, f.Severity)
	if f.Flow != "" {
		fmt.Fprintf(&b, " on flow %s", f.Flow)
	}
	fmt.Fprintf(&b, "\n%s\n", f.Message)
	if rem := cmp.Or(localized(r.Lang, f.Remediation, f.RemediationKO), localized(r.Lang, rule.Remediation, rule.RemediationKO)); rem != "" {
		fmt.Fprintf(&b, "Fix: %s\n", rem)
	}
	if len(f.Articles) > 0 {
		fmt.Fprintf(&b, "Articles: %s\n", strings.Join(f.Articles, "; "))
	}
	for _, row := range evidenceRows(f.Evidence) {
		fmt.Fprintf(&b, "Evidence %s: %s\n", row.Key, row.Value)
	}
	if rule.ID == "" {
		rule.ID = f.Rule
	}
	if u := ruleURL(r, rule); u != "" {
		fmt.Fprintf(&b, "Docs: %s\n", u)
	}
	fmt.Fprintf(&b, "Finding ID: %s", f.ID)
	return visibleControls(b.String())
}

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string          `xml:"name,attr"`
	Tests    int             `xml:"tests,attr"`
	Failures int             `xml:"failures,attr"`
	Errors   int             `xml:"errors,attr"`
	Skipped  int             `xml:"skipped,attr"`
	Cases    []junitTestCase `xml:"testcase"`
}

func (s *junitSuite) add(tc junitTestCase) {
	s.Tests++
	switch {
	case tc.Failure != nil:
		s.Failures++
	case tc.Skipped != nil:
		s.Skipped++
	}
	s.Cases = append(s.Cases, tc)
}

type junitTestCase struct {
	ClassName string        `xml:"classname,attr"`
	Name      string        `xml:"name,attr"`
	File      string        `xml:"file,attr,omitempty"`
	Line      string        `xml:"line,attr,omitempty"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}
