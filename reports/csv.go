package reports

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// csvHeader names the CSV columns. They are stable identifiers, the same
// in every language; the title and remediation columns hold the --lang text.
var csvHeader = []string{
	"run_id", "run_hash", "as_of", "id", "rule", "severity", "state", "status", "title", "articles",
	"flow", "file", "line", "message", "evidence", "remediation", "waiver_owner", "waiver_expires", "waiver_reason",
}

// CSV writes one row per finding, in report order, for the auditor's
// spreadsheet: RFC 4180 (CRLF line ends, quoted where needed), UTF-8. With
// --lang ko it starts with a byte-order mark, without which spreadsheet
// programs misread Hangul. A text cell starting with =, +, -, @, tab or
// carriage return is prefixed with an apostrophe, so that a hostile flow
// name or message is never evaluated as a spreadsheet formula. Evidence is
// compact JSON with sorted keys.
func CSV(w io.Writer, r *Report) error {
	if err := checkReport(r); err != nil {
		return err
	}
	run := r.Run
	lang := langOf(r.Lang)
	rules := ruleIndex(r)
	bw := bufio.NewWriter(w)
	if lang == "ko" {
		bw.WriteString("\ufeff")
	}
	cw := csv.NewWriter(bw)
	cw.UseCRLF = true
	if err := cw.Write(csvHeader); err != nil {
		return fmt.Errorf("reports: write csv: %w", err)
	}
	for _, f := range sortedFindings(run.Findings) {
		fv := newFindingView(r, lang, rules, &f)
		state := fv.State
		var owner, expires, reason string
		if f.Waived != nil {
			owner, expires, reason = f.Waived.Owner, f.Waived.Expires, f.Waived.Reason
		}
		line := ""
		if f.Location.Line > 0 {
			line = strconv.Itoa(f.Location.Line)
		}
		evidence := "{}"
		if len(f.Evidence) > 0 {
			evidence = compactJSON(f.Evidence)
		}
		row := []string{
			run.ID, run.Hash, run.AsOf, f.ID, f.Rule, f.Severity.String(), state, f.Status, fv.Title,
			strings.Join(fv.Articles, "; "), f.Flow, f.Location.File, line, f.Message, evidence, fv.Remediation,
			owner, expires, reason,
		}
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return fmt.Errorf("reports: write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("reports: write csv: %w", err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("reports: write csv: %w", err)
	}
	return nil
}

// csvSafe defuses a cell a spreadsheet would read as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
