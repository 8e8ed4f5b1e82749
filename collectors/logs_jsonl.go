package collectors

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"slices"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// logJSON is the JSON Lines record scanner. It reads the v1 record shape
// straight from the line bytes: no encoding/json, no reflection, no
// allocation per record once its tables are warm. It is nonetheless a
// complete JSON validator: a line is good only if it is one valid JSON
// object (fields in any order, unknown fields of any shape skipped, escapes
// decoded as encoding/json decodes them, invalid UTF-8 replaced by U+FFFD),
// so that no malformed line is ever counted as data.
type logJSON struct {
	syms    *logSyms
	scratch []byte // the current unescaped string
	canon   []byte // a subject key made valid UTF-8, hashed then dropped
	set     []*logSym
	errs    logFieldErrs
	times   logTimeCache
	// recentSets caches item lists by their array text.
	recentSets logRecentSets
}

// logMaxDepth is the JSON nesting limit (encoding/json's). The depth passed
// to skip counts the containers around the value: 1 inside the record.
const logMaxDepth = 10000

func newLogJSON(syms *logSyms) *logJSON { return &logJSON{syms: syms} }

func logJSONErr(i int) logBad { return logBad{code: logBadJSON, field: -1, a: i + 1} }

// parse reads one line (without its newline) into r.
func (p *logJSON) parse(line []byte, r *logRecord) logBad {
	r.reset()
	p.errs.mask = 0
	i := logSkipWS(line, 0)
	if i == len(line) {
		return logBad{code: logBlank}
	}
	if line[i] != '{' {
		j, bad := p.skip(line, i, 0)
		if bad.code != logOK {
			return bad
		}
		if j = logSkipWS(line, j); j != len(line) {
			return logJSONErr(j)
		}
		return logBad{code: logBadNotObject, field: -1}
	}
	i = logSkipWS(line, i+1)
	if i < len(line) && line[i] == '}' {
		i++
	} else {
		for {
			if i >= len(line) || line[i] != '"' {
				return logJSONErr(i)
			}
			field, next := logKnownKey(line, i)
			if next < 0 {
				key, n, bad := p.str(line, i)
				if bad.code != logOK {
					return bad
				}
				field, next = logFieldOf(key), n
			}
			i = logSkipWS(line, next)
			if i >= len(line) || line[i] != ':' {
				return logJSONErr(i)
			}
			if i = logSkipWS(line, i+1); i >= len(line) {
				return logJSONErr(i)
			}
			var bad logBad
			if i, bad = p.value(line, i, field, r); bad.code != logOK {
				return bad
			}
			if i = logSkipWS(line, i); i >= len(line) {
				return logJSONErr(i)
			}
			if line[i] == ',' {
				i = logSkipWS(line, i+1)
				continue
			}
			if line[i] != '}' {
				return logJSONErr(i)
			}
			i++
			break
		}
	}
	if i = logSkipWS(line, i); i != len(line) {
		return logJSONErr(i)
	}
	if p.errs.mask != 0 {
		return p.errs.first()
	}
	return logCheck(r)
}

// logKnownKey recognises a v1 field name written plainly at line[i] (the
// opening quote) without scanning it as a string; next is -1 otherwise.
// Each name is compared with a constant, which the compiler turns into a
// word or two of loads instead of a call.
func logKnownKey(line []byte, i int) (field, next int) {
	if len(line)-i < 16 {
		return -1, -1 // near the end of the line: the generic path
	}
	r := line[i+1 : i+16]
	switch r[0] {
	case 't':
		if string(r[:3]) == `ts"` {
			return logFieldTS, i + 4
		}
		if string(r[:4]) == `tls"` {
			return logFieldTLS, i + 5
		}
	case 'i':
		if string(r[:6]) == `items"` {
			return logFieldItems, i + 7
		}
		if string(r[:12]) == `integration"` {
			return logFieldIntegration, i + 13
		}
	case 'h':
		if string(r[:5]) == `host"` {
			return logFieldHost, i + 6
		}
	case 'c':
		if string(r[:8]) == `country"` {
			return logFieldCountry, i + 9
		}
		if string(r[:8]) == `consent"` {
			return logFieldConsent, i + 9
		}
	case 's':
		if string(r[:8]) == `subject"` {
			return logFieldSubject, i + 9
		}
		if string(r[:9]) == `subjects"` {
			return logFieldSubjects, i + 10
		}
	case 'r':
		if string(r[:8]) == `records"` {
			return logFieldRecords, i + 9
		}
	case 'p':
		if string(r[:11]) == `protection"` {
			return logFieldProtection, i + 12
		}
	case 'b':
		if string(r[:6]) == `bytes"` {
			return logFieldBytes, i + 7
		}
	}
	return -1, -1
}

// value reads the value of field at line[i]. Only syntax errors are
// returned; a well-formed value of the wrong type is noted against its
// field (a later duplicate of the field overrides it, as in encoding/json).
func (p *logJSON) value(line []byte, i, field int, r *logRecord) (int, logBad) {
	c := line[i]
	if c == 'n' && field >= 0 {
		next, bad := logLiteral(line, i, "null")
		if bad.code == logOK {
			r.clear(field)
			p.errs.clear(field)
		}
		return next, bad
	}
	switch field {
	case -1:
		return p.skip(line, i, 1)
	case logFieldTS:
		if c != '"' {
			break
		}
		s, next, bad := p.str(line, i)
		if bad.code != logOK {
			return next, bad
		}
		if ts, ok := p.times.parse(s); ok {
			r.ts, r.day = ts, logKSTDay(ts)
			r.seen |= 1 << logFieldTS
			p.errs.clear(field)
		} else {
			p.errs.set(field, logBad{code: logBadTime, field: logFieldTS})
		}
		return next, logBad{}
	case logFieldItems:
		if c != '[' {
			break
		}
		return p.items(line, i, r)
	case logFieldRecords, logFieldSubjects, logFieldBytes:
		if c != '-' && (c < '0' || c > '9') {
			break
		}
		next, isInt, ok := logNumber(line, i)
		if !ok {
			return next, logJSONErr(next)
		}
		if !isInt {
			p.errs.set(field, logBad{code: logBadNotInteger, field: int8(field)})
			return next, logBad{}
		}
		v, bad := logParseCount(line[i:next], field)
		if bad.code != logOK {
			p.errs.set(field, bad)
		} else {
			r.setCount(field, v)
			p.errs.clear(field)
		}
		return next, logBad{}
	default: // string fields
		if c == '"' {
			s, next, bad := p.str(line, i)
			if bad.code != logOK {
				return next, bad
			}
			p.syms.setString(r, field, s, &p.canon)
			p.errs.clear(field)
			return next, logBad{}
		}
		if field == logFieldTLS && (c == '-' || ('0' <= c && c <= '9')) {
			// `"tls": 1.2` is read as the text of the number.
			next, _, ok := logNumber(line, i)
			if !ok {
				return next, logJSONErr(next)
			}
			p.syms.setString(r, field, line[i:next], &p.canon)
			p.errs.clear(field)
			return next, logBad{}
		}
	}
	// A value of the wrong type: check its syntax, then note the field.
	next, bad := p.skip(line, i, 1)
	if bad.code != logOK {
		return next, bad
	}
	code := logBadNotString
	switch field {
	case logFieldItems:
		code = logBadNotStrings
	case logFieldRecords, logFieldSubjects, logFieldBytes:
		code = logBadNotInteger
	}
	p.errs.set(field, logBad{code: code, field: int8(field)})
	return next, logBad{}
}

// items reads an array of strings. The array's text is looked up whole in
// the worker's cache of item lists; only a new spelling is decoded item by
// item.
func (p *logJSON) items(line []byte, start int, r *logRecord) (int, logBad) {
	// Fast path: the text up to the first ']' is a list seen before. The
	// cache holds only complete, valid arrays, so equal bytes are that
	// array (a ']' inside one of its strings would make the text a prefix
	// and miss).
	if k := bytes.IndexByte(line[start:], ']'); k >= 0 {
		if set := p.recentSets.get(line[start:start+k+1], p.syms.jsonSets); set != nil {
			r.itemSet, r.items = set, r.items[:0]
			r.seen |= 1 << logFieldItems
			p.errs.clear(logFieldItems)
			return start + k + 1, logBad{}
		}
	}
	j := logSkipWS(line, start+1)
	if j < len(line) && line[j] == ']' {
		j++
	} else {
		for {
			if j >= len(line) {
				return j, logJSONErr(j)
			}
			if line[j] != '"' {
				next, bad := p.skip(line, start, 1)
				if bad.code == logOK {
					p.errs.set(logFieldItems, logBad{code: logBadNotStrings, field: logFieldItems})
				}
				return next, bad
			}
			if k := logStrEnd(line, j+1); k < len(line) && line[k] == '"' {
				j = k + 1
			} else {
				_, next, bad := p.str(line, j)
				if bad.code != logOK {
					return next, bad
				}
				j = next
			}
			if j = logSkipWS(line, j); j >= len(line) {
				return j, logJSONErr(j)
			}
			if line[j] == ',' {
				j = logSkipWS(line, j+1)
				continue
			}
			if line[j] != ']' {
				return j, logJSONErr(j)
			}
			j++
			break
		}
	}
	span := line[start:j]
	r.itemSet, r.items = nil, r.items[:0]
	if set, ok := p.syms.jsonSets[string(span)]; ok {
		r.itemSet = set
	} else {
		// A new spelling: decode each item. The array is known to be valid.
		list := p.set[:0]
		for k := logSkipWS(span, 1); span[k] == '"'; {
			s, next, _ := p.str(span, k)
			if len(s) > 0 { // an empty item ID names nothing
				list = logAddSym(list, p.syms.item.get(s))
			}
			k = logSkipWS(span, next)
			if span[k] == ',' {
				k = logSkipWS(span, k+1)
			}
		}
		list = logDedupSyms(list)
		p.set = list
		if len(p.syms.jsonSets) < logItemSetLimit {
			set := &logItemSet{items: append([]*logSym(nil), list...), raw: string(span)}
			p.syms.jsonSets[set.raw] = set
			r.itemSet = set
		} else {
			r.items = append(r.items, list...)
		}
	}
	r.seen |= 1 << logFieldItems
	p.errs.clear(logFieldItems)
	return j, logBad{}
}

// logAddSym appends s unless the list holds it already. Only the first
// logScanMax items are searched: a list is a handful of items, but a
// hostile line may hold a million, which logDedupSyms then sorts out.
func logAddSym(list []*logSym, s *logSym) []*logSym {
	if len(list) <= logScanMax {
		for _, x := range list {
			if x == s {
				return list
			}
		}
	}
	return append(list, s)
}

// logScanMax is how long an item list is searched item by item.
const logScanMax = 64

// logDedupSyms removes the duplicates logAddSym let through in a long
// list, in O(n log n) (the symbols of one table are equal only when they
// are the same symbol).
func logDedupSyms(list []*logSym) []*logSym {
	if len(list) <= logScanMax {
		return list
	}
	slices.SortFunc(list, func(a, b *logSym) int { return strings.Compare(a.s, b.s) })
	return slices.Compact(list)
}

// str reads the string starting with the quote at line[i] and returns its
// decoded bytes (aliasing line, or p.scratch when it had escapes, valid
// until the next call) and the index after its closing quote.
func (p *logJSON) str(line []byte, i int) ([]byte, int, logBad) {
	j := logStrEnd(line, i+1)
	if j < len(line) && line[j] == '"' {
		return line[i+1 : j], j + 1, logBad{}
	}
	if j >= len(line) || line[j] != '\\' {
		return nil, j, logJSONErr(j)
	}
	b := append(p.scratch[:0], line[i+1:j]...)
	for {
		if j >= len(line) {
			p.scratch = b
			return nil, j, logJSONErr(j)
		}
		switch c := line[j]; {
		case c == '"':
			p.scratch = b
			return b, j + 1, logBad{}
		case c < 0x20:
			p.scratch = b
			return nil, j, logJSONErr(j)
		case c != '\\':
			k := logStrEnd(line, j)
			b = append(b, line[j:k]...)
			j = k
			continue
		}
		if j+1 >= len(line) {
			p.scratch = b
			return nil, j + 1, logJSONErr(j + 1)
		}
		switch line[j+1] {
		case '"', '\\', '/':
			b = append(b, line[j+1])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r1, ok := logHex4(line, j+2)
			if !ok {
				p.scratch = b
				return nil, j, logJSONErr(j)
			}
			j += 6
			if utf16.IsSurrogate(r1) {
				if j+1 < len(line) && line[j] == '\\' && line[j+1] == 'u' {
					if r2, ok := logHex4(line, j+2); ok {
						if dec := utf16.DecodeRune(r1, r2); dec != utf8.RuneError {
							b = utf8.AppendRune(b, dec)
							j += 6
							continue
						}
					}
				}
				r1 = utf8.RuneError
			}
			b = utf8.AppendRune(b, r1)
			continue
		default:
			p.scratch = b
			return nil, j + 1, logJSONErr(j + 1)
		}
		j += 2
	}
}

func logHex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// skip checks the syntax of the value at line[i] and returns the index
// after it.
func (p *logJSON) skip(line []byte, i, depth int) (int, logBad) {
	if i >= len(line) {
		return i, logJSONErr(i)
	}
	switch c := line[i]; c {
	case '"':
		_, next, bad := p.str(line, i)
		return next, bad
	case '{', '[':
		if depth >= logMaxDepth {
			return i, logJSONErr(i)
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		i = logSkipWS(line, i+1)
		if i < len(line) && line[i] == end {
			return i + 1, logBad{}
		}
		for {
			if c == '{' {
				if i >= len(line) || line[i] != '"' {
					return i, logJSONErr(i)
				}
				_, next, bad := p.str(line, i)
				if bad.code != logOK {
					return next, bad
				}
				i = logSkipWS(line, next)
				if i >= len(line) || line[i] != ':' {
					return i, logJSONErr(i)
				}
				i = logSkipWS(line, i+1)
			}
			next, bad := p.skip(line, i, depth+1)
			if bad.code != logOK {
				return next, bad
			}
			if i = logSkipWS(line, next); i >= len(line) {
				return i, logJSONErr(i)
			}
			if line[i] == ',' {
				i = logSkipWS(line, i+1)
				continue
			}
			if line[i] != end {
				return i, logJSONErr(i)
			}
			return i + 1, logBad{}
		}
	case 't':
		return logLiteral(line, i, "true")
	case 'f':
		return logLiteral(line, i, "false")
	case 'n':
		return logLiteral(line, i, "null")
	}
	next, _, ok := logNumber(line, i)
	if !ok {
		return next, logJSONErr(next)
	}
	return next, logBad{}
}

func logLiteral(line []byte, i int, lit string) (int, logBad) {
	for k := 0; k < len(lit); k++ {
		if i+k >= len(line) || line[i+k] != lit[k] {
			return i + k, logJSONErr(i + k)
		}
	}
	return i + len(lit), logBad{}
}

// logNumber checks the JSON number at b[i]. It returns the index after it,
// whether it is an integer literal (no fraction, no exponent), and false
// with the index of the offending byte when it is malformed.
func logNumber(b []byte, i int) (int, bool, bool) {
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	switch {
	case j >= len(b):
		return j, false, false
	case b[j] == '0':
		j++
	case '1' <= b[j] && b[j] <= '9':
		for j++; j < len(b) && '0' <= b[j] && b[j] <= '9'; j++ {
		}
	default:
		return j, false, false
	}
	isInt := true
	if j < len(b) && b[j] == '.' {
		isInt = false
		j++
		k := j
		for ; j < len(b) && '0' <= b[j] && b[j] <= '9'; j++ {
		}
		if j == k {
			return j, false, false
		}
	}
	if j < len(b) && (b[j] == 'e' || b[j] == 'E') {
		isInt = false
		j++
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := j
		for ; j < len(b) && '0' <= b[j] && b[j] <= '9'; j++ {
		}
		if j == k {
			return j, false, false
		}
	}
	return j, isInt, true
}

func logSkipWS(b []byte, i int) int {
	if i < len(b) && b[i] > ' ' {
		return i
	}
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

const (
	logLo = 0x0101010101010101
	logHi = 0x8080808080808080
)

// logStrEnd returns the index of the first '"', '\\' or control byte at or
// after i, or len(b). It tests eight bytes at a time: the lowest flagged
// byte of each test is exact (borrows only flag bytes above a true match).
func logStrEnd(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		q := w ^ (logLo * '"')
		s := w ^ (logLo * '\\')
		m := ((q - logLo) &^ q) | ((s - logLo) &^ s) | ((w - logLo*0x20) &^ w)
		if m &= logHi; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	if i >= len(b) {
		return len(b)
	}
	if len(b) >= 8 {
		// The last word, shifted so that b[i] is its lowest byte; the zero
		// bytes shifted in lie beyond the end and only clamp to len(b).
		j := len(b) - 8
		w := binary.LittleEndian.Uint64(b[j:]) >> (8 * (i - j))
		q := w ^ (logLo * '"')
		s := w ^ (logLo * '\\')
		m := ((q - logLo) &^ q) | ((s - logLo) &^ s) | ((w - logLo*0x20) &^ w)
		if m &= logHi; m != 0 {
			return min(i+bits.TrailingZeros64(m)>>3, len(b))
		}
		return len(b)
	}
	for ; i < len(b); i++ {
		if c := b[i]; c == '"' || c == '\\' || c < 0x20 {
			return i
		}
	}
	return len(b)
}
