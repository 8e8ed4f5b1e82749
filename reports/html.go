package reports

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io"
	"strings"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// htmlTemplate is parsed once per process. missingkey=error turns a label
// missing from a catalogue into an error instead of an empty cell.
var htmlTemplate = template.Must(template.New("html").
	Option("missingkey=error").
	Funcs(template.FuncMap{
		"join":      strings.Join,
		"num":       fnum,
		"add":       func(a, b float64) float64 { return a + b },
		"lineY":     func(i int) float64 { return diagramLineY(i) },
		"articleID": articleID,
	}).
	ParseFS(templateFS, "templates/*.tmpl"))

// HTML writes a self-contained page for the regulator or auditor: every
// style inline, charts and the flow diagram as inline SVG, no script, no
// external resource (the only links are to the rule documentation and to
// the page's own sections), print-friendly. html/template escapes every
// value, so a hostile flow name or evidence string stays text. The page is
// sealed (integrity.go): its seal sits in a <meta name="xborder-seal">
// element and in the integrity section.
func HTML(w io.Writer, r *Report) error {
	if err := checkReport(r); err != nil {
		return err
	}
	// Render fully before writing so that an error leaves no half page.
	var b bytes.Buffer
	if err := htmlTemplate.ExecuteTemplate(&b, "report", NewView(r)); err != nil {
		return fmt.Errorf("reports: render html: %w", err)
	}
	if err := sealReport(b.Bytes(), r.Run, r.SignKey); err != nil {
		return err
	}
	if _, err := b.WriteTo(w); err != nil {
		return fmt.Errorf("reports: write html: %w", err)
	}
	return nil
}
