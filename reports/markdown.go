package reports

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xborder/xborder/internal/audit"
)

// markdownMaxRows bounds each table, so that a run with thousands of
// findings still fits a pull-request comment (65,536 characters).
const markdownMaxRows = 100

// markdownLabels are the labels only the Markdown format uses, per language;
// everything else comes from the shared catalogue through the View.
var markdownLabels = map[string]map[string]string{
	"en": {
		"severity":      "Severity",
		"rule":          "Rule",
		"message":       "Finding",
		"active":        "Active findings",
		"waiver":        "Waiver",
		"howToFix":      "How to fix",
		"review":        "Waivers to review",
		"expired":       "expired",
		"unused":        "unused",
		"more":          "… and %d more: see the SARIF or JSON output.", // count
		"needsLogs":     "they need transfer logs (`xborder audit`)",
		"policyDigest":  "policy digest",
		"checkedFlows":  "%d flows checked", // count
		"passingGate":   "below the gate",
		"waivedBy":      "%s until %s: %s",                                              // owner, expires, reason
		"reviewExpired": "%s: waiver for %s%s (%s) expired on %s and no longer applies", // location, rule, flow, owner, date
		"reviewUnused":  "%s: waiver for %s%s (%s) matched no finding",                  // location, rule, flow, owner
		"onFlow":        " on ",
	},
	"ko": {
		"severity":      "심각도",
		"rule":          "규칙",
		"message":       "발견사항",
		"active":        "조치가 필요한 발견사항",
		"waiver":        "예외",
		"howToFix":      "개선 방법",
		"review":        "검토가 필요한 예외",
		"expired":       "만료",
		"unused":        "미사용",
		"more":          "… 외 %d건: SARIF 또는 JSON 출력을 확인하십시오.",
		"needsLogs":     "전송 로그가 필요합니다 (`xborder audit`)",
		"policyDigest":  "정책 다이제스트",
		"checkedFlows":  "이전 흐름 %d개 점검",
		"passingGate":   "기준 미만",
		"waivedBy":      "%s, %s까지: %s",
		"reviewExpired": "%s: %s%s 예외(%s)가 %s에 만료되어 더 이상 적용되지 않습니다",
		"reviewUnused":  "%s: %s%s 예외(%s)와 일치하는 발견사항이 없습니다",
		"onFlow":        " / ",
	},
}

var severityMark = map[string]string{
	"critical": "🔴",
	"high":     "🟠",
	"medium":   "🟡",
	"low":      "🔵",
}

// Markdown writes a summary for a pull-request comment or a CI job summary
// ($GITHUB_STEP_SUMMARY): the verdict, the counts, a table of the active
// findings (rule linked to its documentation, flow, file:line from the
// repository root, message), how to fix each rule, the waived and
// baselined findings, waivers that expired or matched nothing, and the
// rules not evaluated. It renders the shared View, so its words and counts
// are the text and HTML reports' own.
//
// Every value from a manifest or policy is escaped for GitHub-flavoured
// Markdown: names and paths go in code spans (pipes escaped, fences longer
// than any backtick run inside), prose has Markdown punctuation
// backslash-escaped and HTML's <, > and & as entities, @ cannot mention
// anyone, newlines become spaces and bidirectional controls become visible.
func Markdown(w io.Writer, r *Report) error {
	if err := checkReport(r); err != nil {
		return err
	}
	v := newView(r, false)
	ml := markdownLabels[v.Lang]
	if ml == nil {
		ml = markdownLabels["en"]
	}
	l := v.L
	files := map[string]audit.Source{}
	for _, f := range r.Run.Findings {
		files[f.ID] = f.Location
	}
	where := func(id string) string {
		s := files[id]
		if s.File == "" {
			return ""
		}
		loc := repoPath(r, s.File)
		if s.Line > 0 {
			loc += ":" + strconv.Itoa(s.Line)
		}
		return mdCode(loc)
	}

	b := bufio.NewWriter(w)
	mark := "✅"
	if !v.Verdict.Pass {
		mark = "❌"
	}
	fmt.Fprintf(b, "### %s %s %s — %s\n\n", mark, mdText(v.Tool), mdText(v.Mode), mdText(v.Verdict.Text))
	var meta []string
	if v.Organization != "" {
		meta = append(meta, mdText(v.Organization))
	}
	if v.AsOf != "" {
		meta = append(meta, mdText(l["asof"]+" "+v.AsOf))
	}
	if v.Summary.Flows > 0 {
		meta = append(meta, fmt.Sprintf(ml["checkedFlows"], v.Summary.Flows))
	}
	if d := v.Integrity.PolicyDigest; d != "" {
		meta = append(meta, ml["policyDigest"]+" "+mdCode(shortDigest(d)))
	}
	if len(meta) > 0 {
		fmt.Fprintf(b, "%s\n\n", strings.Join(meta, " · "))
	}

	// Counts.
	b.WriteString("|")
	for _, c := range v.Summary.Severities {
		fmt.Fprintf(b, " %s %s |", severityMark[c.Name], mdText(c.Label))
	}
	fmt.Fprintf(b, " %s | %s |\n|", mdText(l["waived"]), mdText(l["baselined"]))
	for range len(v.Summary.Severities) + 2 {
		b.WriteString("---:|")
	}
	b.WriteString("\n|")
	for _, c := range v.Summary.Severities {
		fmt.Fprintf(b, " %d |", c.Count)
	}
	fmt.Fprintf(b, " %d | %d |\n\n", v.Summary.Waived, v.Summary.Baselined)

	// Active findings.
	var active, waived, baselined []FindingView
	for _, f := range v.Findings {
		switch f.State {
		case "waived":
			waived = append(waived, f)
		case "baselined":
			baselined = append(baselined, f)
		default:
			active = append(active, f)
		}
	}
	if len(active) == 0 {
		fmt.Fprintf(b, "%s\n\n", mdText(l["text.none"]))
	} else {
		fmt.Fprintf(b, "#### %s (%d)\n\n", mdText(ml["active"]), len(active))
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n|---|---|---|---|---|\n",
			ml["severity"], ml["rule"], mdText(l["flow"]), mdText(l["location"]), ml["message"])
		for i, f := range active {
			if i == markdownMaxRows {
				break
			}
			sev := severityMark[f.Severity] + " " + mdText(f.SeverityText)
			if r.FailOn == audit.SeverityNone || f.SeverityRank < r.FailOn {
				sev += " (" + ml["passingGate"] + ")"
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", sev, mdRule(f), mdCode(f.Flow), where(f.ID), mdText(f.Message))
		}
		moreRows(b, ml, len(active))
		b.WriteString("\n")

		// One remediation per rule, in report order.
		fmt.Fprintf(b, "<details><summary>%s</summary>\n\n", mdText(ml["howToFix"]))
		seen := map[string]bool{}
		for _, f := range active {
			if seen[f.Rule] || f.Remediation == "" {
				continue
			}
			seen[f.Rule] = true
			fmt.Fprintf(b, "- %s — %s: %s\n", mdRule(f), mdText(f.Title), mdText(f.Remediation))
		}
		b.WriteString("\n</details>\n\n")
	}

	if len(waived) > 0 {
		fmt.Fprintf(b, "#### %s (%d)\n\n| %s | %s | %s | %s |\n|---|---|---|---|\n",
			mdText(capitalize(l["waived"])), len(waived), ml["rule"], mdText(l["flow"]), mdText(l["location"]), ml["waiver"])
		for i, f := range waived {
			if i == markdownMaxRows {
				break
			}
			fmt.Fprintf(b, "| %s | %s | %s | %s |\n", mdRule(f), mdCode(f.Flow), where(f.ID), mdText(waiverText(r, ml, f.ID)))
		}
		moreRows(b, ml, len(waived))
		b.WriteString("\n")
	}
	if len(baselined) > 0 {
		fmt.Fprintf(b, "#### %s (%d)\n\n| %s | %s | %s | %s |\n|---|---|---|---|\n",
			mdText(capitalize(l["baselined"])), len(baselined), ml["severity"], ml["rule"], mdText(l["flow"]), mdText(l["location"]))
		for i, f := range baselined {
			if i == markdownMaxRows {
				break
			}
			fmt.Fprintf(b, "| %s %s | %s | %s | %s |\n", severityMark[f.Severity], mdText(f.SeverityText), mdRule(f), mdCode(f.Flow), where(f.ID))
		}
		moreRows(b, ml, len(baselined))
		b.WriteString("\n")
	}

	if len(r.ExpiredWaivers)+len(r.UnusedWaivers) > 0 {
		fmt.Fprintf(b, "#### %s\n\n", mdText(ml["review"]))
		for _, w := range sortedWaivers(r.ExpiredWaivers) {
			fmt.Fprintf(b, "- ⚠️ **%s** %s\n", ml["expired"], mdText(fmt.Sprintf(ml["reviewExpired"], waiverAt(r, w), w.Rule, onFlow(ml, w), w.Owner, w.Expires)))
		}
		for _, w := range sortedWaivers(r.UnusedWaivers) {
			fmt.Fprintf(b, "- ℹ️ **%s** %s\n", ml["unused"], mdText(fmt.Sprintf(ml["reviewUnused"], waiverAt(r, w), w.Rule, onFlow(ml, w), w.Owner)))
		}
		b.WriteString("\n")
	}

	if len(v.NotEvaluated) > 0 {
		codes := make([]string, len(v.NotEvaluated))
		for i, id := range v.NotEvaluated {
			codes[i] = mdCode(id)
		}
		fmt.Fprintf(b, "%s: %s — %s\n", mdText(l["notEvaluated"]), strings.Join(codes, ", "), ml["needsLogs"])
	}
	if err := b.Flush(); err != nil {
		return fmt.Errorf("reports: write markdown: %w", err)
	}
	return nil
}

func moreRows(b *bufio.Writer, ml map[string]string, n int) {
	if n > markdownMaxRows {
		fmt.Fprintf(b, "\n%s\n", fmt.Sprintf(ml["more"], n-markdownMaxRows))
	}
}

func waiverText(r *Report, ml map[string]string, id string) string {
	for _, f := range r.Run.Findings {
		if f.ID == id && f.Waived != nil {
			return fmt.Sprintf(ml["waivedBy"], f.Waived.Owner, f.Waived.Expires, f.Waived.Reason)
		}
	}
	return ""
}

func waiverAt(r *Report, w audit.Waiver) string {
	s := repoPath(r, w.Source.File)
	if w.Source.Line > 0 {
		s += ":" + strconv.Itoa(w.Source.Line)
	}
	return s
}

func onFlow(ml map[string]string, w audit.Waiver) string {
	if w.Flow == "" {
		return ""
	}
	return ml["onFlow"] + w.Flow
}

// mdRule is the rule ID, linked to its documentation when there is one.
func mdRule(f FindingView) string {
	if f.HelpURL == "" {
		return mdCode(f.Rule)
	}
	return "[" + mdText(f.Rule) + "](" + mdURL(f.HelpURL) + ")"
}

// mdURL keeps a link destination inside its parentheses.
func mdURL(u string) string {
	return strings.NewReplacer(" ", "%20", "(", "%28", ")", "%29", "<", "%3C", ">", "%3E", "|", "%7C", "\n", "", "\r", "").Replace(u)
}

// mdText escapes prose for a GitHub-flavoured Markdown table cell.
func mdText(s string) string {
	s = visibleControls(oneLine(s))
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '@':
			b.WriteString("@\u200b") // a zero-width space: no @mention
		case '\\', '`', '*', '_', '[', ']', '|', '~':
			b.WriteByte('\\')
			b.WriteRune(r)
		case '\t':
			b.WriteByte(' ')
		default:
			if r < 0x20 || r == 0x7f {
				b.WriteRune('\uFFFD')
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// mdCode writes s as a code span safe in a table cell: "" for empty, a
// fence one backtick longer than any run inside, padded with spaces, and
// pipes escaped (GFM splits cells before it parses code spans).
func mdCode(s string) string {
	if s == "" {
		return ""
	}
	s = visibleControls(oneLine(s))
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '\uFFFD'
		}
		return r
	}, s)
	longest, run := 0, 0
	for _, r := range s {
		if r == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	fence := strings.Repeat("`", longest+1)
	return fence + " " + strings.ReplaceAll(s, "|", `\|`) + " " + fence
}

// capitalize upper-cases the first letter (labels are lower case for use
// inside sentences; headings start with a capital).
func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// shortDigest abbreviates a digest for display ("sha256:3f9a…" → 12 hex).
func shortDigest(d string) string {
	algo, hex, ok := strings.Cut(d, ":")
	if !ok {
		hex, algo = d, ""
	}
	if len(hex) > 12 {
		hex = hex[:12]
	}
	if algo != "" {
		return algo + ":" + hex
	}
	return hex
}
