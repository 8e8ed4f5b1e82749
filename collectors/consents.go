package collectors

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/xborder/xborder/internal/audit"
)

// ConsentLedger is the consent ledger v1 (DESIGN §5.4): who granted consent
// for which flow, when, and when they withdrew it. Passed to ReadLogs
// (LogOptions.Consents), it decides the consent of every record of a
// consent-based flow that names a subject: the record counts as without
// consent (Observation.WithoutConsent) when its subject had no grant for
// the flow covering `ts`, and as withdrawn (Observation.WithdrawnConsent)
// when a grant had covered an earlier time but was withdrawn at or before
// `ts`; with a grant covering `ts` it counts as consented, whatever its
// `consent` field says. The ledger applies to the consent-based flows it
// has at least one entry for; records of other flows, and batch records
// without a subject, keep the log's own `consent` field.
//
// Memory is bounded by the number of entries, 24 bytes each: per flow, a
// slice of {subject hash, granted, withdrawn} sorted for binary search. The
// subject key itself is never kept; subjects are matched by the same 64-bit
// hash the aggregation counts distinct subjects with (a collision between
// two subjects is about 1 in 10^6 for 10^7 subjects squared over 2^64).
type ConsentLedger struct {
	flows   map[string]*consentFlow
	files   []aggFile // digests and line accounting, sorted by path
	entries int64
	ignored int64 // entries for flows the manifests do not declare
}

// consentEntry is one grant: granted ≤ ts < withdrawn covers ts. Unix
// seconds; withdrawn is math.MaxInt64 when never withdrawn.
type consentEntry struct {
	subject            uint64
	granted, withdrawn int64
}

// consentFlow is the ledger of one flow, sorted by subject then grant.
type consentFlow struct {
	name    string
	entries []consentEntry
}

// Consent example kinds, and how many examples of each kind a flow-day
// keeps: the first by time, then subject hash.
const (
	consentWithout   uint8 = 1
	consentWithdrawn uint8 = 2

	consentMaxExamples = 5
)

// consentExample is one counted record: kind, Unix time, subject hash (for
// a deterministic order) and the redacted key.
type consentExample struct {
	kind    uint8
	ts      int64
	subject uint64
	hint    string
}

func consentCompareExamples(a, b consentExample) int {
	return cmp.Or(cmp.Compare(a.kind, b.kind), cmp.Compare(a.ts, b.ts),
		cmp.Compare(a.subject, b.subject), cmp.Compare(a.hint, b.hint))
}

// consentCanonicalExamples reports whether xs is what consentMergeExamples
// produces: sorted, no duplicates, at most consentMaxExamples per kind.
func consentCanonicalExamples(xs []consentExample) bool {
	for i := 1; i < len(xs); i++ {
		if consentCompareExamples(xs[i-1], xs[i]) >= 0 {
			return false
		}
	}
	return len(consentTrim(slices.Clone(xs))) == len(xs)
}

// consentMergeExamples unites two example lists, keeping the first
// consentMaxExamples of each kind; the result shares nothing with b.
func consentMergeExamples(a, b []consentExample) []consentExample {
	if len(b) == 0 {
		return a
	}
	out := append(slices.Clone(a), b...)
	slices.SortFunc(out, consentCompareExamples)
	out = slices.Compact(out)
	return consentTrim(out)
}

// consentTrim drops examples past consentMaxExamples of each kind from a
// sorted list.
func consentTrim(xs []consentExample) []consentExample {
	n, run := 0, 0
	for i, x := range xs {
		if i > 0 && xs[i-1].kind == x.kind {
			run++
		} else {
			run = 0
		}
		if run < consentMaxExamples {
			xs[n] = x
			n++
		}
	}
	return xs[:n]
}

// consentHint keeps the first bytes of a subject key and its length, all a
// redacted example needs: never more than consentHintBytes bytes.
type consentHint struct {
	b    [consentHintBytes]byte
	n    uint8 // bytes kept
	full uint8 // the key's length, capped at 255
}

const consentHintBytes = 4

func (h *consentHint) set(s []byte) {
	h.n = uint8(copy(h.b[:], s))
	h.full = uint8(min(len(s), math.MaxUint8))
}

// redact shows at most half of the key and at most consentHintBytes bytes
// of it, cut at a character boundary, then "…": "u:4f9a01" → "u:4f…". A
// key of one character shows nothing.
func (h consentHint) redact() string {
	limit := min(int(h.n), int(h.full)/2)
	i := 0
	for i < limit {
		r, size := utf8.DecodeRune(h.b[i:h.n])
		if (r == utf8.RuneError && size <= 1) || i+size > limit {
			break
		}
		i += size
	}
	return string(h.b[:i]) + "…"
}

// RedactSubject is the redacted form of a subject key as consent evidence
// shows it (see ConsentExample).
func RedactSubject(key string) string {
	var h consentHint
	h.set([]byte(key))
	return h.redact()
}

// lookup returns the consent state of subject at ts.
func (cf *consentFlow) lookup(subject uint64, ts int64) uint8 {
	e := cf.entries
	lo, hi := 0, len(e)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if e[m].subject < subject {
			lo = m + 1
		} else {
			hi = m
		}
	}
	state := consentWithout
	for i := lo; i < len(e) && e[i].subject == subject && e[i].granted <= ts; i++ {
		if ts < e[i].withdrawn {
			return 0
		}
		state = consentWithdrawn
	}
	return state
}

// join decides the consent of one record of the flow and counts it in c.
func (cf *consentFlow) join(c *logCell, r *logRecord) {
	kind := cf.lookup(r.subject, r.ts)
	switch kind {
	case 0:
		return
	case consentWithout:
		c.withoutConsent = aggAdd(c.withoutConsent, r.records)
	case consentWithdrawn:
		c.withdrawnConsent = aggAdd(c.withdrawnConsent, r.records)
	}
	x := consentExample{kind: kind, ts: r.ts, subject: r.subject}
	xs := c.consentExamples
	// Most records lose against a full list: decide before redacting.
	n, last := 0, -1
	for i, y := range xs {
		if y.kind == kind {
			n, last = n+1, i
		}
	}
	if n == consentMaxExamples && cmp.Or(cmp.Compare(x.ts, xs[last].ts), cmp.Compare(x.subject, xs[last].subject)) >= 0 {
		return
	}
	x.hint = r.subjectHint.redact()
	c.consentExamples = consentMergeExamples(xs, []consentExample{x})
}

// consentFlow is the ledger of the flow a record matched, nil when the
// record's consent is the log's own field.
func (a *logAcc) consentFlow(key *logSym) *consentFlow {
	if a.consents == nil || key == nil || key.flow < 0 {
		return nil
	}
	return a.consents[key.flow]
}

// ConsentBased reports whether a flow relies on consent for any of its
// bases (the flows the ledger judges; policies' lib.is_consent_based).
func ConsentBased(f *audit.DataFlow) bool {
	b := f.LegalBasis
	return b.Overseas == "consent" || b.Provision == "consent" || b.Credit == "consent" || b.Transactions == "consent"
}

// bind returns the ledger of each flow of the matcher (indexed as names),
// nil for flows that are not consent-based or have no entry; nil when l is.
func (l *ConsentLedger) bind(m *audit.Manifests, names []string) []*consentFlow {
	if l == nil || m == nil {
		return nil
	}
	out := make([]*consentFlow, len(names))
	for i, name := range names {
		if f, ok := m.Flow(name); ok && ConsentBased(f) {
			out[i] = l.flows[name] // nil without entries
		}
	}
	return out
}

// Entries is the number of ledger entries kept (good lines naming a
// declared flow).
func (l *ConsentLedger) Entries() int64 { return l.entries }

// Ignored is the number of good ledger lines naming a flow the manifests do
// not declare: not an error (a ledger exported whole holds consents for
// domestic purposes too), but worth saying.
func (l *ConsentLedger) Ignored() int64 { return l.ignored }

// Flows lists the flows the ledger has entries for, sorted.
func (l *ConsentLedger) Flows() []string {
	out := make([]string, 0, len(l.flows))
	for name := range l.flows {
		out = append(out, name)
	}
	slices.Sort(out)
	return out
}

// Files returns the ledger files read, with their digests (Kind
// "consents"), sorted by path.
func (l *ConsentLedger) Files() []audit.InputFile {
	out := make([]audit.InputFile, len(l.files))
	for i, f := range l.files {
		out[i] = f.file
	}
	return out
}

// Quality returns the line accounting of each ledger file, sorted by path:
// bad ledger lines are reported, and count towards the bad-line ratio, like
// bad log lines.
func (l *ConsentLedger) Quality() []audit.FileQuality {
	out := make([]audit.FileQuality, len(l.files))
	for i, f := range l.files {
		out[i] = f.q
		out[i].Examples = slices.Clone(f.q.Examples)
	}
	return out
}

// ConsentExamples returns, per flow, the first records (by time) the
// ledger join counted as without consent, then as withdrawn, each kind at
// most five over all days, with their subjects redacted. Flows without
// any are absent.
func (a *Aggregate) ConsentExamples() map[string][]audit.ConsentExample {
	perFlow := map[string][]consentExample{}
	for k, c := range a.flows {
		if len(c.consentExamples) > 0 {
			perFlow[k.flow] = consentMergeExamples(perFlow[k.flow], c.consentExamples)
		}
	}
	out := make(map[string][]audit.ConsentExample, len(perFlow))
	for flow, xs := range perFlow {
		list := make([]audit.ConsentExample, len(xs))
		for i, x := range xs {
			kind := "withoutConsent"
			if x.kind == consentWithdrawn {
				kind = "withdrawnConsent"
			}
			list[i] = audit.ConsentExample{
				Kind:    kind,
				Time:    time.Unix(x.ts, 0).In(consentKST).Format(time.RFC3339),
				Subject: x.hint,
			}
		}
		out[flow] = list
	}
	return out
}

var consentKST = time.FixedZone("KST", 9*60*60)

// ReadConsents reads the consent ledger files under paths (files or
// directories, as ReadLogs finds logs: .jsonl, .ndjson or .csv, each
// optionally compressed). Each line is one entry:
//
//	{"subject":"u:4f9a01","flow":"alipay-overseas-payment","granted":"2019-06-01T00:00:00+09:00","withdrawn":null,"separate":true,"version":"2019-06"}
//
// or a CSV row with a header naming the same columns (any order; `withdrawn`,
// `separate` and `version` optional, an empty cell is null). `subject`,
// `flow` and `granted` are required, `granted` and `withdrawn` are RFC 3339
// times, `withdrawn` may not precede `granted`, `separate` is a boolean and
// `version` a string. A line breaking these rules is a bad line: counted per
// file with its first examples (file:line and reason, never the line's
// content), like a bad log line. Entries naming a flow the manifests do not
// declare are ignored (see Ignored). Unreadable files, corrupt gzip streams
// and CSV files without a required column are input errors, all returned
// together as audit.InputErrors.
func ReadConsents(ctx context.Context, m *audit.Manifests, paths []string) (*ConsentLedger, error) {
	files, errs := logFindFiles(paths)
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	declared := map[string]bool{}
	if m != nil {
		for _, f := range m.Flows {
			declared[f.Name] = true
		}
	}
	p := &consentParser{declared: declared, all: m == nil, flows: map[string]*consentFlow{}}
	l := &ConsentLedger{flows: p.flows}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		file, q, err := p.readFile(ctx, f)
		if err != nil {
			var ie *audit.InputError
			if errors.As(err, &ie) {
				errs = append(errs, ie)
			} else if ctx.Err() != nil {
				return nil, ctx.Err()
			} else {
				errs.Add(f.path, 0, 0, "", "%s", logErrText(err))
			}
			continue
		}
		l.files = append(l.files, aggFile{file: file, q: q})
	}
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	for _, cf := range l.flows {
		slices.SortFunc(cf.entries, func(a, b consentEntry) int {
			return cmp.Or(cmp.Compare(a.subject, b.subject), cmp.Compare(a.granted, b.granted), cmp.Compare(a.withdrawn, b.withdrawn))
		})
		cf.entries = slices.Clip(cf.entries)
		l.entries += int64(len(cf.entries))
	}
	l.ignored = p.ignored
	return l, nil
}

// consentParser turns ledger lines into entries.
type consentParser struct {
	declared map[string]bool
	all      bool // no manifests: keep every flow
	flows    map[string]*consentFlow
	ignored  int64
}

// consentBad is why a ledger line is bad: a field and a problem, never the
// line's content.
type consentBad struct{ reason string }

// consentLine is one decoded ledger line before validation.
type consentLine struct {
	subject, flow, granted, withdrawn string
	hasWithdrawn                      bool
}

// entry validates a decoded line into an entry of flow, or says why the
// line is bad.
func (p *consentParser) entry(l consentLine, canon *[]byte) (e consentEntry, flow string, bad string) {
	switch {
	case l.subject == "":
		return e, "", "missing subject"
	case l.flow == "":
		return e, "", "missing flow"
	case l.granted == "":
		return e, "", "missing granted"
	}
	g, ok := logParseTime([]byte(l.granted))
	if !ok {
		return e, "", "granted: not an RFC 3339 time"
	}
	w := int64(math.MaxInt64)
	if l.hasWithdrawn && l.withdrawn != "" {
		if w, ok = logParseTime([]byte(l.withdrawn)); !ok {
			return e, "", "withdrawn: not an RFC 3339 time"
		}
		if w < g {
			return e, "", "withdrawn: before granted"
		}
	}
	s := []byte(l.subject)
	if !utf8.Valid(s) {
		*canon = logCanonBytes((*canon)[:0], s)
		s = *canon
	}
	return consentEntry{subject: aggHash(s), granted: g, withdrawn: w}, l.flow, ""
}

// consentChunkLines is how many JSONL lines a worker parses at once.
const consentChunkLines = 4096

// consentChunk is a run of lines of one file.
type consentChunk struct {
	first int64 // line number of lines[0]
	lines [][]byte
}

// consentPart is what one worker collected.
type consentPart struct {
	entries map[string][]consentEntry
	q       audit.FileQuality
	ignored int64
}

func (pt *consentPart) bad(line int64, reason string) {
	pt.q.Lines++
	pt.q.Bad++
	pt.q.Examples = aggFirstExamples(pt.q.Examples, []audit.BadLine{{Line: line, Reason: reason}})
}

func (p *consentParser) keep(pt *consentPart, e consentEntry, flow string) {
	pt.q.Lines++
	pt.q.Records++
	if !p.all && !p.declared[flow] {
		pt.ignored++
		return
	}
	pt.entries[flow] = append(pt.entries[flow], e)
}

// readFile reads one ledger file, hashing it as it goes.
func (p *consentParser) readFile(ctx context.Context, f *logFile) (audit.InputFile, audit.FileQuality, error) {
	file := audit.InputFile{Path: f.path, Kind: "consents"}
	fh, err := os.Open(f.osPath)
	if err != nil {
		return file, audit.FileQuality{}, err
	}
	defer fh.Close()
	if st, err := fh.Stat(); err == nil {
		file.Size = st.Size()
	}
	h := sha256.New()
	var in io.Reader = bufio.NewReaderSize(io.TeeReader(fh, h), 1<<16)
	switch f.comp {
	case logCompGzip:
		zr, err := gzip.NewReader(in)
		if err != nil {
			return file, audit.FileQuality{}, logDecompressErr(f.comp, err)
		}
		defer zr.Close()
		in = zr
	case logCompZstd:
		zr, err := zstd.NewReader(in, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return file, audit.FileQuality{}, logDecompressErr(f.comp, err)
		}
		defer zr.Close()
		in = zr
	}
	var parts []*consentPart
	if f.csv {
		parts, err = p.readCSV(ctx, f, in)
	} else {
		parts, err = p.readJSONL(ctx, in)
	}
	if err != nil {
		if f.comp != logCompNone && ctx.Err() == nil {
			err = logDecompressErr(f.comp, err)
		}
		return file, audit.FileQuality{}, err
	}
	// Hash what is left (a gzip trailer, bytes after the CSV's last record).
	if _, err := io.Copy(h, fh); err != nil {
		return file, audit.FileQuality{}, err
	}
	file.SHA256 = hex.EncodeToString(h.Sum(nil))
	q := audit.FileQuality{Path: f.path}
	for _, pt := range parts {
		q.Lines += pt.q.Lines
		q.Records += pt.q.Records
		q.Bad += pt.q.Bad
		q.Examples = aggFirstExamples(q.Examples, pt.q.Examples)
		p.ignored += pt.ignored
		for flow, es := range pt.entries {
			cf := p.flows[flow]
			if cf == nil {
				cf = &consentFlow{name: flow}
				p.flows[flow] = cf
			}
			cf.entries = append(cf.entries, es...)
		}
	}
	return file, q, nil
}

// readJSONL parses JSON Lines on GOMAXPROCS workers, in chunks of lines.
func (p *consentParser) readJSONL(ctx context.Context, in io.Reader) ([]*consentPart, error) {
	workers := runtime.GOMAXPROCS(0)
	work := make(chan consentChunk, workers)
	parts := make([]*consentPart, workers)
	var wg sync.WaitGroup
	for i := range parts {
		pt := &consentPart{entries: map[string][]consentEntry{}}
		parts[i] = pt
		wg.Go(func() {
			var canon []byte
			for ch := range work {
				for j, line := range ch.lines {
					p.jsonLine(pt, ch.first+int64(j), line, &canon)
				}
			}
		})
	}
	err := consentSplitLines(ctx, in, work)
	close(work)
	wg.Wait()
	return parts, err
}

// consentSplitLines cuts the input into chunks of lines. A line longer
// than logMaxLine is cut too (and then reported as bad JSON).
func consentSplitLines(ctx context.Context, in io.Reader, work chan<- consentChunk) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), logMaxLine)
	line := int64(1)
	ch := consentChunk{first: line}
	var buf []byte
	for sc.Scan() {
		b := sc.Bytes()
		start := len(buf)
		buf = append(buf, b...)
		ch.lines = append(ch.lines, buf[start:len(buf):len(buf)])
		line++
		if len(ch.lines) == consentChunkLines {
			select {
			case work <- ch:
			case <-ctx.Done():
				return ctx.Err()
			}
			ch, buf = consentChunk{first: line}, nil
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return fmt.Errorf("line %d: longer than %d bytes", line, logMaxLine)
		}
		return err
	}
	if len(ch.lines) > 0 {
		work <- ch
	}
	return nil
}

// consentJSON is a ledger line as JSON; pointers tell absent and null
// from empty.
type consentJSON struct {
	Subject   *string         `json:"subject"`
	Flow      *string         `json:"flow"`
	Granted   *string         `json:"granted"`
	Withdrawn *string         `json:"withdrawn"`
	Separate  *bool           `json:"separate"`
	Version   json.RawMessage `json:"version"`
}

func (p *consentParser) jsonLine(pt *consentPart, n int64, line []byte, canon *[]byte) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return
	}
	var v consentJSON
	if err := json.Unmarshal(line, &v); err != nil {
		pt.bad(n, consentJSONReason(err))
		return
	}
	if len(v.Version) > 0 && v.Version[0] != '"' && string(v.Version) != "null" {
		pt.bad(n, "version: not a string")
		return
	}
	l := consentLine{subject: deref(v.Subject), flow: deref(v.Flow), granted: deref(v.Granted),
		withdrawn: deref(v.Withdrawn), hasWithdrawn: v.Withdrawn != nil}
	e, flow, bad := p.entry(l, canon)
	if bad != "" {
		pt.bad(n, bad)
		return
	}
	p.keep(pt, e, flow)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// consentJSONReason names the problem of a line encoding/json rejected,
// without quoting the line.
func consentJSONReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid json at byte %d", se.Offset)
	case errors.As(err, &te) && te.Field != "":
		want := "a string"
		if te.Field == "separate" {
			want = "a boolean"
		}
		return te.Field + ": not " + want
	case errors.As(err, &te):
		return "not a json object"
	}
	return "invalid json"
}

// consentColumns are the CSV columns of the ledger; the first three are
// required.
var consentColumns = []string{"subject", "flow", "granted", "withdrawn", "separate", "version"}

// readCSV parses a CSV ledger with a header row (sequentially: quoted
// fields may span lines).
func (p *consentParser) readCSV(ctx context.Context, f *logFile, in io.Reader) ([]*consentPart, error) {
	r := csv.NewReader(in)
	r.FieldsPerRecord = -1
	r.ReuseRecord = true
	pt := &consentPart{entries: map[string][]consentEntry{}}
	var col [6]int
	header := true
	var canon []byte
	for n := 0; ; n++ {
		if n%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			if header {
				return nil, &audit.InputError{File: f.path, Line: pe.StartLine, Field: "header", Msg: pe.Err.Error()}
			}
			pt.bad(int64(pe.StartLine), "csv: "+pe.Err.Error())
			continue
		}
		if err != nil {
			return nil, err
		}
		line, _ := r.FieldPos(0)
		if header {
			header = false
			if len(rec) > 0 {
				rec[0] = strings.TrimPrefix(rec[0], "\ufeff")
			}
			for i := range col {
				col[i] = -1
			}
			for i, name := range rec {
				if j := slices.Index(consentColumns, strings.ToLower(strings.TrimSpace(name))); j >= 0 && col[j] < 0 {
					col[j] = i
				}
			}
			var missing []string
			for i, name := range consentColumns[:3] {
				if col[i] < 0 {
					missing = append(missing, name)
				}
			}
			if len(missing) > 0 {
				return nil, &audit.InputError{File: f.path, Line: line, Field: "header",
					Msg: "missing column " + strings.Join(missing, ", ") + " (want " + strings.Join(consentColumns, ", ") + ")"}
			}
			continue
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // a blank line
		}
		get := func(i int) (string, bool) {
			if col[i] < 0 || col[i] >= len(rec) {
				return "", false
			}
			v := strings.TrimSpace(rec[col[i]])
			return v, v != ""
		}
		if sep, ok := get(4); ok {
			if _, ok := consentBool(sep); !ok {
				pt.bad(int64(line), "separate: not a boolean")
				continue
			}
		}
		var l consentLine
		l.subject, _ = get(0)
		l.flow, _ = get(1)
		l.granted, _ = get(2)
		l.withdrawn, l.hasWithdrawn = get(3)
		e, flow, bad := p.entry(l, &canon)
		if bad != "" {
			pt.bad(int64(line), bad)
			continue
		}
		p.keep(pt, e, flow)
	}
	return []*consentPart{pt}, nil // an empty file has no header and no entries
}

func consentBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "true", "1", "yes":
		return true, true
	case "false", "0", "no":
		return false, true
	}
	return false, false
}
