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
	"math/bits"
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
// Memory is bounded by the number of entries, about 28 bytes each: per
// flow, a slice of {subject hash, granted, withdrawn} (24 bytes) sorted by
// subject, and a bucket index over it (4 bytes per 2–4 entries). The
// subject key itself is never kept; subjects are matched by the same 64-bit
// hash the aggregation counts distinct subjects with (the chance that two
// of 10^7 subjects share a hash is about 3 in a million).
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
// The subject hashes are uniform, so the index of the first entry of each
// bucket of their top bits (about four entries a bucket) turns a lookup
// into one or two cache misses instead of a binary search over the whole
// ledger: 4 bytes of index per 4 entries.
type consentFlow struct {
	name    string
	entries []consentEntry
	index   []uint32 // index[b] is the first entry whose subject>>shift ≥ b; len 2^bits+1
	shift   uint8
}

// consentIndexMin is the ledger size from which a flow gets an index.
const consentIndexMin = 1 << 10

// sortAndIndex sorts the entries and builds the bucket index.
func (cf *consentFlow) sortAndIndex() {
	if !slices.IsSortedFunc(cf.entries, consentCompare) { // one file: already merged in order
		slices.SortFunc(cf.entries, consentCompare)
	}
	cf.entries = slices.Clip(cf.entries)
	cf.index = nil
	n := len(cf.entries)
	if n < consentIndexMin || n > math.MaxUint32 {
		return
	}
	b := bits.Len(uint(n)) - 2
	cf.shift = uint8(64 - b)
	cf.index = make([]uint32, 1<<b+1)
	e := 0
	for bucket := range cf.index {
		for e < n && cf.entries[e].subject>>cf.shift < uint64(bucket) {
			e++
		}
		cf.index[bucket] = uint32(e)
	}
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
	if cf.index != nil {
		b := subject >> cf.shift
		lo, hi = int(cf.index[b]), int(cf.index[b+1])
	}
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
		cf.sortAndIndex()
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
	subject, flow, granted, withdrawn []byte
	hasWithdrawn                      bool
}

// entry validates a decoded line into an entry of flow, or says why the
// line is bad.
func (p *consentParser) entry(l consentLine, canon *[]byte) (e consentEntry, flow []byte, bad string) {
	switch {
	case len(l.subject) == 0:
		return e, nil, "missing subject"
	case len(l.flow) == 0:
		return e, nil, "missing flow"
	case len(l.granted) == 0:
		return e, nil, "missing granted"
	}
	g, ok := logParseTime(l.granted)
	if !ok {
		return e, nil, "granted: not an RFC 3339 time"
	}
	w := int64(math.MaxInt64)
	if l.hasWithdrawn && len(l.withdrawn) != 0 {
		if w, ok = logParseTime(l.withdrawn); !ok {
			return e, nil, "withdrawn: not an RFC 3339 time"
		}
		if w < g {
			return e, nil, "withdrawn: before granted"
		}
	}
	s := l.subject
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
	entries map[string]*[]consentEntry
	q       audit.FileQuality
	ignored int64
}

func newConsentPart() *consentPart { return &consentPart{entries: map[string]*[]consentEntry{}} }

// sort sorts the part's entries of every flow, in the worker that read
// them.
func (pt *consentPart) sort() {
	for _, es := range pt.entries {
		slices.SortFunc(*es, consentCompare)
	}
}

func (pt *consentPart) bad(line int64, reason string) {
	pt.q.Lines++
	pt.q.Bad++
	pt.q.Examples = aggFirstExamples(pt.q.Examples, []audit.BadLine{{Line: line, Reason: reason}})
}

func (p *consentParser) keep(pt *consentPart, e consentEntry, flow []byte) {
	pt.q.Lines++
	pt.q.Records++
	if !p.all && !p.declared[string(flow)] {
		pt.ignored++
		return
	}
	es := pt.entries[string(flow)]
	if es == nil {
		es = new([]consentEntry)
		pt.entries[string(flow)] = es
	}
	*es = append(*es, e)
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
	}
	// The parts are sorted (by the workers, in parallel): merge them into
	// one allocation per flow; the parts' slices are garbage afterwards.
	for _, pt := range parts {
		for flow := range pt.entries {
			cf := p.flows[flow]
			if cf == nil {
				cf = &consentFlow{name: flow}
				p.flows[flow] = cf
			}
			var sorted [][]consentEntry
			for _, other := range parts {
				if o := other.entries[flow]; o != nil {
					sorted = append(sorted, *o)
					*o = nil
				}
			}
			cf.entries = consentMerge(cf.entries, sorted)
		}
	}
	return file, q, nil
}

func consentLess(a, b consentEntry) bool {
	switch {
	case a.subject != b.subject:
		return a.subject < b.subject
	case a.granted != b.granted:
		return a.granted < b.granted
	}
	return a.withdrawn < b.withdrawn
}

func consentCompare(a, b consentEntry) int {
	switch {
	case consentLess(a, b):
		return -1
	case consentLess(b, a):
		return 1
	}
	return 0
}

// consentMerge appends the merge of sorted slices to dst, growing it once.
func consentMerge(dst []consentEntry, sorted [][]consentEntry) []consentEntry {
	n := 0
	for _, s := range sorted {
		n += len(s)
	}
	dst = slices.Grow(dst, n)
	sorted = slices.DeleteFunc(sorted, func(s []consentEntry) bool { return len(s) == 0 })
	for len(sorted) > 1 {
		best := 0
		for i := 1; i < len(sorted); i++ {
			if consentLess(sorted[i][0], sorted[best][0]) {
				best = i
			}
		}
		dst = append(dst, sorted[best][0])
		if sorted[best] = sorted[best][1:]; len(sorted[best]) == 0 {
			sorted = slices.Delete(sorted, best, best+1)
		}
	}
	if len(sorted) == 1 {
		dst = append(dst, sorted[0]...)
	}
	return dst
}

// readJSONL parses JSON Lines on GOMAXPROCS workers, in chunks of lines.
func (p *consentParser) readJSONL(ctx context.Context, in io.Reader) ([]*consentPart, error) {
	workers := runtime.GOMAXPROCS(0)
	work := make(chan consentChunk, workers)
	parts := make([]*consentPart, workers)
	var wg sync.WaitGroup
	for i := range parts {
		pt := newConsentPart()
		parts[i] = pt
		wg.Go(func() {
			var canon []byte
			for ch := range work {
				for j, line := range ch.lines {
					p.jsonLine(pt, ch.first+int64(j), line, &canon)
				}
			}
			pt.sort()
		})
	}
	long := newConsentPart()
	err := consentSplitLines(ctx, in, work, long)
	close(work)
	wg.Wait()
	return append(parts, long), err
}

// consentSplitLines cuts the input into chunks of lines. A line longer
// than logMaxLine is a bad line (counted in long, as the log reader counts
// it), skipped without being held in memory whole.
func consentSplitLines(ctx context.Context, in io.Reader, work chan<- consentChunk, long *consentPart) error {
	br := bufio.NewReaderSize(in, 64<<10)
	line := int64(1)
	ch := consentChunk{first: line}
	var buf []byte
	send := func() error {
		select {
		case work <- ch:
		case <-ctx.Done():
			return ctx.Err()
		}
		ch, buf = consentChunk{first: line}, nil
		return nil
	}
	for {
		b, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			acc := append([]byte(nil), b...)
			for errors.Is(err, bufio.ErrBufferFull) && len(acc) <= logMaxLine {
				b, err = br.ReadSlice('\n')
				acc = append(acc, b...)
			}
			for errors.Is(err, bufio.ErrBufferFull) { // past the limit: skip the rest
				_, err = br.ReadSlice('\n')
			}
			if len(bytes.TrimRight(acc, "\r\n")) > logMaxLine {
				long.bad(line, "line too long")
				b = nil
			} else {
				b = acc
			}
		}
		if err != nil && err != io.EOF {
			return err
		}
		if len(b) == 0 && err == io.EOF {
			break
		}
		if b != nil {
			start := len(buf)
			buf = append(buf, bytes.TrimRight(b, "\n")...)
			ch.lines = append(ch.lines, buf[start:len(buf):len(buf)])
		} else {
			ch.lines = append(ch.lines, nil) // keeps the line numbers of the chunk
		}
		line++
		if len(ch.lines) == consentChunkLines {
			if err := send(); err != nil {
				return err
			}
		}
		if err == io.EOF {
			break
		}
	}
	if len(ch.lines) > 0 {
		return send()
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
	l, ok := consentScan(line)
	if !ok {
		var bad string
		if l, bad = consentDecode(line); bad != "" {
			pt.bad(n, bad)
			return
		}
	}
	e, flow, bad := p.entry(l, canon)
	if bad != "" {
		pt.bad(n, bad)
		return
	}
	p.keep(pt, e, flow)
}

// consentDecode decodes a ledger line with encoding/json: the careful
// path for every line consentScan declines, with the reason a bad line is
// bad.
func consentDecode(line []byte) (consentLine, string) {
	var v consentJSON
	if err := json.Unmarshal(line, &v); err != nil {
		return consentLine{}, consentJSONReason(err)
	}
	if len(v.Version) > 0 && v.Version[0] != '"' && string(v.Version) != "null" {
		return consentLine{}, "version: not a string"
	}
	l := consentLine{hasWithdrawn: v.Withdrawn != nil}
	for _, f := range []struct {
		dst *[]byte
		src *string
	}{{&l.subject, v.Subject}, {&l.flow, v.Flow}, {&l.granted, v.Granted}, {&l.withdrawn, v.Withdrawn}} {
		if f.src != nil {
			*f.dst = []byte(*f.src)
		}
	}
	return l, ""
}

// consentScan reads the common shape of a ledger line without
// encoding/json: one flat object of the six known keys whose values are
// strings without escapes, null or booleans. It declines (ok=false)
// anything else, which consentDecode then reads, so that both agree on
// every line (a fuzz test checks). The values alias line.
func consentScan(line []byte) (l consentLine, ok bool) {
	i := consentWS(line, 0)
	if i >= len(line) || line[i] != '{' {
		return l, false
	}
	i = consentWS(line, i+1)
	if i < len(line) && line[i] == '}' {
		return l, consentWS(line, i+1) == len(line)
	}
	for {
		key, next, ok := consentScanString(line, i)
		if !ok {
			return l, false
		}
		i = consentWS(line, next)
		if i >= len(line) || line[i] != ':' {
			return l, false
		}
		i = consentWS(line, i+1)
		var val []byte
		kind := byte(0) // '"' string, 'n' null, 'b' boolean
		switch {
		case i < len(line) && line[i] == '"':
			if val, i, ok = consentScanString(line, i); !ok {
				return l, false
			}
			kind = '"'
		case bytes.HasPrefix(line[i:], []byte("null")):
			i, kind = i+4, 'n'
		case bytes.HasPrefix(line[i:], []byte("true")):
			i, kind = i+4, 'b'
		case bytes.HasPrefix(line[i:], []byte("false")):
			i, kind = i+5, 'b'
		default:
			return l, false
		}
		if kind != '"' && (string(key) == "subject" || string(key) == "flow" || string(key) == "granted") {
			return l, false
		}
		switch string(key) {
		case "subject":
			l.subject = val
		case "flow":
			l.flow = val
		case "granted":
			l.granted = val
		case "withdrawn":
			if kind == 'b' {
				return l, false
			}
			l.withdrawn, l.hasWithdrawn = val, kind == '"'
		case "separate":
			if kind == '"' {
				return l, false
			}
		case "version":
			if kind == 'b' {
				return l, false
			}
		default:
			return l, false
		}
		i = consentWS(line, i)
		if i < len(line) && line[i] == ',' {
			i = consentWS(line, i+1)
			continue
		}
		if i < len(line) && line[i] == '}' {
			return l, consentWS(line, i+1) == len(line)
		}
		return l, false
	}
}

// consentScanString reads a JSON string at line[i] that has no escape,
// no control character and valid UTF-8; it returns its content and the
// index after its closing quote.
func consentScanString(line []byte, i int) ([]byte, int, bool) {
	if i >= len(line) || line[i] != '"' {
		return nil, i, false
	}
	j := i + 1
	for j < len(line) && line[j] != '"' && line[j] != '\\' && line[j] >= 0x20 {
		j++
	}
	if j >= len(line) || line[j] != '"' || !utf8.Valid(line[i+1:j]) {
		return nil, i, false
	}
	return line[i+1 : j], j + 1, true
}

func consentWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r' || b[i] == '\n') {
		i++
	}
	return i
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
	pt := newConsentPart()
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
		var withdrawn string
		subject, _ := get(0)
		flow, _ := get(1)
		granted, _ := get(2)
		withdrawn, l.hasWithdrawn = get(3)
		l.subject, l.flow, l.granted, l.withdrawn = []byte(subject), []byte(flow), []byte(granted), []byte(withdrawn)
		e, flowName, bad := p.entry(l, &canon)
		if bad != "" {
			pt.bad(int64(line), bad)
			continue
		}
		p.keep(pt, e, flowName)
	}
	pt.sort()
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
