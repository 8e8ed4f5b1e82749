package collectors

import (
	"bytes"
	"fmt"
)

// logCSVHeader maps the columns of a CSV log to v1 fields.
type logCSVHeader struct {
	cols []int8 // field of each column, -1 for columns v1 does not know
}

// logParseCSVHeader reads the header row: the DESIGN §5.3 field names in
// any order (case and surrounding spaces ignored), unknown columns
// ignored. A missing `ts` or `items` column, or a column named twice,
// makes the whole file unusable; those problems are returned.
func logParseCSVHeader(fields [][]byte) (*logCSVHeader, []string) {
	h := &logCSVHeader{cols: make([]int8, len(fields))}
	var seen [logNumFields]bool
	var problems []string
	for i, f := range fields {
		name := logLowerASCII(string(logTrimSpace(f)))
		field := logFieldOf([]byte(name))
		h.cols[i] = int8(field)
		if field < 0 {
			continue
		}
		if seen[field] {
			problems = append(problems, fmt.Sprintf("duplicate column %q", name))
			h.cols[i] = -1
		}
		seen[field] = true
	}
	for _, f := range []int{logFieldTS, logFieldItems} {
		if !seen[f] {
			problems = append(problems, fmt.Sprintf("missing column %q", logFieldNames[f]))
		}
	}
	return h, problems
}

// logCSV parses RFC 4180 rows: fields separated by commas, optionally
// quoted with `"`, a quote inside a quoted field doubled, records ending
// at a newline outside quotes (CRLF or LF). Empty cells are absent fields;
// `items` are separated by `;`; cells are trimmed of spaces and tabs.
type logCSV struct {
	syms    *logSyms
	hdr     *logCSVHeader
	fields  [][]byte
	scratch []byte // unescaped quoted fields of the current row
	canon   []byte
	set     []*logSym
	errs    logFieldErrs
	times   logTimeCache
	// recentSets caches item lists by their cell text.
	recentSets logRecentSets
}

func newLogCSV(syms *logSyms) *logCSV { return &logCSV{syms: syms} }

// logCSVRecordEnd returns the index of the newline ending the record that
// starts at b[i] (the first newline with an even number of quotes since
// i), or len(b) when the record runs to the end.
func logCSVRecordEnd(b []byte, i int) int {
	odd := false
	for {
		nl := bytes.IndexByte(b[i:], '\n')
		end := len(b)
		if nl >= 0 {
			end = i + nl
		}
		if seg := b[i:end]; bytes.IndexByte(seg, '"') >= 0 && bytes.Count(seg, []byte{'"'})%2 == 1 {
			odd = !odd
		}
		if !odd || nl < 0 {
			return end
		}
		i = end + 1
	}
}

// logCSVLastEnd returns the index of the newline ending the last complete
// record of b, -1 if there is none.
func logCSVLastEnd(b []byte) int {
	if bytes.IndexByte(b, '"') < 0 {
		return bytes.LastIndexByte(b, '\n')
	}
	last := -1
	for i := 0; i < len(b); {
		end := logCSVRecordEnd(b, i)
		if end == len(b) {
			break
		}
		last = end
		i = end + 1
	}
	return last
}

// split splits a record (without its line terminator) into fields that
// alias rec or p.scratch.
func (p *logCSV) split(rec []byte) ([][]byte, logBad) {
	p.fields = p.fields[:0]
	if cap(p.scratch) < len(rec) {
		p.scratch = make([]byte, 0, 2*len(rec))
	}
	buf := p.scratch[:0] // never grows past len(rec): fields stay valid
	i := 0
	for {
		if i < len(rec) && rec[i] == '"' {
			j := i + 1
			start := len(buf)
			copied := false
			var field []byte
			for {
				k := bytes.IndexByte(rec[j:], '"')
				if k < 0 {
					return nil, logBad{code: logBadCSVUnterminated, field: -1, a: i + 1}
				}
				k += j
				if k+1 < len(rec) && rec[k+1] == '"' {
					buf = append(buf, rec[j:k+1]...)
					copied = true
					j = k + 2
					continue
				}
				if copied {
					buf = append(buf, rec[j:k]...)
					field = buf[start:len(buf):len(buf)]
				} else {
					field = rec[i+1 : k]
				}
				j = k + 1
				break
			}
			if j < len(rec) && rec[j] != ',' {
				return nil, logBad{code: logBadCSVQuote, field: -1, a: j + 1}
			}
			p.fields = append(p.fields, field)
			if j >= len(rec) {
				return p.fields, logBad{}
			}
			i = j + 1
			continue
		}
		end := len(rec)
		if k := bytes.IndexByte(rec[i:], ','); k >= 0 {
			end = i + k
		}
		field := rec[i:end]
		if q := bytes.IndexByte(field, '"'); q >= 0 {
			return nil, logBad{code: logBadCSVBareQuote, field: -1, a: i + q + 1}
		}
		p.fields = append(p.fields, field)
		if end == len(rec) {
			return p.fields, logBad{}
		}
		i = end + 1
	}
}

// parse reads one record (without its line terminator) into r.
func (p *logCSV) parse(rec []byte, r *logRecord) logBad {
	r.reset()
	p.errs.mask = 0
	if len(rec) == 0 {
		return logBad{code: logBlank}
	}
	fields, bad := p.split(rec)
	if bad.code != logOK {
		return bad
	}
	if len(fields) != len(p.hdr.cols) {
		return logBad{code: logBadCSVFields, field: -1, a: len(fields), b: len(p.hdr.cols)}
	}
	for ci, f := range fields {
		field := int(p.hdr.cols[ci])
		if field < 0 {
			continue
		}
		if f = logTrimSpace(f); len(f) == 0 {
			continue
		}
		switch field {
		case logFieldTS:
			if ts, ok := p.times.parse(f); ok {
				r.ts, r.day = ts, logKSTDay(ts)
				r.seen |= 1 << logFieldTS
			} else {
				p.errs.set(field, logBad{code: logBadTime, field: logFieldTS})
			}
		case logFieldItems:
			p.items(f, r)
		case logFieldRecords, logFieldSubjects, logFieldBytes:
			v, bad := logParseCount(f, field)
			if bad.code != logOK {
				p.errs.set(field, bad)
			} else {
				r.setCount(field, v)
			}
		default:
			p.syms.setString(r, field, f, &p.canon)
		}
	}
	if p.errs.mask != 0 {
		return p.errs.first()
	}
	return logCheck(r)
}

// items reads a `;`-separated item list through the worker's cache.
func (p *logCSV) items(cell []byte, r *logRecord) {
	r.seen |= 1 << logFieldItems
	if set := p.recentSets.get(cell, p.syms.csvSets); set != nil {
		r.itemSet = set
		return
	}
	list := p.set[:0]
	for rest := cell; ; {
		it := rest
		k := bytes.IndexByte(rest, ';')
		if k >= 0 {
			it = rest[:k]
		}
		if it = logTrimSpace(it); len(it) > 0 {
			list = logAddSym(list, p.syms.item.get(it))
		}
		if k < 0 {
			break
		}
		rest = rest[k+1:]
	}
	list = logDedupSyms(list)
	p.set = list
	if len(p.syms.csvSets) < logItemSetLimit {
		set := &logItemSet{items: append([]*logSym(nil), list...), raw: string(cell)}
		p.syms.csvSets[set.raw] = set
		r.itemSet = set
		return
	}
	r.items = append(r.items, list...)
}

func logTrimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
