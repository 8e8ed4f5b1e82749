package reports

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/xborder/xborder/internal/audit"
)

const hostile = `<script>alert(1)</script>"'`

// hostileReport puts attacker-controlled strings everywhere a manifest, a
// log or a rule can reach: flow and organization names, messages,
// evidence, waiver reasons, data-quality reasons.
func hostileReport() *Report {
	r := testReport("en")
	run := r.Run
	run.Manifests.Organization.LegalName = hostile
	run.Manifests.Flows[0].Name = hostile
	run.Manifests.Recipients[0].LegalName = `</td></tr></table><script>alert("r")</script>`
	for i := range run.Findings {
		f := &run.Findings[i]
		if f.Flow == "alipay-nsf" {
			f.Flow = hostile
		}
	}
	run.Findings[1].Message = `<img src=x onerror=alert(3)> and <a href="https://evil.example">click</a>`
	run.Findings[1].Evidence["note"] = `</style><script>alert(2)</script>`
	run.Findings[1].Evidence["nested"] = map[string]any{"x": `</code></style><style>body{display:none}`}
	run.Findings[4].Waived.Reason = `<script>alert("w")</script>`
	run.Observations[0].Flow = hostile
	run.Observations[2].Flow = hostile
	run.DataQuality.Files[1].Examples[0].Reason = `<iframe src="https://evil.example"></iframe>`
	return r
}

func TestHTMLEscapesHostileInput(t *testing.T) {
	out := render(t, "html", hostileReport())
	lower := bytes.ToLower(out)
	if bytes.Contains(lower, []byte("<script")) {
		t.Errorf("output contains a raw <script tag")
	}
	for _, raw := range []string{"<img", "<iframe", "<a href=\"https://evil", hostile} {
		if bytes.Contains(out, []byte(raw)) {
			t.Errorf("output contains raw %q", raw)
		}
	}
	if n := bytes.Count(lower, []byte("</style>")); n != 1 {
		t.Errorf("output has %d </style> tags, want exactly the stylesheet's one", n)
	}
	if n := bytes.Count(lower, []byte("<style")); n != 1 {
		t.Errorf("output has %d <style tags, want 1", n)
	}

	doc := parseHTML(t, out)
	checkSelfContained(t, doc)
	// The hostile name survives as text: escaped, not dropped.
	if text := textContent(doc); !strings.Contains(text, hostile) {
		t.Errorf("hostile flow name is not shown as text")
	}
	checkWellFormed(t, out)
}

// TestHTMLRejectsUnsafeDocsURL checks a javascript: docs base never becomes a link.
func TestHTMLRejectsUnsafeDocsURL(t *testing.T) {
	r := testReport("en")
	r.DocsURL = "javascript:alert(1)"
	out := render(t, "html", r)
	if bytes.Contains(bytes.ToLower(out), []byte("javascript:")) {
		t.Errorf("a javascript: URL reached the output")
	}
}

func TestHTMLGoldenStructure(t *testing.T) {
	for _, lang := range []string{"en", "ko"} {
		t.Run(lang, func(t *testing.T) {
			out := render(t, "html", testReport(lang))
			checkWellFormed(t, out)
			doc := parseHTML(t, out)
			checkSelfContained(t, doc)
			root := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Html })
			if got := attr(root, "lang"); got != lang {
				t.Errorf("<html lang=%q>, want %q", got, lang)
			}
			style := find(doc, func(n *html.Node) bool { return n.DataAtom == atom.Style })
			if style == nil || !strings.Contains(textContent(style), "@media print") {
				t.Errorf("no inline stylesheet with print rules")
			}
			for _, id := range []string{"summary", "findings", "inventory", "diagram", "volumes", "data-quality", "integrity"} {
				if find(doc, func(n *html.Node) bool { return attr(n, "id") == id }) == nil {
					t.Errorf("section #%s missing", id)
				}
			}
			// One article per finding, the waived and baselined ones marked.
			var articles, waived, baselined int
			walk(doc, func(n *html.Node) {
				if n.DataAtom == atom.Article {
					articles++
					class := attr(n, "class")
					if strings.Contains(class, "state-waived") {
						waived++
					}
					if strings.Contains(class, "state-baselined") {
						baselined++
					}
				}
			})
			if articles != 6 || waived != 1 || baselined != 1 {
				t.Errorf("finding articles = %d (waived %d, baselined %d), want 6 (1, 1)", articles, waived, baselined)
			}
		})
	}
}

func parseHTML(t *testing.T, b []byte) *html.Node {
	t.Helper()
	doc, err := html.Parse(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// checkSelfContained asserts no script, no embedded or loaded resource,
// no event handler, and links only to the rule documentation.
func checkSelfContained(t *testing.T, doc *html.Node) {
	t.Helper()
	links := 0
	walk(doc, func(n *html.Node) {
		if n.Type != html.ElementNode {
			return
		}
		switch n.DataAtom {
		case atom.Script, atom.Iframe, atom.Img, atom.Link, atom.Object, atom.Embed, atom.Form:
			t.Errorf("element <%s> in a self-contained report", n.Data)
		}
		for _, a := range n.Attr {
			switch {
			case a.Key == "src" || a.Key == "srcset" || a.Key == "action":
				t.Errorf("<%s %s=%q>: external resource", n.Data, a.Key, a.Val)
			case strings.HasPrefix(a.Key, "on"):
				t.Errorf("<%s %s>: event handler", n.Data, a.Key)
			case a.Key == "href" && strings.HasPrefix(a.Val, "#"):
				// a link to one of the page's own sections
				if find(doc, func(m *html.Node) bool { return attr(m, "id") == a.Val[1:] }) == nil {
					t.Errorf("link %q points to no element of the page", a.Val)
				}
			case a.Key == "href":
				links++
				if !strings.HasPrefix(a.Val, testDocsURL+"#") {
					t.Errorf("link %q is not to the rule documentation", a.Val)
				}
			}
		}
	})
	if links == 0 {
		t.Errorf("no rule documentation links")
	}
}

// checkWellFormed tokenizes the page and checks every non-void element is
// closed in order.
func checkWellFormed(t *testing.T, b []byte) {
	t.Helper()
	void := map[string]bool{"meta": true, "br": true, "hr": true, "img": true, "input": true, "link": true}
	z := html.NewTokenizer(bytes.NewReader(b))
	var stack []string
	for {
		switch z.Next() {
		case html.ErrorToken:
			if z.Err() != io.EOF {
				t.Fatal(z.Err())
			}
			if len(stack) > 0 {
				t.Errorf("unclosed elements at end: %v", stack)
			}
			return
		case html.StartTagToken:
			name, _ := z.TagName()
			if !void[string(name)] {
				stack = append(stack, string(name))
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if len(stack) == 0 || stack[len(stack)-1] != string(name) {
				t.Fatalf("</%s> does not close the open element (stack %v)", name, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func find(n *html.Node, pred func(*html.Node) bool) *html.Node {
	var found *html.Node
	walk(n, func(m *html.Node) {
		if found == nil && m.Type == html.ElementNode && pred(m) {
			found = m
		}
	})
	return found
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func textContent(n *html.Node) string {
	var b strings.Builder
	walk(n, func(m *html.Node) {
		if m.Type == html.TextNode {
			b.WriteString(m.Data)
		}
	})
	return b.String()
}

// TestHTMLCheckRun renders a check run (no logs, no findings) and checks
// the page says so instead of showing empty tables.
func TestHTMLCheckRun(t *testing.T) {
	r := &Report{Run: &audit.Run{ID: "c1", Mode: audit.ModeCheck, AsOf: "2024-03-02", Tool: audit.Tool{Name: "xborder", Version: "dev"}}, FailOn: audit.SeverityHigh}
	out := string(render(t, "html", r))
	for _, want := range []string{"No findings.", "No transfer logs were read in this run.", "PASS: no findings at or above high", `class="verdict pass"`} {
		if !strings.Contains(out, want) {
			t.Errorf("check-run page lacks %q", want)
		}
	}
	checkWellFormed(t, []byte(out))
}
