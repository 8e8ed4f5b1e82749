// Package yamltext places the errors of YAML text on their true line, so
// that every YAML file xborder reads (manifests, log mappings, waivers,
// --data, xborder.yaml) reports a syntax error the same way:
// `file:line: invalid YAML: message`, or `file:line:col:` for bytes YAML
// does not allow.
//
// It exists because go.yaml.in/yaml/v3 does not place its errors
// consistently: it prints the line of a parser error 0-based and of a
// scanner error 1-based, leaves "line N" out for both on the first line,
// and rejects UTF-16, invalid UTF-8 and control characters without saying
// where. Each reader used to patch this on its own, differently.
package yamltext

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// Error is a YAML file's first syntax error or disallowed byte. Line is
// 1-based (0 when the library cannot place the error, an alias to an
// unknown anchor); Col is 1-based in characters, or 0 when only the line is
// known (the library gives no column for a syntax error: its parser's marks
// are unexported).
type Error struct {
	Line, Col int
	Msg       string // without the library's "yaml: " and "line N: "
}

// Error returns the message as every reader prints it after the file
// position.
func (e *Error) Error() string { return "invalid YAML: " + e.Msg }

// Unmarshal is yaml.Unmarshal of a single-document file b into v, after
// CheckText, that never panics and returns its error located. A second
// document (after a `---`) is an error rather than text silently left
// unread; an empty one (a trailing `---`) is not.
func Unmarshal(b []byte, v any) *Error {
	first := true
	for doc, err := range Documents(b) {
		if err != nil {
			return err
		}
		if !first {
			if len(doc.Content) > 0 && !isNull(doc.Content[0]) {
				return &Error{Line: doc.Content[0].Line, Col: doc.Content[0].Column,
					Msg: "a second document (after ---): this file holds one; merge it into the first or remove it"}
			}
			continue
		}
		first = false
		if err := safely(func() error { return doc.Decode(v) }); err != nil {
			return located(b, err)
		}
	}
	return nil
}

// isNull reports whether a node is an empty document's null.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null" && (n.Value == "" || n.Value == "~" || n.Value == "null")
}

// Documents yields the documents of a multi-document stream in order,
// after CheckText. On the first error it yields (nil, err) and stops; it
// never panics.
func Documents(b []byte) iter.Seq2[*yaml.Node, *Error] {
	return func(yield func(*yaml.Node, *Error) bool) {
		if line, col, msg := CheckText(b); msg != "" {
			yield(nil, &Error{Line: line, Col: col, Msg: msg})
			return
		}
		dec := yaml.NewDecoder(bytes.NewReader(b))
		for {
			var doc yaml.Node
			err := safely(func() error { return dec.Decode(&doc) })
			switch {
			case errors.Is(err, io.EOF):
				return
			case err != nil:
				yield(nil, located(b, err))
				return
			case !yield(&doc, nil):
				return
			}
		}
	}
}

// safely runs a decode, turning a panic of the YAML library into an error
// (which ErrorLine leaves unplaced): no input crashes xborder.
func safely(decode func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: the YAML library could not parse this file (%v)", r)
		}
	}()
	return decode()
}

// located is err as an *Error of the text b. An error at the end of the
// stream (an unclosed bracket or quote) is marked on the line after the
// last line break; it is placed on the last line, where the editor shows
// the text that is missing its end.
func located(b []byte, err error) *Error {
	line, msg := ErrorLine(err)
	if last := lastLine(b); line > last {
		line = last
	}
	col := 0
	if line == 0 { // the library cannot place an alias error: find the alias
		line, col = aliasAt(b, msg)
	}
	return &Error{Line: line, Col: col, Msg: msg}
}

// position is the 1-based line and column, in characters, of byte off of
// b, counted as CheckText counts them (line breaks as the library knows
// them, a leading byte order mark not a column).
func position(b []byte, off int) (line, col int) {
	line, col = 1, 1
	for j := len(b) - len(bytes.TrimPrefix(b, bomUTF8)); j < off; {
		if n := breakLen(b[j:]); n > 0 {
			j += n
			line, col = line+1, 1
			continue
		}
		_, size := utf8.DecodeRune(b[j:])
		j += size
		col++
	}
	return line, col
}

// isAnchorChar reports whether c continues an anchor or alias name as the
// YAML library scans one (letters, digits, '-' and '_', libyaml's IS_ALPHA).
func isAnchorChar(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-' || c == '_'
}

// aliasAt finds the first alias `*name` of the anchor an error message
// names ("unknown anchor 'x' referenced", "anchor 'x' value contains
// itself"), as a 1-based line and column in characters; 0, 0 when the
// message names none or the text holds no such alias.
func aliasAt(b []byte, msg string) (line, col int) {
	_, rest, ok := strings.Cut(msg, "anchor '")
	if !ok {
		return 0, 0
	}
	name, _, ok := strings.Cut(rest, "'")
	if !ok || name == "" {
		return 0, 0
	}
	alias := []byte("*" + name)
	for from := 0; ; {
		i := bytes.Index(b[from:], alias)
		if i < 0 {
			return 0, 0
		}
		i += from
		end := i + len(alias)
		if end == len(b) || !isAnchorChar(b[end]) {
			return position(b, i)
		}
		from = end
	}
}

// parserProblems are the messages of the YAML library's parser (as opposed
// to its scanner). The library prints the line of a parser error 0-based:
// `c: [x` on line 3 is reported as "line 2: did not find expected ',' or
// ']'". Scanner errors are 1-based.
var parserProblems = map[string]bool{
	"did not find expected ',' or ']'":       true,
	"did not find expected ',' or '}'":       true,
	"did not find expected '-' indicator":    true,
	"did not find expected <document start>": true,
	"did not find expected <stream-start>":   true,
	"did not find expected key":              true,
	"did not find expected node content":     true,
	"found duplicate %TAG directive":         true,
	"found duplicate %YAML directive":        true,
	"found incompatible YAML document":       true,
	"found undefined tag handle":             true,
}

// unplaced are the starts of the errors the YAML library raises outside
// its scanner and parser, which never carry a line: its reader's (bytes
// CheckText refuses first), its decoder's, and a recovered panic.
var unplaced = []string{
	// reader
	"control characters are not allowed", "invalid leading UTF-8 octet",
	"invalid trailing UTF-8 octet", "incomplete UTF-8 octet sequence",
	"invalid length of a UTF-8 sequence", "invalid Unicode character",
	"incomplete UTF-16", "expected low surrogate area", "unexpected low surrogate area",
	"input error: ",
	// decoder
	"unknown anchor ", "anchor '", "attempted to go past the end",
	"document contains excessive aliasing", "!!binary value contains invalid base64",
	"map merge requires", "cannot decode ", "invalid map key: ", "invalid array: ",
	"runtime error: ",
	// safely
	"the YAML library could not parse",
}

// ErrorLine splits an error of the YAML library into its true 1-based line
// and its message without the "yaml: " and "line N: " prefixes: parser
// lines are corrected, a scanner or parser error without a line is on the
// first line, and an error the library cannot place is on line 0. For a
// *yaml.TypeError (a duplicate key when decoding into Go values) it gives
// the first problem's line, which is the node's and so already 1-based.
func ErrorLine(err error) (line int, msg string) {
	if te, ok := errors.AsType[*yaml.TypeError](err); ok && len(te.Errors) > 0 {
		line, msg, _ = cutLine(te.Errors[0])
		if more := len(te.Errors) - 1; more > 0 {
			msg += fmt.Sprintf(" (and %d more)", more)
		}
		return line, msg
	}
	msg = strings.TrimPrefix(err.Error(), "yaml: ")
	if line, rest, ok := cutLine(msg); ok {
		if parserProblems[rest] {
			line++
		}
		return line, rest
	}
	for _, p := range unplaced {
		if strings.HasPrefix(msg, p) {
			return 0, msg
		}
	}
	// The scanner and the parser leave "line N" out on the first line.
	return 1, msg
}

// cutLine splits "line N: message".
func cutLine(s string) (int, string, bool) {
	rest, ok := strings.CutPrefix(s, "line ")
	if !ok {
		return 0, s, false
	}
	num, msg, ok := strings.Cut(rest, ": ")
	n, err := strconv.Atoi(num)
	if !ok || err != nil || n < 0 {
		return 0, s, false
	}
	return n, msg, true
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// CheckText finds the first bytes YAML does not allow, which the YAML
// library rejects without saying where: UTF-16 (which xborder refuses
// although the library reads it), invalid UTF-8, NUL and the other control
// characters except tab, LF and CR (NEL, U+0085, is a line break), and the
// non-characters U+FFFE and U+FFFF. Line and column are 1-based and count
// lines and characters as the YAML library does, so that they agree with
// the lines of its nodes: a leading UTF-8 byte order mark is not a
// character, and a line ends at LF, CR LF, CR, NEL, LS or PS. It returns
// msg "" when the text is fine.
func CheckText(b []byte) (line, col int, msg string) {
	if bytes.HasPrefix(b, bomUTF16LE) || bytes.HasPrefix(b, bomUTF16BE) {
		return 1, 1, "the file is UTF-16; save it as UTF-8"
	}
	i := len(b) - len(bytes.TrimPrefix(b, bomUTF8))
	line, col = 1, 1
	for i < len(b) {
		if n := breakLen(b[i:]); n > 0 {
			i += n
			line, col = line+1, 1
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			return line, col, fmt.Sprintf("invalid UTF-8 byte 0x%02X (the file must be UTF-8)", b[i])
		case r == 0:
			return line, col, "NUL byte is not allowed"
		case r < 0x20 && r != '\t', r >= 0x7F && r <= 0x9F:
			return line, col, fmt.Sprintf("control character U+%04X is not allowed", r)
		case r == 0xFFFE, r == 0xFFFF:
			return line, col, fmt.Sprintf("non-character U+%04X is not allowed", r)
		}
		i += size
		col++
	}
	return 0, 0, ""
}

// breakLen is the length in bytes of the line break b starts with, 0 if
// none: the YAML library's breaks (LF, CR LF, CR, NEL, LS, PS).
func breakLen(b []byte) int {
	switch b[0] {
	case '\n':
		return 1
	case '\r':
		if len(b) > 1 && b[1] == '\n' {
			return 2
		}
		return 1
	case 0xC2: // U+0085
		if len(b) > 1 && b[1] == 0x85 {
			return 2
		}
	case 0xE2: // U+2028, U+2029
		if len(b) > 2 && b[1] == 0x80 && (b[2] == 0xA8 || b[2] == 0xA9) {
			return 3
		}
	}
	return 0
}

// lastLine is the number of b's last line, not counting the empty one
// after a final line break (an empty file has line 1).
func lastLine(b []byte) int {
	line, empty := 1, true
	for i := 0; i < len(b); {
		if n := breakLen(b[i:]); n > 0 {
			i += n
			line, empty = line+1, true
			continue
		}
		i++
		empty = false
	}
	if empty && line > 1 {
		line--
	}
	return line
}
