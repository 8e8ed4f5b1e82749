package reports

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xborder/xborder/internal/audit"
)

// Report is everything a format may render. The CLI builds one per
// invocation; formats only read it.
type Report struct {
	// Run holds the findings, inputs, policy digest, data quality,
	// observations and the judged Manifests (which may be nil, for example
	// when a run is re-rendered from a database that did not keep them).
	Run *audit.Run
	// Rules is the rule catalogue, used for titles, remediation and articles
	// that a finding does not carry itself.
	Rules []audit.Rule
	// Lang is "en" (the default) or "ko"; human formats use title_ko and
	// remediation_ko and Korean labels for "ko". See Languages.
	Lang string
	// FailOn is the --fail-on threshold the verdict line is computed with.
	FailOn audit.Severity
	// Color turns on ANSI colours in the text format; the CLI sets it when
	// stdout is a terminal.
	Color bool
	// DocsURL is the base of rule documentation links (each link is
	// DocsURL + "#" + the rule's anchor); empty means no links.
	DocsURL string
	// ItemCategories maps an item ID to its categories (the policies'
	// taxonomy) so that the transfer inventory can group a flow's items by
	// category. Nil lists each flow's items as one ungrouped list.
	ItemCategories map[string][]string
	// SignKey, when set, adds an ed25519 signature to the seal of the
	// document formats (html, pdf; see integrity.go). Nil leaves them
	// sealed (content digest) but unsigned.
	SignKey ed25519.PrivateKey
	// Root is the working directory's path inside the repository, slash
	// separated ("" at the repository root or outside a repository).
	// Formats a code host reads (sarif, github, junit, markdown) join it to
	// each relative finding file, so that paths resolve against the
	// repository root whatever directory the CLI ran in.
	Root string
	// BaselineUsed says the run applied a baseline (`check --baseline`):
	// SARIF then marks every result "new" or "unchanged".
	BaselineUsed bool
	// ExpiredWaivers no longer apply; UnusedWaivers matched no finding.
	// Formats that annotate a pull request point at them so that they get
	// renewed or removed.
	ExpiredWaivers, UnusedWaivers []audit.Waiver
}

// Reporter renders a report in one format. It is the one interface every
// format implements, so that the CLI writes any of them the same way.
type Reporter interface {
	Report(w io.Writer, r *Report) error
}

// ReporterFunc lets a plain function be a Reporter; every format in this
// package is one.
type ReporterFunc func(w io.Writer, r *Report) error

// Report calls f.
func (f ReporterFunc) Report(w io.Writer, r *Report) error { return f(w, r) }

// Formats is the one registry of output formats. Names for --help and
// validation come from its keys: there is no parallel list and no init()
// self-registration. Adding a format is one file and one entry here.
var Formats = map[string]Reporter{
	"csv":      ReporterFunc(CSV),
	"html":     ReporterFunc(HTML),
	"json":     ReporterFunc(JSON),
	"pdf":      ReporterFunc(PDF),
	"text":     ReporterFunc(Text),
	"github":   ReporterFunc(GitHub),
	"junit":    ReporterFunc(JUnit),
	"markdown": ReporterFunc(Markdown),
	"sarif":    ReporterFunc(SARIF),
}

// Names returns the format names, sorted, for --help and error messages.
func Names() []string {
	names := make([]string, 0, len(Formats))
	for n := range Formats {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Lookup returns the reporter for a format name; an unknown name is an error
// that lists the valid names.
func Lookup(name string) (Reporter, error) {
	if rep, ok := Formats[name]; ok {
		return rep, nil
	}
	return nil, fmt.Errorf("unknown format %q (want %s)", name, orList(Names()))
}

// errNoRun is returned by every format when there is nothing to render.
var errNoRun = errors.New("reports: report has no run")

func checkReport(r *Report) error {
	if r == nil || r.Run == nil {
		return errNoRun
	}
	return nil
}

// orList joins names as "a, b or c".
func orList(names []string) string {
	switch len(names) {
	case 0:
		return "nothing"
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
