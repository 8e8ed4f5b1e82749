package audit

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"slices"
)

// Rule is a rule's metadata, read from its `# METADATA` block.
type Rule struct {
	ID            string   `json:"id"`
	Title         string   `json:"title"`
	TitleKO       string   `json:"title_ko"`
	Description   string   `json:"description"`
	Severity      Severity `json:"severity"`
	Articles      []string `json:"articles"`
	Remediation   string   `json:"remediation"`
	RemediationKO string   `json:"remediation_ko"`
	// Needs lists the evidence the rule needs beyond manifests
	// ("observations"); `xborder check` skips such rules and says so.
	Needs []string `json:"needs,omitempty"`
	// Package is the Rego package, Source where the rule is defined.
	Package string `json:"package"`
	Source  Source `json:"source"`
	// Builtin is false for rules loaded with --policy.
	Builtin bool `json:"builtin"`
}

// NeedsObservations reports whether the rule can only fire on logs.
func (r Rule) NeedsObservations() bool { return slices.Contains(r.Needs, "observations") }

// Waiver is an accepted risk: who accepted it, why, until when.
type Waiver struct {
	Rule    string `json:"rule"`
	Flow    string `json:"flow,omitempty"`
	Owner   string `json:"owner"`
	Reason  string `json:"reason"`
	Expires string `json:"expires"` // YYYY-MM-DD
	When    string `json:"when,omitempty"`
	Source  Source `json:"source"`
}

// Finding statuses across runs.
const (
	StatusNew       = "new"
	StatusRecurring = "recurring"
	StatusResolved  = "resolved"
)

// Finding is one conclusion of one rule.
type Finding struct {
	// ID is a stable fingerprint: rule, flow, file and the rule's key
	// evidence, never line numbers, so it survives edits around it.
	ID            string         `json:"id"`
	Rule          string         `json:"rule"`
	Severity      Severity       `json:"severity"`
	Title         string         `json:"title"`
	TitleKO       string         `json:"title_ko,omitempty"`
	Articles      []string       `json:"articles"`
	Flow          string         `json:"flow,omitempty"`
	Message       string         `json:"message"`
	Evidence      map[string]any `json:"evidence"`
	Location      Source         `json:"location"`
	Field         string         `json:"field,omitempty"` // the manifest field the finding is about
	Remediation   string         `json:"remediation"`
	RemediationKO string         `json:"remediation_ko,omitempty"`
	// Key is the rule's discriminator among several findings on one flow
	// (the unmatched host, the missing clause); part of the fingerprint.
	Key       string  `json:"key,omitempty"`
	Waived    *Waiver `json:"waived,omitempty"`
	Baselined bool    `json:"baselined,omitempty"`
	Status    string  `json:"status,omitempty"`    // new | recurring, filled by the store
	FirstSeen string  `json:"firstSeen,omitempty"` // run id where first seen
}

// Fingerprint computes the stable ID of a finding.
func Fingerprint(rule, flow, file, key string) string {
	h := sha256.New()
	for _, s := range []string{rule, flow, file, key} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// Counts is the number of findings per severity.
type Counts struct {
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
}

// Add counts one finding of the given severity.
func (c *Counts) Add(s Severity) {
	switch s {
	case SeverityCritical:
		c.Critical++
	case SeverityHigh:
		c.High++
	case SeverityMedium:
		c.Medium++
	case SeverityLow:
		c.Low++
	}
}

// Total is the number of findings counted.
func (c Counts) Total() int { return c.Critical + c.High + c.Medium + c.Low }

// SortFindings orders findings by severity (most serious first), rule,
// file, line, flow and ID: the order of every output.
func SortFindings(fs []Finding) {
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Location.File, b.Location.File),
			cmp.Compare(a.Location.Line, b.Location.Line),
			cmp.Compare(a.Flow, b.Flow),
			cmp.Compare(a.ID, b.ID),
		)
	})
}

// Failing counts the findings at or above threshold that are neither waived
// nor baselined: the findings that decide the exit code.
func Failing(fs []Finding, threshold Severity) int {
	if threshold == SeverityNone {
		return 0
	}
	n := 0
	for _, f := range fs {
		if f.Severity >= threshold && f.Waived == nil && !f.Baselined {
			n++
		}
	}
	return n
}
