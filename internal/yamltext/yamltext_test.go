package yamltext

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"

	"github.com/xborder/xborder/internal/testutil"
)

// decodeAll decodes every document of text with the YAML library itself,
// into nodes or (for the decoder's own errors) into Go values, and returns
// its first error.
func decodeAll(text string, intoValues bool) error {
	dec := yaml.NewDecoder(strings.NewReader(text))
	for {
		var err error
		if intoValues {
			var v any
			err = dec.Decode(&v)
		} else {
			var n yaml.Node
			err = dec.Decode(&n)
		}
		if err != nil {
			return err
		}
	}
}

// TestErrorLineLibraryMessages decodes, with the YAML library, a text for
// each message of its parser and for several of its scanner, reader and
// decoder, and checks ErrorLine against the line a person finds the
// mistake on. lib is what the library says today: if an upgrade fixes its
// 0-based parser lines, this test fails here rather than our lines moving
// one down in silence.
func TestErrorLineLibraryMessages(t *testing.T) {
	type result struct {
		Lib  string
		Line int
		Msg  string
	}
	tests := []struct {
		name, text string
		values     bool // decode into Go values, not nodes
		want       result
	}{
		// The parser: its lines are 0-based.
		{"parser: unclosed flow sequence", "a: 1\nb: 2\nc: [x\nd: 1\n", false,
			result{"yaml: line 2: did not find expected ',' or ']'", 3, "did not find expected ',' or ']'"}},
		{"parser: unclosed flow sequence, CR and CR LF breaks", "a: 1\r\nb: x\rc: [\r\nd: 1\n", false,
			result{"yaml: line 2: did not find expected ',' or ']'", 3, "did not find expected ',' or ']'"}},
		{"parser: unclosed flow sequence after a NEL break", "a: 1\nb: x\u0085c: [\nd: 1\n", false,
			result{"yaml: line 2: did not find expected ',' or ']'", 3, "did not find expected ',' or ']'"}},
		{"parser: unclosed flow mapping", "a: 1\nb: {x: 1\nc: 2\n", false,
			result{"yaml: line 1: did not find expected ',' or '}'", 2, "did not find expected ',' or '}'"}},
		{"parser: mapping key in a block sequence", "- a\n- b\nc: 1\n", false,
			result{"yaml: line 2: did not find expected '-' indicator", 3, "did not find expected '-' indicator"}},
		{"parser: content after a document end", "a: 1\n...\nb: 2\n", false,
			result{"yaml: line 2: did not find expected <document start>", 3, "did not find expected <document start>"}},
		{"parser: bad indentation", "a: 1\nb:\n  c: 1\n - d\n", false,
			result{"yaml: line 3: did not find expected key", 4, "did not find expected key"}},
		{"parser: comma without an entry", "a: 1\nb: [,]\nc: 1\n", false,
			result{"yaml: line 1: did not find expected node content", 2, "did not find expected node content"}},
		{"parser: duplicate %TAG", "%TAG ! tag:a,2000:\n%TAG ! tag:b,2000:\n---\na\n", false,
			result{"yaml: line 1: found duplicate %TAG directive", 2, "found duplicate %TAG directive"}},
		{"parser: duplicate %YAML", "%YAML 1.1\n%YAML 1.1\n---\na\n", false,
			result{"yaml: line 1: found duplicate %YAML directive", 2, "found duplicate %YAML directive"}},
		{"parser: YAML 2.0", "# c\n%YAML 2.0\n---\na\n", false,
			result{"yaml: line 1: found incompatible YAML document", 2, "found incompatible YAML document"}},
		{"parser: undefined tag handle", "a: 1\nx: !e!t a\n", false,
			result{"yaml: line 1: found undefined tag handle", 2, "found undefined tag handle"}},
		// On the first line the library prints no line at all.
		{"parser: first line", "x: !e!t a\n", false,
			result{"yaml: found undefined tag handle", 1, "found undefined tag handle"}},
		{"parser: first line, unclosed", "a: [x\n", false,
			result{"yaml: line 1: did not find expected ',' or ']'", 2, "did not find expected ',' or ']'"}},

		// The scanner: its lines are 1-based.
		{"scanner: mapping value in a plain scalar", "a: 1\nb: c: d\n", false,
			result{"yaml: line 2: mapping values are not allowed in this context", 2, "mapping values are not allowed in this context"}},
		{"scanner: reserved character", "a: 1\n@b: 2\n", false,
			result{"yaml: line 2: found character that cannot start any token", 2, "found character that cannot start any token"}},
		{"scanner: unclosed quote", "a: 1\nb: \"x\n\nc\n", false,
			result{"yaml: line 2: found unexpected end of stream", 2, "found unexpected end of stream"}},
		{"scanner: tab indentation", "a: 1\n\n\tb: 2\n", false,
			result{"yaml: line 3: found a tab character that violates indentation", 3, "found a tab character that violates indentation"}},
		{"scanner: key without a colon", "a: 1\nb\nc: 1\n", false,
			result{"yaml: line 2: could not find expected ':'", 2, "could not find expected ':'"}},
		{"scanner: unknown escape", "a: 1\nb: \"\\q\"\n", false,
			result{"yaml: line 2: found unknown escape character", 2, "found unknown escape character"}},
		{"scanner: too deep", "a: 1\nb: " + strings.Repeat("[", 10001) + "\n", false,
			result{"yaml: line 2: exceeded max depth of 10000", 2, "exceeded max depth of 10000"}},
		{"scanner: first line", "a: b: c\n", false,
			result{"yaml: mapping values are not allowed in this context", 1, "mapping values are not allowed in this context"}},

		// The reader, the composer and the decoder cannot place their errors.
		{"reader: control character", "a: 1\nb: \x01\n", false,
			result{"yaml: control characters are not allowed", 0, "control characters are not allowed"}},
		{"reader: invalid UTF-8", "a: 1\nb: \xff\n", false,
			result{"yaml: invalid leading UTF-8 octet", 0, "invalid leading UTF-8 octet"}},
		{"composer: unknown anchor", "a: 1\nb: *x\n", false,
			result{"yaml: unknown anchor 'x' referenced", 0, "unknown anchor 'x' referenced"}},
		{"decoder: anchor inside itself", "a: 1\nb: &x [*x]\n", true,
			result{"yaml: anchor 'x' value contains itself", 0, "anchor 'x' value contains itself"}},
		{"decoder: bad base64", "a: 1\nb: !!binary '%%%'\n", true,
			result{"yaml: !!binary value contains invalid base64 data", 0, "!!binary value contains invalid base64 data"}},
		{"decoder: bad merge", "a: 1\n<<: 1\n", true,
			result{"yaml: map merge requires map or sequence of maps as the value", 0, "map merge requires map or sequence of maps as the value"}},
		{"decoder: wrongly tagged value", "a: 1\nb: !!int x\n", true,
			result{"yaml: cannot decode !!str `x` as a !!int", 0, "cannot decode !!str `x` as a !!int"}},
		// ... but its type errors come with the node's 1-based line.
		{"decoder: duplicate keys", "a: 1\nb: 2\na: 3\nb: 4\n", true,
			result{"yaml: unmarshal errors:\n  line 3: mapping key \"a\" already defined at line 1\n  line 4: mapping key \"b\" already defined at line 2",
				3, "mapping key \"a\" already defined at line 1 (and 1 more)"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := decodeAll(tc.text, tc.values)
			if err == nil || errors.Is(err, io.EOF) {
				t.Fatalf("the YAML library accepts %q", tc.text)
			}
			got := result{Lib: err.Error()}
			got.Line, got.Msg = ErrorLine(err)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestErrorLineUnreachable covers what no text makes the library say: a
// stream without a start (its parser reads its own scanner) and a panic.
func TestErrorLineUnreachable(t *testing.T) {
	type result struct {
		Line int
		Msg  string
	}
	got := []result{}
	for _, err := range []error{
		errors.New("yaml: line 4: did not find expected <stream-start>"),
		safely(func() error { panic("index out of range") }),
		errors.New("yaml: line x: no number"),
	} {
		line, msg := ErrorLine(err)
		got = append(got, result{line, msg})
	}
	want := []result{
		{5, "did not find expected <stream-start>"},
		{0, "the YAML library could not parse this file (index out of range)"},
		{1, "line x: no number"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestCheckText gives every class of bytes YAML refuses at a known line
// and column (characters, not bytes), and checks that the YAML library
// refuses the same text (UTF-16, which it reads, aside) and accepts the
// text CheckText accepts.
func TestCheckText(t *testing.T) {
	type pos struct {
		Line, Col int
		Msg       string
	}
	tests := []struct {
		name, text string
		want       pos
	}{
		{"UTF-16 LE", "\xff\xfea\x00:\x00", pos{1, 1, "the file is UTF-16; save it as UTF-8"}},
		{"UTF-16 BE", "\xfe\xff\x00a\x00:", pos{1, 1, "the file is UTF-16; save it as UTF-8"}},
		{"invalid byte", "a: 1\nb: \"ac\xffme\"\n", pos{2, 7, "invalid UTF-8 byte 0xFF (the file must be UTF-8)"}},
		{"truncated sequence", "a: 1\nb: é\xc3", pos{2, 5, "invalid UTF-8 byte 0xC3 (the file must be UTF-8)"}},
		{"overlong encoding", "a: \xc0\xaf\n", pos{1, 4, "invalid UTF-8 byte 0xC0 (the file must be UTF-8)"}},
		{"encoded surrogate", "a: \xed\xa0\x80\n", pos{1, 4, "invalid UTF-8 byte 0xED (the file must be UTF-8)"}},
		{"beyond U+10FFFF", "a: \xf4\x90\x80\x80\n", pos{1, 4, "invalid UTF-8 byte 0xF4 (the file must be UTF-8)"}},
		{"NUL", "a: 1\n# x\x00\n", pos{2, 4, "NUL byte is not allowed"}},
		{"C0 control", "a: 1\x1b[0m\n", pos{1, 5, "control character U+001B is not allowed"}},
		{"vertical tab", "a:\n\v1\n", pos{2, 1, "control character U+000B is not allowed"}},
		{"DEL", "a: \x7f\n", pos{1, 4, "control character U+007F is not allowed"}},
		{"C1 control", "a: \u0080\n", pos{1, 4, "control character U+0080 is not allowed"}},
		{"last C1 control", "a: 日本\u009f\n", pos{1, 6, "control character U+009F is not allowed"}},
		{"non-character U+FFFE", "a: x\n\n  b: \ufffe\n", pos{3, 6, "non-character U+FFFE is not allowed"}},
		{"non-character U+FFFF", "a: \uffff\n", pos{1, 4, "non-character U+FFFF is not allowed"}},
		// Lines and columns as the library counts them.
		{"after a byte order mark", "\xef\xbb\xbfa: \x01\n", pos{1, 4, "control character U+0001 is not allowed"}},
		{"after CR LF", "a: 1\r\nb: \x01\r\n", pos{2, 4, "control character U+0001 is not allowed"}},
		{"after a lone CR", "a: 1\rb: \x01\n", pos{2, 4, "control character U+0001 is not allowed"}},
		{"after NEL, LS and PS", "a: x\u0085y\u2028z\u2029b: \x01\n", pos{4, 4, "control character U+0001 is not allowed"}},
		{"after a tab", "a:\t\x02\n", pos{1, 4, "control character U+0002 is not allowed"}},
		// What YAML allows.
		{"allowed", "\xef\xbb\xbfa:\tb\r\nc: \"\u00a0\ufeff\ufffd\U0010ffff\u0085\"\n", pos{}},
		{"empty", "", pos{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got pos
			got.Line, got.Col, got.Msg = CheckText([]byte(tc.text))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			libErr := decodeAll(tc.text, false)
			if errors.Is(libErr, io.EOF) {
				libErr = nil
			}
			utf16 := strings.HasPrefix(tc.want.Msg, "the file is UTF-16")
			if refused := got.Msg != ""; refused != (libErr != nil) && !utf16 {
				t.Errorf("CheckText refuses: %v; the YAML library: %v", refused, libErr)
			}
		})
	}
}

// TestUnmarshal: the one call of the readers that take one document gives
// an *Error with the true line, the column of a refused byte, the line of
// an unclosed construct at the end of the file on the file's last line,
// and the message every reader prints.
const secondDoc = "a second document (after ---): this file holds one; merge it into the first or remove it"

func TestUnmarshal(t *testing.T) {
	tests := []struct {
		name, text string
		want       *Error
	}{
		{"good, with a byte order mark", "\xef\xbb\xbfa: 1\n", nil},
		{"parser line corrected", "a: 1\nb: 2\nc: [x\nd: 1\n", &Error{Line: 3, Msg: "did not find expected ',' or ']'"}},
		{"unclosed at the end: the last line", "a: 1\nb: [\n", &Error{Line: 2, Msg: "did not find expected node content"}},
		{"unclosed at the end, no final break", "a: 1\nb: [", &Error{Line: 2, Msg: "did not find expected node content"}},
		{"unclosed at the end, blank lines", "a: [x\n\n\n", &Error{Line: 3, Msg: "did not find expected ',' or ']'"}},
		{"refused byte", "a: 1\nb: \x00\n", &Error{Line: 2, Col: 4, Msg: "NUL byte is not allowed"}},
		{"unknown anchor: at its alias", "a: *x\n", &Error{Line: 1, Col: 4, Msg: "unknown anchor 'x' referenced"}},
		{"unknown anchor in a flow list", "a: &y 1\nb: [*y, *x]\n", &Error{Line: 2, Col: 9, Msg: "unknown anchor 'x' referenced"}},
		{"unknown anchor, a longer alias first", "a: &xy 1\nb: *xy\nc: *x\n", &Error{Line: 3, Col: 4, Msg: "unknown anchor 'x' referenced"}},
		{"unknown anchor as a key", "a: 1\n*0: x\n", &Error{Line: 2, Col: 1, Msg: "unknown anchor '0' referenced"}},
		{"unknown anchor after a byte order mark", "\xef\xbb\xbfa: *x\n", &Error{Line: 1, Col: 4, Msg: "unknown anchor 'x' referenced"}},
		{"a second document", "a: 1\n---\nb: 2\n", &Error{Line: 3, Col: 1, Msg: secondDoc}},
		{"a second document after an explicit first", "---\na: 1\n---\n- b\n", &Error{Line: 4, Col: 1, Msg: secondDoc}},
		{"a trailing ---", "a: 1\n---\n", nil},
		{"an empty second document", "a: 1\n--- ~\n", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var n yaml.Node
			got := Unmarshal([]byte(tc.text), &n)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if got == nil && (len(n.Content) != 1 || n.Content[0].Column != 1) {
				t.Errorf("decoded %+v, want one mapping at column 1", n.Content)
			}
		})
	}
	if got, want := (&Error{Line: 3, Msg: "did not find expected key"}).Error(), "invalid YAML: did not find expected key"; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
}

// TestDocuments: every document before the first error is yielded, then
// the error; a refused byte stops the stream before any document; the
// consumer can stop early.
func TestDocuments(t *testing.T) {
	type step struct {
		Line int // of the document, or of the error
		Err  *Error
	}
	collect := func(text string, max int) []step {
		var got []step
		for doc, err := range Documents([]byte(text)) {
			if err != nil {
				got = append(got, step{Err: err})
				continue
			}
			got = append(got, step{Line: doc.Content[0].Line})
			if len(got) == max {
				break
			}
		}
		return got
	}
	tests := []struct {
		name, text string
		max        int
		want       []step
	}{
		{"two documents, then an unclosed list", "a: 1\n---\nb: 2\n---\nc: [x\nd: 1\n", 0,
			[]step{{Line: 1}, {Line: 3}, {Err: &Error{Line: 5, Msg: "did not find expected ',' or ']'"}}}},
		{"a refused byte before any document", "a: 1\n---\nb: \x7f\n", 0,
			[]step{{Err: &Error{Line: 3, Col: 4, Msg: "control character U+007F is not allowed"}}}},
		{"stopped early", "a: 1\n---\nb: 2\n---\nc: [\n", 1, []step{{Line: 1}}},
		{"empty", "# only a comment\n", 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, collect(tc.text, tc.max)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzDocuments reads arbitrary bytes: it never panics, every error is
// within the text's lines, and when CheckText accepts the text the YAML
// library never refuses a byte of it.
func FuzzDocuments(f *testing.F) {
	for _, s := range []string{
		"a: [x\n", "a: b: c", "\xef\xbb\xbfa: \x01", "a: 1\r\nb: {\r", "a: *x", "%YAML 2.0\n---\n",
		"a: x\u0085b: [", "\xff\xfea\x00", "- a\nb: 1\n", "a: 1\n...\nb: 2\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, err := range Documents(data) {
			if err == nil {
				continue
			}
			if err.Line < 0 || err.Col < 0 || err.Line > testutil.YAMLLines(data) {
				t.Fatalf("%d:%d: %v is outside the text's %d lines", err.Line, err.Col, err, testutil.YAMLLines(data))
			}
			if err.Col == 0 && err.Line == 0 && (strings.Contains(err.Msg, "UTF-8") || strings.Contains(err.Msg, "control characters")) {
				t.Fatalf("CheckText accepted a text the library refuses: %v", err)
			}
		}
		if line, col, msg := CheckText(data); msg != "" && (line < 1 || col < 1 || line > testutil.YAMLLines(data)) {
			t.Fatalf("CheckText placed %q at %d:%d", msg, line, col)
		}
	})
}

// BenchmarkCheckText checks 1 MiB of manifest-like text with some Korean:
// every manifest byte passes through CheckText before the YAML library.
func BenchmarkCheckText(b *testing.B) {
	line := "  legalName: \"카카오페이 Kakao Pay Corp.\"   # 법인명\n"
	text := []byte(strings.Repeat(line, (1<<20)/len(line)))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if _, _, msg := CheckText(text); msg != "" {
			b.Fatal(msg)
		}
	}
}
