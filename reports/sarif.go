package reports

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/xborder/xborder/internal/audit"
)

// informationURI is where SARIF consumers send users to learn about the tool.
const informationURI = "https://github.com/xborder/xborder"

// FingerprintKey names xborder's fingerprint in SARIF partialFingerprints.
// The value is the finding ID, which ignores line numbers, so that code
// scanning keeps one alert per finding while the manifest is edited.
const FingerprintKey = "xborder/v1"

// securitySeverity is the CVSS-like score GitHub code scanning reads from
// properties.security-severity to rank an alert critical (≥ 9.0), high
// (7.0–8.9), medium (4.0–6.9) or low (0.1–3.9).
var securitySeverity = map[audit.Severity]string{
	audit.SeverityCritical: "9.5",
	audit.SeverityHigh:     "8.0",
	audit.SeverityMedium:   "5.5",
	audit.SeverityLow:      "3.0",
}

// SARIF writes SARIF 2.1.0 for code scanning (GitHub, GitLab, Azure DevOps):
// the rule catalogue as tool.driver.rules (descriptions, help with the
// remediation, helpUri into docs/rules.md, security-severity, articles as
// tags) and one result per finding, located at the manifest field, with a
// line-independent partial fingerprint. Waived findings carry an external,
// accepted suppression whose justification is the waiver's owner, reason
// and expiry; with a baseline every result says whether it is new.
//
// It is built with github.com/owenrumney/go-sarif, whose types cover all
// of this; the one trap is that its Suppression serialises guid, status and
// location even when unset (as null, which the schema rejects), so every
// suppression here sets all three.
func SARIF(w io.Writer, r *Report) error {
	if err := checkReport(r); err != nil {
		return err
	}
	doc, err := sarif.New(sarif.Version210)
	if err != nil {
		return fmt.Errorf("reports: sarif: %w", err)
	}
	run := r.Run
	findings := slices.Clone(run.Findings)
	audit.SortFindings(findings)

	rules, index := sarifRules(r, findings)
	driver := &sarif.ToolComponent{
		Name:           cmp.Or(run.Tool.Name, "xborder"),
		InformationURI: ptr(informationURI),
		Rules:          rules,
	}
	if run.Tool.Version != "" {
		driver.Version = ptr(run.Tool.Version)
	}
	out := &sarif.Run{Tool: sarif.Tool{Driver: driver}, Results: []*sarif.Result{}}
	for i := range findings {
		out.Results = append(out.Results, sarifResult(r, &findings[i], index))
	}
	if inv := sarifInvocation(r); inv != nil {
		out.Invocations = []*sarif.Invocation{inv}
	}
	props := sarif.Properties{"mode": string(run.Mode), "asOf": run.AsOf}
	if run.PolicyDigest != "" {
		props["policyDigest"] = run.PolicyDigest
	}
	if len(run.NotEvaluated) > 0 {
		props["notEvaluated"] = slices.Sorted(slices.Values(run.NotEvaluated))
	}
	out.Properties = props
	doc.AddRun(out)

	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("reports: sarif: %w", err)
	}
	if _, err := w.Write(b.Bytes()); err != nil {
		return fmt.Errorf("reports: write sarif: %w", err)
	}
	return nil
}

// sarifRules returns the rule descriptors, sorted by ID (the catalogue plus
// any rule a finding cites that the catalogue lacks), and each ID's index.
func sarifRules(r *Report, findings []audit.Finding) ([]*sarif.ReportingDescriptor, map[string]int) {
	byID := map[string]audit.Rule{}
	for _, rule := range r.Rules {
		byID[rule.ID] = rule
	}
	for _, f := range findings {
		if _, ok := byID[f.Rule]; !ok {
			byID[f.Rule] = audit.Rule{ID: f.Rule, Title: f.Title, TitleKO: f.TitleKO, Severity: f.Severity,
				Articles: f.Articles, Remediation: f.Remediation, RemediationKO: f.RemediationKO}
		}
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]*sarif.ReportingDescriptor, len(ids))
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		out[i] = sarifRule(r, byID[id])
		index[id] = i
	}
	return out, index
}

func sarifRule(r *Report, rule audit.Rule) *sarif.ReportingDescriptor {
	title, rem := localized(r.Lang, rule.Title, rule.TitleKO), localized(r.Lang, rule.Remediation, rule.RemediationKO)
	title = cmp.Or(title, rule.ID)
	desc := cmp.Or(strings.TrimSpace(rule.Description), title)
	d := &sarif.ReportingDescriptor{
		ID:               rule.ID,
		Name:             ptr(pascalCase(rule.Title, rule.ID)),
		ShortDescription: &sarif.MultiformatMessageString{Text: ptr(title)},
		FullDescription:  &sarif.MultiformatMessageString{Text: ptr(desc)},
		DefaultConfiguration: &sarif.ReportingConfiguration{
			Level: defaultLevel(rule.Severity),
		},
	}
	var help, md strings.Builder
	help.WriteString(desc)
	md.WriteString(desc)
	if rem != "" {
		fmt.Fprintf(&help, "\n\nRemediation: %s", rem)
		fmt.Fprintf(&md, "\n\n**Remediation.** %s", rem)
	}
	if len(rule.Articles) > 0 {
		fmt.Fprintf(&help, "\n\nArticles: %s", strings.Join(rule.Articles, "; "))
		fmt.Fprintf(&md, "\n\n**Articles.** %s", strings.Join(rule.Articles, "; "))
	}
	if url := ruleURL(r, rule); url != "" {
		d.HelpURI = ptr(url)
		fmt.Fprintf(&md, "\n\n[Documentation](%s)", url)
	}
	d.Help = &sarif.MultiformatMessageString{Text: ptr(help.String()), Markdown: ptr(md.String())}
	tags := []string{"security", "privacy", "compliance"}
	tags = append(tags, rule.Articles...)
	props := sarif.Properties{
		"tags":     tags,
		"severity": rule.Severity.String(),
	}
	if s, ok := securitySeverity[rule.Severity]; ok {
		props["security-severity"] = s
		props["precision"] = "high"
		props["problem.severity"] = problemSeverity(rule.Severity)
	}
	if len(rule.Needs) > 0 {
		props["needs"] = rule.Needs
	}
	d.Properties = props
	return d
}

// ruleURL is the rule's section in the documentation; user rules (loaded
// with --policy) have none.
func ruleURL(r *Report, rule audit.Rule) string {
	if r.DocsURL == "" || rule.Source.File != "" && !rule.Builtin {
		return ""
	}
	return r.DocsURL + "#" + RuleAnchor(rule.ID)
}

func sarifResult(r *Report, f *audit.Finding, index map[string]int) *sarif.Result {
	res := sarif.NewRuleResult(f.Rule).
		WithRuleIndex(index[f.Rule]).
		WithLevel(resultLevel(f.Severity, r.FailOn)).
		WithMessage(&sarif.Message{Text: ptr(oneLine(f.Message))})
	res.PartialFingerprints = map[string]any{FingerprintKey: f.ID}
	loc := &sarif.Location{}
	if pl := physicalLocation(r, f.Location); pl != nil {
		loc.PhysicalLocation = pl
	}
	if f.Flow != "" {
		loc.LogicalLocations = []*sarif.LogicalLocation{{
			Name: ptr(f.Flow), FullyQualifiedName: ptr("DataFlow/" + f.Flow), Kind: ptr("object"),
		}}
	}
	if loc.PhysicalLocation != nil || loc.LogicalLocations != nil {
		res.Locations = []*sarif.Location{loc}
	}
	if w := f.Waived; w != nil {
		s := sarif.NewSuppression("external").
			WithStatus("accepted").
			WithJustifcation(Justification(w)).
			WithGuid(guidOf(f.ID, w.Source.File, fmt.Sprint(w.Source.Line)))
		wl := &sarif.Location{PhysicalLocation: physicalLocation(r, w.Source)}
		if wl.PhysicalLocation == nil {
			wl = loc
		}
		s.Location = wl
		res.Suppressions = []*sarif.Suppression{s}
	}
	switch {
	case r.BaselineUsed && f.Baselined:
		res.BaselineState = ptr("unchanged")
	case r.BaselineUsed:
		res.BaselineState = ptr("new")
	case f.Status == audit.StatusNew:
		res.BaselineState = ptr("new")
	case f.Status == audit.StatusRecurring:
		res.BaselineState = ptr("unchanged")
	}
	props := sarif.Properties{"severity": f.Severity.String()}
	if f.Flow != "" {
		props["flow"] = f.Flow
	}
	if f.Field != "" {
		props["field"] = f.Field
	}
	if len(f.Articles) > 0 {
		props["articles"] = f.Articles
	}
	if len(f.Evidence) > 0 {
		props["evidence"] = f.Evidence
	}
	res.Properties = props
	return res
}

// sarifInvocation reports waivers that expired or matched nothing as tool
// configuration notifications, located at the waiver.
func sarifInvocation(r *Report) *sarif.Invocation {
	if len(r.ExpiredWaivers) == 0 && len(r.UnusedWaivers) == 0 {
		return nil
	}
	inv := &sarif.Invocation{ExecutionSuccessful: ptr(true)}
	for _, n := range waiverNotes(r) {
		note := &sarif.Notification{Level: "warning", Message: &sarif.Message{Text: ptr(n.text)}}
		if n.level == "notice" {
			note.Level = "note"
		}
		if pl := physicalLocation(r, n.waiver.Source); pl != nil {
			note.Locations = []*sarif.Location{{PhysicalLocation: pl}}
		}
		inv.ToolConfigurationNotifications = append(inv.ToolConfigurationNotifications, note)
	}
	return inv
}

// waiverNote is one expired or unused waiver, as the PR formats say it.
type waiverNote struct {
	level  string // "warning" (expired) or "notice" (unused)
	title  string
	text   string
	waiver audit.Waiver
}

// waiverNotes lists expired then unused waivers, each in file order.
func waiverNotes(r *Report) []waiverNote {
	var notes []waiverNote
	what := func(w audit.Waiver) string {
		s := "waiver for " + w.Rule
		if w.Flow != "" {
			s += " on flow " + w.Flow
		}
		return s
	}
	for _, w := range sortedWaivers(r.ExpiredWaivers) {
		notes = append(notes, waiverNote{level: "warning", title: "expired waiver", waiver: w,
			text: fmt.Sprintf("%s (owner %s) expired on %s and no longer applies: renew it or fix the finding", what(w), w.Owner, w.Expires)})
	}
	for _, w := range sortedWaivers(r.UnusedWaivers) {
		notes = append(notes, waiverNote{level: "notice", title: "unused waiver", waiver: w,
			text: fmt.Sprintf("%s (owner %s) matched no finding: remove it", what(w), w.Owner)})
	}
	return notes
}

func sortedWaivers(ws []audit.Waiver) []audit.Waiver {
	out := slices.Clone(ws)
	slices.SortStableFunc(out, func(a, b audit.Waiver) int {
		if c := strings.Compare(a.Source.File, b.Source.File); c != 0 {
			return c
		}
		return a.Source.Line - b.Source.Line
	})
	return out
}

// Justification is how a waiver reads in a suppression or an annotation:
// "owner: reason (expires YYYY-MM-DD)".
func Justification(w *audit.Waiver) string {
	return fmt.Sprintf("%s: %s (expires %s)", w.Owner, oneLine(w.Reason), w.Expires)
}

// physicalLocation locates s in the repository, nil when s has no file.
func physicalLocation(r *Report, s audit.Source) *sarif.PhysicalLocation {
	if s.File == "" {
		return nil
	}
	al := &sarif.ArtifactLocation{URI: ptr(fileURI(r, s.File))}
	if !filepath.IsAbs(s.File) {
		al.URIBaseId = ptr("%SRCROOT%")
	}
	pl := &sarif.PhysicalLocation{ArtifactLocation: al}
	if s.Line > 0 {
		reg := &sarif.Region{StartLine: ptr(s.Line)}
		if s.Col > 0 {
			reg.StartColumn = ptr(s.Col)
		}
		pl.Region = reg
	}
	return pl
}

// fileURI is a finding file as a URI reference: relative to the repository
// root, percent-encoded; an absolute path becomes a file:// URI.
func fileURI(r *Report, file string) string {
	p := repoPath(r, file)
	if filepath.IsAbs(file) {
		return (&url.URL{Scheme: "file", Path: p}).String()
	}
	return (&url.URL{Path: p}).String()
}

// repoPath is a finding file relative to the repository root (Report.Root
// joined to it), slash separated; absolute paths stay as they are.
func repoPath(r *Report, file string) string {
	if file == "" {
		return ""
	}
	file = filepath.ToSlash(file)
	if path.IsAbs(file) || filepath.IsAbs(file) {
		return file
	}
	return path.Join(r.Root, file)
}

// resultLevel is error for findings at or above the gate's threshold, a
// warning below it (a note for low ones).
func resultLevel(s, failOn audit.Severity) string {
	switch {
	case failOn != audit.SeverityNone && s >= failOn:
		return "error"
	case s >= audit.SeverityMedium:
		return "warning"
	}
	return "note"
}

func defaultLevel(s audit.Severity) string {
	switch {
	case s >= audit.SeverityHigh:
		return "error"
	case s == audit.SeverityMedium:
		return "warning"
	}
	return "note"
}

func problemSeverity(s audit.Severity) string {
	switch {
	case s >= audit.SeverityHigh:
		return "error"
	case s == audit.SeverityMedium:
		return "warning"
	}
	return "recommendation"
}

// localized picks the Korean text for "ko" when there is one.
func localized(lang, en, ko string) string {
	if lang == "ko" && ko != "" {
		return ko
	}
	return en
}

// pascalCase turns a rule title into a SARIF rule name
// ("Entrustment that is really a provision" → "EntrustmentThatIsReallyAProvision").
func pascalCase(title, fallback string) string {
	var b strings.Builder
	for _, word := range strings.FieldsFunc(title, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }) {
		rs := []rune(word)
		b.WriteRune(unicode.ToUpper(rs[0]))
		b.WriteString(string(rs[1:]))
	}
	if b.Len() == 0 {
		return fallback
	}
	return b.String()
}

// guidOf derives a stable version-5-shaped GUID from parts, so that the
// same suppression has the same guid in every run.
func guidOf(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	sum[6] = sum[6]&0x0f | 0x50
	sum[8] = sum[8]&0x3f | 0x80
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// oneLine folds line breaks into spaces (messages are single lines in every
// machine format).
func oneLine(s string) string {
	return strings.Join(strings.FieldsFunc(s, func(r rune) bool { return r == '\n' || r == '\r' }), " ")
}

func ptr[T any](v T) *T { return &v }
