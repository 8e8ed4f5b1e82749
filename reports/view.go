package reports

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xborder/xborder/internal/audit"
)

// View is the presentation model shared by every human format (text, html,
// and later markdown and pdf): one place decides what is counted, how it is
// grouped, which language a title is in and how a number is written, so the
// formats cannot disagree. Strings are final: localised and formatted.
type View struct {
	Lang string
	// L holds the labels of Lang (see i18n.go); templates read {{.L.key}}.
	L map[string]string

	Tool         string // "xborder 1.2.0"
	Organization string // the organization's legal name, "" when unknown
	AsOf         string // YYYY-MM-DD
	Mode         string // localised "audit" / "check"

	Verdict Verdict
	Summary Summary
	// Active holds the active (unwaived, unbaselined) findings by severity,
	// most serious first, non-empty groups only: the engineer's view.
	Active []SeverityGroup
	// Articles holds every finding grouped by its first article, then by
	// severity: the regulator's view.
	Articles []ArticleGroup
	// Findings is every finding in report order.
	Findings []FindingView

	Inventory   []FlowView
	Unmatched   []UnmatchedView
	DataQuality DataQualityView
	Integrity   Integrity
	// NotEvaluated lists rules skipped because their evidence was absent.
	NotEvaluated []string

	// Sections is the table of contents of the document formats (html,
	// pdf): every section in reading order, with its anchor.
	Sections []Section
	// NoManifests is set when the run carries no manifests (a run
	// re-rendered from a database that does not keep them): the inventory
	// then shows observed flows only, and says so.
	NoManifests bool
	// Diagrams is the controller → recipient → country flow diagram, split
	// into parts that each fit a page; Charts the per-flow daily volumes.
	// Both are built for the graphical formats only (nil in text, markdown).
	Diagrams []FlowDiagram
	Charts   []VolumeChart
}

// Section is one entry of the table of contents.
type Section struct {
	ID    string // HTML anchor
	Title string
	Sub   []Section // the article groups under the findings
}

// Verdict is the pass/fail line: the same rule as the exit code.
type Verdict struct {
	Pass    bool
	Failing int    // active findings at or above FailOn
	FailOn  string // localised severity, "" for none
	Text    string // "FAIL: 3 findings at or above high" / "PASS: …"
}

// Summary is the headline figures of a run.
type Summary struct {
	// Severities counts active findings, all four severities, most serious first.
	Severities []SeverityCount
	Active     int
	Waived     int
	Baselined  int
	Total      int // every finding, active, waived or baselined
	// Flows is the number of declared flows (observed flows when the run
	// carries no manifests); FlowsWithFindings those with an active finding.
	Flows             int
	FlowsWithFindings int
	// Countries are the destination countries, declared or observed, sorted.
	Countries []string
	// Exposure is the surcharge ceiling, nil when no revenue is declared.
	Exposure *Exposure
}

// SeverityCount is one severity's count of active findings.
type SeverityCount struct {
	Name  string // "critical": a stable class name
	Label string // localised
	Count int
}

// Exposure is the penalty-surcharge ceiling of PIPA Art. 64-2: up to 3% of
// the organization's total revenue.
type Exposure struct {
	CeilingKRW int64
	Revenue    string // "KRW 750,000,000,000"
	Ceiling    string // "KRW 22,500,000,000"
	Note       string // "up to 3% of total revenue, PIPA Art. 64-2"
}

// SeverityGroup is the findings of one severity.
type SeverityGroup struct {
	Name     string // "critical"
	Label    string // localised
	Findings []FindingView
}

// ArticleGroup is the findings citing one article first.
type ArticleGroup struct {
	Article    string // "PIPA 28-8(1)", or the localised "other" label
	Count      int
	Severities []SeverityGroup
}

// FindingView is one finding as a human reads it.
type FindingView struct {
	ID           string
	Rule         string
	Severity     string // "critical": a stable class name
	SeverityRank audit.Severity
	SeverityText string // localised
	Title        string // in Lang, falling back to English
	Articles     []string
	Flow         string
	Message      string
	// Evidence is the finding's evidence as rows sorted by key; nested
	// values are compact JSON, integers have thousands separators.
	Evidence    []Row
	Location    string // "file:line", "" when unknown
	Remediation string // in Lang, falling back to English
	HelpURL     string // rule documentation, "" when none
	// State is "active", "waived" or "baselined"; StateText explains it
	// (who waived it, why, until when).
	State     string
	StateText string
	Status    string // localised "new" / "recurring", "" when unknown
}

// Row is one labelled value.
type Row struct {
	Key   string
	Value string
}

// FlowView is one row of the transfer inventory.
type FlowView struct {
	Name       string
	Recipient  string // legal name, falling back to the recipient's name
	Countries  []string
	Type       string
	Items      []ItemGroup
	LegalBasis string // "overseas: contract, provision: none"
	// Bases is LegalBasis as one "statute: basis" entry per line.
	Bases    []string
	Schedule string
	Location string
	Declared bool // false: seen in observations only
	// Observed figures over the run's observations of the flow.
	Observed          bool
	ObservedCountries []string
	Records           string // total records
	Subjects          string // peak distinct subjects on one day ("~" when estimated)
	Days              int
	Findings          int // active findings on the flow
}

// ItemGroup is a flow's items of one category; Category is "" when the
// report has no taxonomy (Report.ItemCategories) or the item is unknown to it.
type ItemGroup struct {
	Category string
	Label    string // the category's localised name, "" when Category is ""
	Items    []string
}

// UnmatchedView is logged traffic no declared flow matches, per key and country.
type UnmatchedView struct {
	Key      string
	Country  string
	Records  string
	Subjects string
	Days     int
	Items    []string
}

// DataQualityView is the accounting of the run's log lines.
type DataQualityView struct {
	Read      bool // any log line was read
	Lines     string
	Bad       string
	BadRatio  string // "0.40%"
	Unmatched string
	Files     []FileQualityView
}

// FileQualityView is one log file's accounting.
type FileQualityView struct {
	Path     string
	Lines    string
	Records  string
	Bad      string
	Examples []Row // "file:line" → reason
}

// Integrity is the run's integrity envelope: what produced it from what.
type Integrity struct {
	Tool         string
	RunID        string
	Mode         string
	AsOf         string
	Started      string
	Finished     string
	PolicyDigest string
	Records      string
	Hash         string
	PrevHash     string
	Inputs       []InputView
	Skipped      []InputView
	// Seal is the report's seal line (see integrity.go): the run id and
	// hash, the digest of the report file itself and, when signed, the
	// ed25519 signature. Formats render SealPlaceholder's line; the seal is
	// filled in after rendering, once the file's bytes are known.
	Seal   string
	Signed bool
}

// InputView is one input file and its digest.
type InputView struct {
	Path   string
	Kind   string
	SHA256 string
	Size   string
}

// NewView builds the shared view model of a report, graphics included.
// r.Run must not be nil.
func NewView(r *Report) *View { return newView(r, true) }

// newView builds the view; the flow diagrams and volume charts, which only
// the graphical formats (html, pdf) draw and which cost more than the rest
// of the view for a few hundred flows, only with graphics.
func newView(r *Report, graphics bool) *View {
	run := r.Run
	lang := langOf(r.Lang)
	l := catalogs[lang]
	rules := ruleIndex(r)

	findings := sortedFindings(run.Findings)
	v := &View{
		Lang: lang,
		L:    l,
		Tool: toolName(run.Tool),
		AsOf: run.AsOf,
		Mode: modeLabel(l, run.Mode),
	}
	if m := run.Manifests; m != nil && m.Organization != nil {
		v.Organization = m.Organization.LegalName
	}

	v.Findings = make([]FindingView, len(findings))
	for i := range findings {
		v.Findings[i] = newFindingView(r, lang, rules, &findings[i])
	}
	v.Active = groupActive(v.Findings, l)
	v.Articles = groupByArticle(v.Findings, l)
	v.Verdict = newVerdict(findings, r.FailOn, l)
	v.Inventory = newInventory(r, l, v.Findings)
	v.Unmatched = newUnmatched(run.Unmatched)
	v.Summary = newSummary(r, l, v)
	v.DataQuality = newDataQuality(run.DataQuality)
	v.Integrity = newIntegrity(run, l)
	v.NotEvaluated = slices.Sorted(slices.Values(run.NotEvaluated))
	v.NoManifests = run.Manifests == nil
	if graphics {
		v.Diagrams = newFlowDiagrams(r, l, v.Inventory)
		v.Charts = newVolumeCharts(r, l)
	}
	v.Integrity.Seal = sealPlaceholder(run, r.SignKey != nil)
	v.Integrity.Signed = r.SignKey != nil
	v.Sections = newSections(v)
	showControls(reflect.ValueOf(v).Elem())
	return v
}

// showControls makes the hidden controls of every string of a view visible
// (visibleControls), so that no format built on the view (html, pdf, text,
// markdown) shows text in another order than it was stored in, or lets a
// name from a manifest, a log or a policy colour a terminal. Maps (the
// label catalogue) are the build's own text and are left alone.
func showControls(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if s := v.String(); v.CanSet() && hasHiddenControl(s) {
			v.SetString(visibleControls(s))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			showControls(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			showControls(v.Field(i))
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			showControls(v.Index(i))
		}
	}
}

// visibleControls writes each hidden control of s as a visible "<U+202E>":
// C0 and C1 control characters other than tab and line ends (a terminal
// escape, NUL, DEL) and the Unicode bidirectional embedding, override and
// isolate controls (U+202A–U+202E, U+2066–U+2069), so that text in a
// report reads in the order it is stored ("Trojan Source") and cannot
// drive the terminal or CI log that shows it. Right-to-left letters
// themselves are kept.
func visibleControls(s string) string {
	if !hasHiddenControl(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if isHiddenControl(r) {
			fmt.Fprintf(&b, "<U+%04X>", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// hasHiddenControl reports whether s holds a hidden control. Most strings
// of a view are ASCII, which is judged a byte at a time; the rest of a
// string from its first non-ASCII byte is decoded rune by rune.
func hasHiddenControl(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= 0x80:
			return strings.ContainsFunc(s[i:], isHiddenControl)
		case c < 0x20 && c != '\t' && c != '\n' && c != '\r', c == 0x7F:
			return true
		}
	}
	return false
}

func isHiddenControl(r rune) bool {
	switch {
	case r == '\t' || r == '\n' || r == '\r':
		return false
	case r < 0x20, r >= 0x7F && r <= 0x9F:
		return true
	}
	return r >= 0x202A && r <= 0x202E || r >= 0x2066 && r <= 0x2069
}

// newSections is the table of contents: the document's sections in
// reading order, with the article groups of the findings under theirs.
func newSections(v *View) []Section {
	l := v.L
	findings := Section{ID: "findings", Title: l["findingsByArticle"]}
	for i, a := range v.Articles {
		findings.Sub = append(findings.Sub, Section{ID: articleID(i), Title: fmt.Sprintf("%s (%d)", a.Article, a.Count)})
	}
	return []Section{
		{ID: "summary", Title: l["summary"]},
		{ID: "inventory", Title: l["inventory"]},
		{ID: "diagram", Title: l["diagram"]},
		findings,
		{ID: "volumes", Title: l["charts"]},
		{ID: "data-quality", Title: l["dataQuality"]},
		{ID: "integrity", Title: l["integrity"]},
	}
}

// articleID is the anchor of the i-th article group.
func articleID(i int) string { return "article-" + strconv.Itoa(i+1) }

// ruleIndex maps rule IDs to the report's catalogue entries.
func ruleIndex(r *Report) map[string]*audit.Rule {
	rules := make(map[string]*audit.Rule, len(r.Rules))
	for i := range r.Rules {
		rules[r.Rules[i].ID] = &r.Rules[i]
	}
	return rules
}

// toolName is "xborder 1.2.0".
func toolName(t audit.Tool) string { return strings.TrimSpace(t.Name + " " + t.Version) }

func modeLabel(l map[string]string, m audit.Mode) string {
	switch m {
	case audit.ModeAudit:
		return l["mode.audit"]
	case audit.ModeCheck:
		return l["mode.check"]
	}
	return string(m)
}

func severityLabel(l map[string]string, s audit.Severity) string {
	if t, ok := l["severity."+s.String()]; ok {
		return t
	}
	return s.String()
}

func newFindingView(r *Report, lang string, rules map[string]*audit.Rule, f *audit.Finding) FindingView {
	l := catalogs[lang]
	rule := rules[f.Rule]
	fv := FindingView{
		ID:           f.ID,
		Rule:         f.Rule,
		Severity:     f.Severity.String(),
		SeverityRank: f.Severity,
		SeverityText: severityLabel(l, f.Severity),
		Articles:     f.Articles,
		Flow:         f.Flow,
		Message:      f.Message,
		Evidence:     evidenceRows(f.Evidence),
		Location:     location(f.Location),
		State:        "active",
	}
	title, titleKO := f.Title, f.TitleKO
	rem, remKO := f.Remediation, f.RemediationKO
	if rule != nil {
		title = cmp.Or(title, rule.Title)
		titleKO = cmp.Or(titleKO, rule.TitleKO)
		rem = cmp.Or(rem, rule.Remediation)
		remKO = cmp.Or(remKO, rule.RemediationKO)
		if len(fv.Articles) == 0 {
			fv.Articles = rule.Articles
		}
	}
	fv.Title, fv.Remediation = title, rem
	if lang == "ko" {
		fv.Title, fv.Remediation = cmp.Or(titleKO, title), cmp.Or(remKO, rem)
	}
	if r.DocsURL != "" && (rule == nil || rule.Builtin) {
		fv.HelpURL = r.DocsURL + "#" + RuleAnchor(f.Rule)
	}
	switch {
	case f.Waived != nil:
		fv.State = "waived"
		w := f.Waived
		fv.StateText = fmt.Sprintf(l["state.waived"], w.Owner, w.Expires, w.Reason)
	case f.Baselined:
		fv.State = "baselined"
		fv.StateText = l["state.baselined"]
	}
	switch f.Status {
	case audit.StatusNew:
		fv.Status = l["status.new"]
	case audit.StatusRecurring:
		fv.Status = l["status.recurring"]
	default:
		fv.Status = f.Status
	}
	return fv
}

func location(s audit.Source) string {
	switch {
	case s.File == "":
		return ""
	case s.Line > 0:
		return s.File + ":" + strconv.Itoa(s.Line)
	}
	return s.File
}

// evidenceRows renders evidence as rows sorted by key.
func evidenceRows(ev map[string]any) []Row {
	rows := make([]Row, 0, len(ev))
	for _, k := range slices.Sorted(maps.Keys(ev)) {
		rows = append(rows, Row{Key: k, Value: evidenceValue(ev[k])})
	}
	return rows
}

// evidenceValue writes a scalar plainly (integers grouped by thousands) and
// anything nested as compact JSON with sorted keys.
func evidenceValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return x
	case bool:
		return strconv.FormatBool(x)
	case int:
		return formatInt(int64(x))
	case int64:
		return formatInt(x)
	case int32:
		return formatInt(int64(x))
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e15 {
			return formatInt(int64(x))
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return formatInt(n)
		}
		return x.String()
	}
	return compactJSON(v)
}

func compactJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false) // escaping is the output format's job
	if err := enc.Encode(v); err != nil {
		return fmt.Sprintf("%v", v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// formatInt writes n with comma thousands separators (Korean uses the same).
func formatInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func groupActive(fs []FindingView, l map[string]string) []SeverityGroup {
	var active []FindingView
	for _, f := range fs {
		if f.State == "active" {
			active = append(active, f)
		}
	}
	return bySeverity(active, l)
}

// bySeverity groups findings already in report order, most serious first,
// dropping empty severities.
func bySeverity(fs []FindingView, l map[string]string) []SeverityGroup {
	var groups []SeverityGroup
	for _, s := range audit.Severities() {
		var g []FindingView
		for _, f := range fs {
			if f.SeverityRank == s {
				g = append(g, f)
			}
		}
		if len(g) > 0 {
			groups = append(groups, SeverityGroup{Name: s.String(), Label: severityLabel(l, s), Findings: g})
		}
	}
	return groups
}

// groupByArticle groups findings by their first article, in order of first
// appearance in report order (so the article of the most serious finding
// comes first), then by severity.
func groupByArticle(fvs []FindingView, l map[string]string) []ArticleGroup {
	var order []string
	members := map[string][]FindingView{}
	for _, fv := range fvs {
		art := ""
		if len(fv.Articles) > 0 {
			art = fv.Articles[0]
		}
		if _, seen := members[art]; !seen {
			order = append(order, art)
		}
		members[art] = append(members[art], fv)
	}
	groups := make([]ArticleGroup, 0, len(order))
	for _, art := range order {
		title := art
		if art == "" {
			title = l["article.other"]
		}
		groups = append(groups, ArticleGroup{Article: title, Count: len(members[art]), Severities: bySeverity(members[art], l)})
	}
	return groups
}

// sortedFindings returns a sorted copy of the findings (never nil): every
// format renders in the same order whatever order the run holds.
func sortedFindings(fs []audit.Finding) []audit.Finding {
	out := nonNil(slices.Clone(fs))
	audit.SortFindings(out)
	return out
}

// sortedFiles returns a copy of the log-file accounting (never nil), by path.
func sortedFiles(fs []audit.FileQuality) []audit.FileQuality {
	out := nonNil(slices.Clone(fs))
	slices.SortStableFunc(out, func(a, b audit.FileQuality) int { return strings.Compare(a.Path, b.Path) })
	return out
}

func newVerdict(fs []audit.Finding, failOn audit.Severity, l map[string]string) Verdict {
	n := audit.Failing(fs, failOn)
	v := Verdict{Pass: n == 0, Failing: n}
	if failOn == audit.SeverityNone {
		v.Text = l["verdict.pass.none"]
		return v
	}
	v.FailOn = severityLabel(l, failOn)
	switch {
	case n == 0:
		v.Text = fmt.Sprintf(l["verdict.pass"], v.FailOn)
	case n == 1:
		v.Text = fmt.Sprintf(l["verdict.fail.one"], v.FailOn)
	default:
		v.Text = fmt.Sprintf(l["verdict.fail.many"], n, v.FailOn)
	}
	return v
}

func newSummary(r *Report, l map[string]string, v *View) Summary {
	run := r.Run
	rs := run.Summary()
	s := Summary{
		Active:    rs.Total(),
		Waived:    rs.Waived,
		Baselined: rs.Baselined,
		Total:     len(run.Findings),
		Flows:     len(v.Inventory),
	}
	counts := map[audit.Severity]int{
		audit.SeverityCritical: rs.Critical, audit.SeverityHigh: rs.High,
		audit.SeverityMedium: rs.Medium, audit.SeverityLow: rs.Low,
	}
	for _, sev := range audit.Severities() {
		s.Severities = append(s.Severities, SeverityCount{Name: sev.String(), Label: severityLabel(l, sev), Count: counts[sev]})
	}
	countries := map[string]bool{}
	for _, f := range v.Inventory {
		if f.Findings > 0 {
			s.FlowsWithFindings++
		}
		for _, c := range f.Countries {
			countries[c] = true
		}
		for _, c := range f.ObservedCountries {
			countries[c] = true
		}
	}
	for _, u := range run.Unmatched {
		if u.Country != "" {
			countries[u.Country] = true
		}
	}
	s.Countries = slices.Sorted(maps.Keys(countries))
	if m := run.Manifests; m != nil && m.Organization != nil && m.Organization.RevenueKRW > 0 {
		rev := m.Organization.RevenueKRW
		ceiling := rev / 100 * 3 // exact enough where rev*3 would overflow
		if rev <= math.MaxInt64/3 {
			ceiling = rev * 3 / 100
		}
		s.Exposure = &Exposure{
			CeilingKRW: ceiling,
			Revenue:    fmt.Sprintf(l["krw"], formatInt(rev)),
			Ceiling:    fmt.Sprintf(l["krw"], formatInt(ceiling)),
			Note:       l["exposure.note"],
		}
	}
	return s
}

// flowStats aggregates a flow's observations.
type flowStats struct {
	records, peakSubjects int64
	estimated             bool
	days                  map[string]bool
	countries             map[string]bool
	items                 map[string]bool
}

func newFlowStats() *flowStats {
	return &flowStats{days: map[string]bool{}, countries: map[string]bool{}, items: map[string]bool{}}
}

func (st *flowStats) add(day string, records, subjects int64, estimated bool, countries, items []string) {
	st.records += records
	if subjects > st.peakSubjects {
		st.peakSubjects = subjects
		st.estimated = estimated
	}
	st.days[day] = true
	for _, c := range countries {
		st.countries[c] = true
	}
	for _, it := range items {
		st.items[it] = true
	}
}

func (st *flowStats) subjects() string {
	s := formatInt(st.peakSubjects)
	if st.estimated {
		return "~" + s
	}
	return s
}

func newInventory(r *Report, l map[string]string, fvs []FindingView) []FlowView {
	run := r.Run
	stats := map[string]*flowStats{}
	for _, o := range run.Observations {
		st := stats[o.Flow]
		if st == nil {
			st = newFlowStats()
			stats[o.Flow] = st
		}
		st.add(o.Day, o.Records, o.Subjects, o.SubjectsEstimated, o.Countries, o.Items)
	}
	active := map[string]int{}
	for _, f := range fvs {
		if f.State == "active" && f.Flow != "" {
			active[f.Flow]++
		}
	}

	var inv []FlowView
	declared := map[string]bool{}
	if m := run.Manifests; m != nil {
		for i := range m.Flows {
			f := &m.Flows[i]
			declared[f.Name] = true
			fv := FlowView{
				Name:       f.Name,
				Recipient:  f.Recipient,
				Countries:  f.Countries,
				Type:       cmp.Or(l["type."+f.Type], f.Type),
				Items:      groupItems(f.Items, r.ItemCategories, l),
				LegalBasis: legalBasis(f.LegalBasis),
				Bases:      legalBases(f.LegalBasis),
				Schedule:   f.Schedule,
				Location:   location(f.Source),
				Declared:   true,
				Findings:   active[f.Name],
			}
			if rc, ok := m.Recipient(f.Recipient); ok && rc.LegalName != "" {
				fv.Recipient = rc.LegalName
			}
			inv = append(inv, fv)
		}
	}
	// Flows observed but not declared in the run's manifests (a run
	// rendered without them) still belong in the inventory.
	for _, name := range slices.Sorted(maps.Keys(stats)) {
		if !declared[name] {
			items := slices.Sorted(maps.Keys(stats[name].items))
			inv = append(inv, FlowView{Name: name, Items: groupItems(items, r.ItemCategories, l), Findings: active[name]})
		}
	}
	slices.SortStableFunc(inv, func(a, b FlowView) int { return strings.Compare(a.Name, b.Name) })
	for i := range inv {
		if st := stats[inv[i].Name]; st != nil {
			inv[i].Observed = true
			inv[i].ObservedCountries = slices.Sorted(maps.Keys(st.countries))
			inv[i].Records = formatInt(st.records)
			inv[i].Subjects = st.subjects()
			inv[i].Days = len(st.days)
		}
	}
	return inv
}

// groupItems groups items by their first category in the taxonomy, in
// category order of first appearance; without a taxonomy it is one group.
func groupItems(items []string, categories map[string][]string, l map[string]string) []ItemGroup {
	if len(items) == 0 {
		return nil
	}
	if categories == nil {
		return []ItemGroup{{Items: items}}
	}
	var order []string
	byCat := map[string][]string{}
	for _, it := range items {
		cat := ""
		if cs := categories[it]; len(cs) > 0 {
			cat = cs[0]
		}
		if _, seen := byCat[cat]; !seen {
			order = append(order, cat)
		}
		byCat[cat] = append(byCat[cat], it)
	}
	groups := make([]ItemGroup, len(order))
	for i, c := range order {
		groups[i] = ItemGroup{Category: c, Label: categoryLabel(l, c), Items: byCat[c]}
	}
	return groups
}

func legalBasis(b audit.LegalBasis) string { return strings.Join(legalBases(b), ", ") }

func legalBases(b audit.LegalBasis) []string {
	var parts []string
	for _, p := range [][2]string{
		{"overseas", b.Overseas}, {"provision", b.Provision}, {"credit", b.Credit},
		{"transactions", b.Transactions}, {"citation", b.Citation},
	} {
		if p[1] != "" {
			parts = append(parts, p[0]+": "+p[1])
		}
	}
	return parts
}

func newUnmatched(us []audit.Unmatched) []UnmatchedView {
	type key struct{ k, country string }
	stats := map[key]*flowStats{}
	for _, u := range us {
		k := key{u.Key, u.Country}
		st := stats[k]
		if st == nil {
			st = newFlowStats()
			stats[k] = st
		}
		st.add(u.Day, u.Records, u.Subjects, u.SubjectsEstimated, nil, u.Items)
	}
	keys := slices.SortedFunc(maps.Keys(stats), func(a, b key) int {
		if c := strings.Compare(a.k, b.k); c != 0 {
			return c
		}
		return strings.Compare(a.country, b.country)
	})
	out := make([]UnmatchedView, 0, len(keys))
	for _, k := range keys {
		st := stats[k]
		out = append(out, UnmatchedView{
			Key: k.k, Country: k.country, Records: formatInt(st.records), Subjects: st.subjects(),
			Days: len(st.days), Items: slices.Sorted(maps.Keys(st.items)),
		})
	}
	return out
}

func newDataQuality(q audit.DataQuality) DataQualityView {
	dq := DataQualityView{
		Read:      q.Lines > 0 || len(q.Files) > 0,
		Lines:     formatInt(q.Lines),
		Bad:       formatInt(q.Bad),
		BadRatio:  strconv.FormatFloat(q.BadRatio()*100, 'f', 2, 64) + "%",
		Unmatched: formatInt(q.UnmatchedLines),
	}
	for _, f := range sortedFiles(q.Files) {
		fq := FileQualityView{Path: f.Path, Lines: formatInt(f.Lines), Records: formatInt(f.Records), Bad: formatInt(f.Bad)}
		for _, e := range f.Examples {
			fq.Examples = append(fq.Examples, Row{Key: f.Path + ":" + strconv.FormatInt(e.Line, 10), Value: e.Reason})
		}
		dq.Files = append(dq.Files, fq)
	}
	return dq
}

func newIntegrity(run *audit.Run, l map[string]string) Integrity {
	in := Integrity{
		Tool:         toolName(run.Tool),
		RunID:        run.ID,
		Mode:         modeLabel(l, run.Mode),
		AsOf:         run.AsOf,
		Started:      timestamp(run.Started),
		Finished:     timestamp(run.Finished),
		PolicyDigest: run.PolicyDigest,
		Records:      formatInt(run.Records),
		Hash:         run.Hash,
		PrevHash:     run.PrevHash,
	}
	for _, f := range run.Inputs {
		in.Inputs = append(in.Inputs, inputView(f))
	}
	for _, f := range run.SkippedFiles {
		in.Skipped = append(in.Skipped, inputView(f))
	}
	return in
}

func inputView(f audit.InputFile) InputView {
	iv := InputView{Path: f.Path, Kind: f.Kind, SHA256: f.SHA256}
	if f.Size > 0 {
		iv.Size = formatInt(f.Size)
	}
	return iv
}

// timestamp writes a time as "YYYY-MM-DD hh:mm:ss UTC", "" for the zero time.
func timestamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// categoryLabel is the localised name of an item category; a category the
// catalogue does not know (a user's taxonomy extension) is shown as is.
func categoryLabel(l map[string]string, c string) string {
	if c == "" {
		return ""
	}
	return cmp.Or(l["category."+c], c)
}
