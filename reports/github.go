package reports

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/xborder/xborder/internal/audit"
)

// GitHub writes GitHub Actions workflow commands, one annotation per
// finding, so that findings appear on the changed lines of a pull request:
//
//	::error file=manifests/alipay.yaml,line=21,col=5,title=XB-BULK-DAILY::…
//
// Active findings at or above --fail-on are errors, active ones below it
// warnings, waived and baselined ones notices (with who waived them and
// until when). Expired waivers are warnings and unused ones notices, both
// on the waiver's line. Files are relative to the repository root
// (Report.Root), which is what GitHub resolves annotations against.
// Values are escaped the way the Actions runner unescapes them, so a
// hostile message cannot end its annotation or start another command.
func GitHub(w io.Writer, r *Report) error {
	if err := checkReport(r); err != nil {
		return err
	}
	bw := bufio.NewWriter(w)
	findings := slices.Clone(r.Run.Findings)
	audit.SortFindings(findings)
	rules := map[string]audit.Rule{}
	for _, rule := range r.Rules {
		rules[rule.ID] = rule
	}
	for i := range findings {
		f := &findings[i]
		level := "notice"
		switch {
		case f.Waived != nil || f.Baselined:
		case r.FailOn != audit.SeverityNone && f.Severity >= r.FailOn:
			level = "error"
		default:
			level = "warning"
		}
		rule := rules[f.Rule]
		title := localized(r.Lang, f.Title, f.TitleKO)
		title = cmp.Or(title, localized(r.Lang, rule.Title, rule.TitleKO))
		var msg strings.Builder
		fmt.Fprintf(&msg, "[%s] ", f.Severity)
		if title != "" {
			msg.WriteString(title + ": ")
		}
		msg.WriteString(f.Message)
		if rem := cmp.Or(localized(r.Lang, f.Remediation, f.RemediationKO), localized(r.Lang, rule.Remediation, rule.RemediationKO)); rem != "" {
			msg.WriteString("\nFix: " + rem)
		}
		switch {
		case f.Waived != nil:
			msg.WriteString("\nWaived by " + Justification(f.Waived))
		case f.Baselined:
			msg.WriteString("\nBaselined: present in the accepted baseline")
		}
		if rule.ID == "" {
			rule.ID = f.Rule
		}
		if u := ruleURL(r, rule); u != "" {
			msg.WriteString("\n" + u)
		}
		workflowCommand(bw, level, r, f.Location, f.Rule, msg.String())
	}
	for _, n := range waiverNotes(r) {
		workflowCommand(bw, n.level, r, n.waiver.Source, n.title, n.text)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("reports: write github: %w", err)
	}
	return nil
}

// workflowCommand writes one `::level file=…,line=…,col=…,title=…::message`.
func workflowCommand(w *bufio.Writer, level string, r *Report, at audit.Source, title, msg string) {
	var props []string
	if at.File != "" {
		props = append(props, "file="+escapeProperty(repoPath(r, at.File)))
		if at.Line > 0 {
			props = append(props, "line="+strconv.Itoa(at.Line))
			if at.Col > 0 {
				props = append(props, "col="+strconv.Itoa(at.Col))
			}
		}
	}
	if title != "" {
		props = append(props, "title="+escapeProperty(title))
	}
	w.WriteString("::" + level)
	if len(props) > 0 {
		w.WriteString(" " + strings.Join(props, ","))
	}
	w.WriteString("::" + escapeData(msg) + "\n")
}

// escapeData escapes a workflow command's message as the runner expects
// (toolkit's escapeData): %, CR and LF. Hidden controls (a terminal escape,
// a right-to-left override) are made visible (see visibleControls) so that
// a flow name can neither colour the log nor reorder the annotation.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(visibleControls(s))
}

// escapeProperty escapes a workflow command property (toolkit's
// escapeProperty): also ':' and ',', which would end the property.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(visibleControls(s))
}
