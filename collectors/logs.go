package collectors

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"math/bits"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/xborder/xborder/internal/audit"
)

// LogOptions tunes reading. The zero value means the defaults.
type LogOptions struct {
	// Workers is the number of parallel parsers (and of files read at
	// once); default runtime.GOMAXPROCS(0).
	Workers int
	// ExactSubjects is how many distinct subjects a flow-day counts exactly
	// before switching to a HyperLogLog estimate; default
	// DefaultExactSubjects. A negative value always estimates.
	ExactSubjects int
	// Known reports whether an item ID is in the taxonomy; unknown items are
	// reported apart (Observation.UnknownItems). Nil: every item is known.
	Known func(item string) bool
	// Progress, when set, is called from time to time with the number of
	// bytes read from disk so far (compressed bytes for .gz and .zst files), and
	// once at the end. It is called from the goroutine running ReadLogs.
	Progress func(bytesRead int64)
	// Lines, when set, has the number of lines parsed added to it as the
	// workers finish each chunk, for a progress display's records/s.
	Lines *atomic.Int64
	// Consents, when set, is the consent ledger every record of a
	// consent-based flow is joined with (see ConsentLedger).
	Consents *ConsentLedger
	// Mapping, when set, reads every log through it (a foreign format
	// mapped to v1 fields by CEL expressions) instead of as v1 records.
	Mapping *Mapping
}

func (o LogOptions) withDefaults() LogOptions {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.ExactSubjects == 0 {
		o.ExactSubjects = DefaultExactSubjects
	}
	return o
}

// Reading is done in chunks of logChunkSize bytes cut at line ends, parsed
// by the workers in any order. A line longer than logMaxLine is a bad line.
// They are variables so that tests can make every boundary case happen.
var (
	logChunkSize = 1 << 20
	logMaxLine   = 16 << 20
)

// ReadLogs streams every transfer-log file under paths (files or
// directories; .jsonl, .ndjson and .csv, each optionally .gz or .zst; other files in
// a directory, and hidden directories, are skipped; a file named explicitly
// in an unsupported format is an error), matches each record to a flow and
// aggregates per flow and KST day.
//
// A record matches the flow whose `integration` it names; a record without
// an integration matches the flow listing its `host` among its endpoints
// (case-insensitive, exact). A record whose integration matches no flow is
// unmatched even when its host is a declared endpoint: the integration
// names the code that sent it (DESIGN §5.3).
//
// Bad lines are counted per file with their first examples; they are never
// fatal here (the caller judges the ratio). Unreadable files, corrupt gzip
// streams and CSV files without a `ts` or `items` column are input errors,
// returned together as audit.InputErrors. Memory grows with the number of
// flow-days and the exact-subject bound, not with the size of the files.
func ReadLogs(ctx context.Context, m *audit.Manifests, paths []string, opt LogOptions) (*Aggregate, error) {
	opt = opt.withDefaults()
	files, errs := logFindFiles(paths)
	if opt.Mapping != nil {
		files, errs = logFindFilesOf(paths, opt.Mapping.kindOf, opt.Mapping.formats())
	}
	if len(errs) > 0 {
		return nil, errs.Err()
	}
	run := newLogRun(ctx, newLogMatcher(m), opt, len(files))
	run.mapping = opt.Mapping

	accs := make([]*logAcc, opt.Workers)
	var workers sync.WaitGroup
	consents := opt.Consents.bind(m, run.match.flows)
	for i := range accs {
		acc := newLogAcc(run.match, opt.ExactSubjects, len(files))
		acc.consents = consents
		accs[i] = acc
		workers.Go(func() { run.worker(acc) })
	}
	queue := make(chan *logFile, len(files))
	for _, f := range files {
		queue <- f
	}
	close(queue)
	var readers sync.WaitGroup
	for range max(1, min(opt.Workers, len(files))) {
		readers.Go(func() {
			for f := range queue {
				if err := run.readFile(f); err != nil {
					f.err = err
				}
			}
		})
	}
	go func() {
		readers.Wait()
		close(run.work)
	}()
	done := make(chan struct{})
	go func() {
		workers.Wait()
		close(done)
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
wait:
	for {
		select {
		case <-done:
			break wait
		case <-tick.C:
			if opt.Progress != nil {
				opt.Progress(run.read.Load())
			}
		}
	}
	if opt.Progress != nil {
		opt.Progress(run.read.Load())
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	for _, f := range files {
		switch {
		case f.err != nil:
			errs.Add(f.path, 0, 0, "", "%s", logErrText(f.err))
		case len(f.headerErrs) > 0:
			for _, p := range f.headerErrs {
				errs.Add(f.path, int(f.headerLine), 0, "header", "%s", p)
			}
		}
	}
	if len(errs) > 0 {
		return nil, errs.Err()
	}

	agg := NewAggregate(opt)
	for _, acc := range accs {
		acc.into(agg)
	}
	for _, f := range files {
		q := audit.FileQuality{Path: f.path}
		for _, st := range append([]logFileStats{f.stats}, logColumn(accs, f.idx)...) {
			q.Lines += st.lines
			q.Records = aggAdd(q.Records, st.records)
			q.Bad += st.bad
			q.Examples = aggFirstExamples(q.Examples, st.examples)
		}
		agg.addFile(audit.InputFile{Path: f.path, SHA256: f.sha256, Kind: "log", Size: f.size}, q)
	}
	return agg, nil
}

func logColumn(accs []*logAcc, idx int) []logFileStats {
	out := make([]logFileStats, len(accs))
	for i, a := range accs {
		out[i] = a.files[idx]
	}
	return out
}

// logErrText is an I/O error without the path InputError already prints.
func logErrText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// logFile is one input file and what its reader learned.
type logFile struct {
	idx        int
	path       string // as reported: forward slashes
	osPath     string
	csv        bool
	comp       logCompression
	hdr        *logCSVHeader
	names      []string // the CSV header's column names, for a Mapping
	headerErrs []string
	headerLine int64
	size       int64
	sha256     string
	stats      logFileStats // bad lines seen by the reader (too long)
	err        error
}

// logCompression is how a log file is compressed, told by its name.
type logCompression uint8

const (
	logCompNone logCompression = iota
	logCompGzip                // .gz
	logCompZstd                // .zst
)

// logKindOf tells the format of a file from its name.
func logKindOf(name string) (csv bool, comp logCompression, ok bool) {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".gz"):
		comp, lower = logCompGzip, strings.TrimSuffix(lower, ".gz")
	case strings.HasSuffix(lower, ".zst"):
		comp, lower = logCompZstd, strings.TrimSuffix(lower, ".zst")
	}
	switch filepath.Ext(lower) {
	case ".jsonl", ".ndjson":
		return false, comp, true
	case ".csv":
		return true, comp, true
	}
	return false, logCompNone, false
}

// logFindFiles expands the paths into the log files to read, sorted by
// path, each once.
func logFindFiles(paths []string) ([]*logFile, audit.InputErrors) {
	return logFindFilesOf(paths, logKindOf, ".jsonl, .ndjson or .csv")
}

// logFindFilesOf is logFindFiles with the formats kindOf accepts, named
// by want in errors.
func logFindFilesOf(paths []string, kindOf func(string) (bool, logCompression, bool), want string) ([]*logFile, audit.InputErrors) {
	var errs audit.InputErrors
	seen := map[string]bool{}
	var files []*logFile
	add := func(p string) {
		p = filepath.Clean(p)
		if seen[p] {
			return
		}
		seen[p] = true
		csv, comp, _ := kindOf(p)
		files = append(files, &logFile{path: filepath.ToSlash(p), osPath: p, csv: csv, comp: comp})
	}
	for _, root := range paths {
		st, err := os.Stat(root)
		if err != nil {
			errs.Add(filepath.ToSlash(root), 0, 0, "", "%s", logErrText(err))
			continue
		}
		if !st.IsDir() {
			if _, _, ok := kindOf(root); !ok {
				errs.Add(filepath.ToSlash(root), 0, 0, "", "unsupported log format (want %s, optionally .gz or .zst)", want)
				continue
			}
			add(root)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				errs.Add(filepath.ToSlash(p), 0, 0, "", "%s", logErrText(err))
				return nil
			}
			if p != root && strings.HasPrefix(d.Name(), ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() {
				return nil
			}
			if _, _, ok := kindOf(d.Name()); !ok {
				return nil
			}
			if !d.Type().IsRegular() {
				if st, err := os.Stat(p); err != nil || !st.Mode().IsRegular() {
					return nil // a dangling link or a device
				}
			}
			add(p)
			return nil
		})
		if err != nil {
			errs.Add(filepath.ToSlash(root), 0, 0, "", "%s", logErrText(err))
		}
	}
	slices.SortFunc(files, func(a, b *logFile) int { return strings.Compare(a.path, b.path) })
	for i, f := range files {
		f.idx = i
	}
	return files, errs
}

// logMatcher maps integrations and hosts to flows (indexes into flows,
// which are sorted by name; the first flow wins a shared value).
type logMatcher struct {
	flows         []string
	byIntegration map[string]int32
	byHost        map[string]int32
}

func newLogMatcher(m *audit.Manifests) *logMatcher {
	lm := &logMatcher{byIntegration: map[string]int32{}, byHost: map[string]int32{}}
	if m == nil {
		return lm
	}
	flows := slices.Clone(m.Flows)
	slices.SortStableFunc(flows, func(a, b audit.DataFlow) int { return strings.Compare(a.Name, b.Name) })
	for i, f := range flows {
		lm.flows = append(lm.flows, f.Name)
		if _, ok := lm.byIntegration[f.Integration]; !ok && f.Integration != "" {
			lm.byIntegration[f.Integration] = int32(i)
		}
		for _, h := range f.Endpoints {
			h = logLowerASCII(h)
			if _, ok := lm.byHost[h]; !ok && h != "" {
				lm.byHost[h] = int32(i)
			}
		}
	}
	return lm
}

// logChunk is a run of whole lines of one file.
type logChunk struct {
	file *logFile
	data []byte
	buf  []byte // the pooled buffer data lies in
	line int64  // line number of data's first line
}

type logRun struct {
	ctx     context.Context
	match   *logMatcher
	work    chan logChunk
	free    chan []byte
	read    atomic.Int64
	lines   *atomic.Int64 // LogOptions.Lines
	mapping *Mapping      // LogOptions.Mapping
}

func newLogRun(ctx context.Context, match *logMatcher, opt LogOptions, nfiles int) *logRun {
	readers := max(1, min(opt.Workers, nfiles))
	nbuf := 2*opt.Workers + readers + 1 // > readers: a reader holds at most one while it waits
	run := &logRun{
		ctx:   ctx,
		match: match,
		work:  make(chan logChunk, opt.Workers),
		free:  make(chan []byte, nbuf),
		lines: opt.Lines,
	}
	for range nbuf {
		run.free <- nil // allocated on first use
	}
	return run
}

func (run *logRun) getBuf() ([]byte, error) {
	select {
	case b := <-run.free:
		if b == nil {
			b = make([]byte, logChunkSize)
		}
		return b, nil
	case <-run.ctx.Done():
		return nil, run.ctx.Err()
	}
}

// putBuf returns a buffer to the pool; an oversized one (grown for a long
// line) is dropped and replaced by a fresh one when next needed.
func (run *logRun) putBuf(b []byte) {
	if len(b) != logChunkSize {
		b = nil
	}
	select {
	case run.free <- b:
	default:
	}
}

// logHashReader hashes and counts what it reads: the digest of a file is
// computed while it is parsed, not by a second read.
type logHashReader struct {
	r io.Reader
	h hash.Hash
	n *atomic.Int64
}

func (r *logHashReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if n > 0 {
		r.h.Write(p[:n])
		r.n.Add(int64(n))
	}
	return n, err
}

var logBOM = []byte{0xEF, 0xBB, 0xBF}

// readFile cuts a file into chunks of whole lines (whole records for CSV)
// and queues them for the workers.
func (run *logRun) readFile(f *logFile) error {
	fh, err := os.Open(f.osPath)
	if err != nil {
		return err
	}
	defer fh.Close()
	if st, err := fh.Stat(); err == nil {
		f.size = st.Size()
	}
	h := sha256.New()
	src := &logHashReader{r: fh, h: h, n: &run.read}
	var in io.Reader = src
	switch f.comp {
	case logCompGzip:
		zr, err := gzip.NewReader(bufio.NewReaderSize(src, 256<<10))
		if err != nil {
			return logDecompressErr(f.comp, err)
		}
		in = zr
	case logCompZstd:
		// One decoding goroutine: the file's reader is already one of the
		// pipeline's stages, and the workers parse on the other cores.
		zr, err := zstd.NewReader(bufio.NewReaderSize(src, 256<<10), zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return logDecompressErr(f.comp, err)
		}
		defer zr.Close()
		in = zr
	}
	if err := run.chunks(f, in); err != nil {
		if f.comp != logCompNone && run.ctx.Err() == nil {
			err = logDecompressErr(f.comp, err)
		}
		return err
	}
	if _, err := io.Copy(io.Discard, src); err != nil { // the digest covers the whole file
		return err
	}
	f.sha256 = hex.EncodeToString(h.Sum(nil))
	return nil
}

// logDecompressErr says that an error came from decompression.
func logDecompressErr(comp logCompression, err error) error {
	prefix := "gzip: "
	if comp == logCompZstd {
		prefix = "zstd: "
	}
	if strings.HasPrefix(err.Error(), prefix) {
		return err
	}
	return fmt.Errorf("%s%w", prefix, err)
}

func (run *logRun) chunks(f *logFile, in io.Reader) error {
	buf, err := run.getBuf()
	if err != nil {
		return err
	}
	n, line, eof, first := 0, int64(1), false, true
	fill := func() error {
		for n < len(buf) && !eof {
			k, err := in.Read(buf[n:])
			n += k
			if err == io.EOF {
				eof = true
			} else if err != nil {
				return err
			}
		}
		return nil
	}
	defer func() { run.putBuf(buf) }()
	head := 0 // bytes of buf consumed before the first chunk: byte order mark, CSV header
	for {
		if err := run.ctx.Err(); err != nil {
			return err
		}
		if err := fill(); err != nil {
			return err
		}
		data := buf[:n]
		if first {
			if bytes.HasPrefix(data, logBOM) {
				head = len(logBOM)
			}
			if f.csv {
				next, ok := run.csvHeader(f, data, head, eof, &line)
				if !ok { // the header is not complete in the buffer
					if len(buf) >= logMaxLine {
						f.headerLine = line // where the header search began
						f.headerErrs = append(f.headerErrs, "header too long")
						return nil
					}
					buf = logGrow(buf, n)
					continue
				}
				if len(f.headerErrs) > 0 {
					return nil
				}
				head = next
			}
			first = false
		}
		start := head
		var cut int // data[start:cut] is whole lines
		switch {
		case eof:
			cut = n
		case f.csv:
			cut = logCSVLastEnd(data[start:]) + 1
			if cut > 0 {
				cut += start
			}
		default:
			cut = bytes.LastIndexByte(data[start:], '\n') + 1
			if cut > 0 {
				cut += start
			}
		}
		if cut <= start && !eof {
			// No line ends in a full buffer: grow it, or give up on the line.
			if len(buf) < logMaxLine {
				buf = logGrow(buf, n)
				continue
			}
			f.stats.lines++
			f.stats.addBad(line, logBad{code: logBadTooLong})
			line += int64(bytes.Count(data[start:n], []byte{'\n'}))
			if err := run.discardLine(&buf, &n, &eof, in); err != nil {
				return err
			}
			line++
			head = 0
			continue
		}
		if cut > start {
			next, err := run.getBuf()
			if err != nil {
				return err
			}
			if rest := n - cut; rest > len(next)/2 {
				next = make([]byte, max(logChunkSize, 2*rest))
			}
			n = copy(next, data[cut:n])
			chunk := logChunk{file: f, data: data[start:cut], buf: buf, line: line}
			head = 0
			line += int64(bytes.Count(chunk.data, []byte{'\n'}))
			buf = next
			select {
			case run.work <- chunk:
			case <-run.ctx.Done():
				run.putBuf(chunk.buf)
				return run.ctx.Err()
			}
		}
		if eof {
			return nil
		}
	}
}

// discardLine drops input up to and including the next newline, keeping
// what follows it at the start of the buffer.
func (run *logRun) discardLine(buf *[]byte, n *int, eof *bool, in io.Reader) error {
	for {
		*n = 0
		for *n < len(*buf) && !*eof {
			k, err := in.Read((*buf)[*n:])
			*n += k
			if err == io.EOF {
				*eof = true
			} else if err != nil {
				return err
			}
			if i := bytes.IndexByte((*buf)[*n-k:*n], '\n'); i >= 0 {
				i += *n - k
				*n = copy(*buf, (*buf)[i+1:*n])
				return nil
			}
		}
		if *eof {
			*n = 0
			return nil
		}
	}
}

func logGrow(buf []byte, n int) []byte {
	nb := make([]byte, 2*len(buf))
	copy(nb, buf[:n])
	return nb
}

// csvHeader reads the header row (the first non-empty record) of a CSV
// file. It returns the index after it, or false when the buffer holds no
// complete record yet.
func (run *logRun) csvHeader(f *logFile, data []byte, start int, eof bool, line *int64) (int, bool) {
	p := newLogCSV(nil)
	at := *line
	for start < len(data) {
		end := logCSVRecordEnd(data, start)
		if end == len(data) && !eof {
			return 0, false
		}
		rec := data[start:end]
		nl := int64(bytes.Count(rec, []byte{'\n'}))
		if k := len(rec); k > 0 && rec[k-1] == '\r' {
			rec = rec[:k-1]
		}
		here := at
		at += 1 + nl
		start = min(end+1, len(data))
		if len(rec) == 0 {
			continue
		}
		*line = at
		f.headerLine = here
		fields, bad := p.split(rec)
		if bad.code != logOK {
			f.headerErrs = append(f.headerErrs, bad.reason())
			return start, true
		}
		if run.mapping != nil {
			f.names, f.headerErrs = mappingCSVHeader(fields)
		} else {
			f.hdr, f.headerErrs = logParseCSVHeader(fields)
		}
		return start, true
	}
	if !eof {
		return 0, false
	}
	*line = at
	f.hdr = &logCSVHeader{} // an empty file: no header, no records
	return start, true
}

// logFileStats is the accounting of one file by one worker.
type logFileStats struct {
	lines, records, bad int64
	examples            []audit.BadLine // the first bad lines by line number
}

func (s *logFileStats) addBad(line int64, b logBad) { s.addBadWith(line, b.reason) }

// addBadText counts a bad line whose reason is already text.
func (s *logFileStats) addBadText(line int64, reason string) {
	s.addBadWith(line, func() string { return reason })
}

// addBadWith counts a bad line, formatting its reason only when the line
// is kept as an example.
func (s *logFileStats) addBadWith(line int64, reason func() string) {
	s.bad++
	n := len(s.examples)
	if n == audit.MaxBadExamples && line >= s.examples[n-1].Line {
		return
	}
	i, _ := slices.BinarySearchFunc(s.examples, line, func(x audit.BadLine, l int64) int {
		return int(x.Line - l)
	})
	s.examples = slices.Insert(s.examples, i, audit.BadLine{Line: line, Reason: reason()})
	if len(s.examples) > audit.MaxBadExamples {
		s.examples = s.examples[:audit.MaxBadExamples]
	}
}

func (run *logRun) worker(acc *logAcc) {
	syms := newLogSyms(run.match)
	jp, cp := newLogJSON(syms), newLogCSV(syms)
	var mr *mappingReader
	if run.mapping != nil {
		mr = newMappingReader(run.mapping, syms)
	}
	var r logRecord
	for ch := range run.work {
		st := &acc.files[ch.file.idx]
		before := st.lines
		if mr != nil {
			acc.mappedChunk(mr, &r, st, ch)
		} else if ch.file.csv {
			cp.hdr = ch.file.hdr
			acc.csvChunk(cp, &r, st, ch)
		} else {
			acc.jsonChunk(jp, &r, st, ch)
		}
		if run.lines != nil {
			run.lines.Add(st.lines - before)
		}
		run.putBuf(ch.buf)
	}
}

// take accounts for one parsed line of any format: a blank line is not a
// line, a good record is aggregated, a bad one is counted with its reason.
func (a *logAcc) take(st *logFileStats, r *logRecord, line int64, bad logBad) {
	switch bad.code {
	case logBlank:
	case logOK:
		st.lines++
		a.add(st, r)
	default:
		st.lines++
		st.addBad(line, bad)
	}
}

func (a *logAcc) jsonChunk(p *logJSON, r *logRecord, st *logFileStats, ch logChunk) {
	data, line := ch.data, ch.line
	for len(data) > 0 {
		l := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			l, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if k := len(l); k > 0 && l[k-1] == '\r' {
			l = l[:k-1]
		}
		a.take(st, r, line, p.parse(l, r))
		line++
	}
}

func (a *logAcc) csvChunk(p *logCSV, r *logRecord, st *logFileStats, ch logChunk) {
	data, line := ch.data, ch.line
	for i := 0; i < len(data); {
		end := logCSVRecordEnd(data, i)
		rec := data[i:end]
		nl := int64(0)
		if bytes.IndexByte(rec, '"') >= 0 {
			nl = int64(bytes.Count(rec, []byte{'\n'}))
		}
		if k := len(rec); k > 0 && rec[k-1] == '\r' {
			rec = rec[:k-1]
		}
		a.take(st, r, line, p.parse(rec, r))
		line += 1 + nl
		i = end + 1
	}
}

// logAcc is one worker's aggregate, keyed by the worker's own symbols; it
// becomes an Aggregate (keyed by strings) once, at the end.
type logAcc struct {
	match          *logMatcher
	bound          int
	flowCells      map[logFlowKey]*logCell
	unmatchedCells map[logUnmatchedKey]*logCell
	last           *logCell
	lastKey        logFlowKey
	files          []logFileStats
	unmatchedLines int64
	consents       []*consentFlow // by flow index; nil without a ledger
}

type logFlowKey struct{ flow, day int32 }

type logUnmatchedKey struct {
	kind    uint8
	key     *logSym
	country *logSym
	day     int32
}

type logCell struct {
	records, batchSubjects, withoutConsent, bytes int64
	withdrawnConsent                              int64
	consentExamples                               []consentExample
	distinct                                      aggDistinct
	sets                                          logSmallSet[*logItemSet]
	items, countries, hosts, protections, tls     logSmallSet[*logSym]
}

func newLogAcc(match *logMatcher, bound, nfiles int) *logAcc {
	return &logAcc{
		match:          match,
		bound:          bound,
		flowCells:      map[logFlowKey]*logCell{},
		unmatchedCells: map[logUnmatchedKey]*logCell{},
		files:          make([]logFileStats, nfiles),
	}
}

func (a *logAcc) add(st *logFileStats, r *logRecord) {
	st.records = aggAdd(st.records, r.records)
	kind, key := aggKeyIntegration, r.integration
	if key == nil {
		kind, key = aggKeyHost, r.host
		if key == nil {
			kind = aggKeyNone
		}
	}
	var c *logCell
	if key != nil && key.flow >= 0 {
		k := logFlowKey{key.flow, r.day}
		if a.last != nil && a.lastKey == k {
			c = a.last
		} else {
			if c = a.flowCells[k]; c == nil {
				c = &logCell{}
				a.flowCells[k] = c
			}
			a.last, a.lastKey = c, k
		}
		c.countries.add(r.country)
		c.hosts.add(r.host)
	} else {
		a.unmatchedLines++
		k := logUnmatchedKey{kind: kind, key: key, country: r.country, day: r.day}
		if c = a.unmatchedCells[k]; c == nil {
			c = &logCell{}
			a.unmatchedCells[k] = c
		}
	}
	c.records = aggAdd(c.records, r.records)
	c.batchSubjects = aggAdd(c.batchSubjects, r.subjects)
	if cf := a.consentFlow(key); cf != nil && r.hasSubject {
		cf.join(c, r)
	} else if !r.consent {
		c.withoutConsent = aggAdd(c.withoutConsent, r.records)
	}
	c.bytes = aggAdd(c.bytes, r.bytes)
	if r.hasSubject {
		c.distinct.add(r.subject, a.bound)
	}
	if r.itemSet != nil {
		c.sets.add(r.itemSet)
	} else {
		for _, it := range r.items {
			c.items.add(it)
		}
	}
	c.protections.add(r.protection)
	c.tls.add(r.tls)
}

// cell converts to an aggCell; the distinct state moves (a is discarded).
func (c *logCell) cell() *aggCell {
	out := &aggCell{
		records:          c.records,
		batchSubjects:    c.batchSubjects,
		withoutConsent:   c.withoutConsent,
		withdrawnConsent: c.withdrawnConsent,
		consentExamples:  c.consentExamples,
		bytes:            c.bytes,
		distinct:         c.distinct,
		items:            aggSet{},
	}
	// Values leave the reader here: each must have its field's shape
	// (redact.go).
	for _, s := range c.sets.list {
		for _, it := range s.items {
			out.items.add(logItemNorm(it.s))
		}
	}
	for _, it := range c.items.list {
		out.items.add(logItemNorm(it.s))
	}
	for _, f := range []struct {
		dst  *aggSet
		src  *logSmallSet[*logSym]
		norm func(string) string
	}{
		{&out.countries, &c.countries, logCountryNorm}, {&out.hosts, &c.hosts, logHostNorm},
		{&out.protections, &c.protections, logProtectionNorm}, {&out.tls, &c.tls, logTLSNorm},
	} {
		for _, s := range f.src.list {
			f.dst.add(f.norm(s.s))
		}
	}
	return out
}

// into merges the worker's state into agg.
func (a *logAcc) into(agg *Aggregate) {
	for k, c := range a.flowCells {
		agg.flowCell(aggFlowKey{flow: a.match.flows[k.flow], day: k.day}).merge(c.cell(), agg.bound)
	}
	for k, c := range a.unmatchedCells {
		uk := aggUnmatchedKey{kind: k.kind, day: k.day}
		if k.key != nil {
			uk.key = k.key.s
			if k.kind == aggKeyHost {
				uk.key = logHostNorm(uk.key)
			}
		}
		if k.country != nil {
			uk.country = logCountryNorm(k.country.s)
		}
		agg.unmatchedCell(uk).merge(c.cell(), agg.bound)
	}
	agg.unmatchedLines = aggAdd(agg.unmatchedLines, a.unmatchedLines)
}

// logSmallSet is a set of pointers, a slice while small (most cells see a
// handful of values), a map beyond. Nil values are ignored.
type logSmallSet[T comparable] struct {
	list []T
	m    map[T]struct{}
}

func (s *logSmallSet[T]) add(v T) {
	var zero T
	if v == zero {
		return
	}
	if n := len(s.list); n > 0 && s.list[n-1] == v {
		return
	}
	if s.m != nil {
		if _, ok := s.m[v]; !ok {
			s.m[v] = struct{}{}
			s.list = append(s.list, v)
		}
		return
	}
	for _, x := range s.list {
		if x == v {
			return
		}
	}
	s.list = append(s.list, v)
	if len(s.list) > 8 {
		s.m = make(map[T]struct{}, 16)
		for _, x := range s.list {
			s.m[x] = struct{}{}
		}
	}
}

// The fields of a transfer-log record v1 (DESIGN §5.3), in the order in
// which their problems are reported.
const (
	logFieldTS = iota
	logFieldItems
	logFieldIntegration
	logFieldHost
	logFieldCountry
	logFieldSubject
	logFieldSubjects
	logFieldRecords
	logFieldConsent
	logFieldProtection
	logFieldTLS
	logFieldBytes
	logNumFields
)

var logFieldNames = [logNumFields]string{
	logFieldTS:          "ts",
	logFieldItems:       "items",
	logFieldIntegration: "integration",
	logFieldHost:        "host",
	logFieldCountry:     "country",
	logFieldSubject:     "subject",
	logFieldSubjects:    "subjects",
	logFieldRecords:     "records",
	logFieldConsent:     "consent",
	logFieldProtection:  "protection",
	logFieldTLS:         "tls",
	logFieldBytes:       "bytes",
}

// logFieldOf maps a field name to its index, -1 for fields v1 does not
// know (they are skipped). The comparison does not allocate.
func logFieldOf(name []byte) int {
	switch string(name) {
	case "ts":
		return logFieldTS
	case "items":
		return logFieldItems
	case "integration":
		return logFieldIntegration
	case "host":
		return logFieldHost
	case "country":
		return logFieldCountry
	case "subject":
		return logFieldSubject
	case "subjects":
		return logFieldSubjects
	case "records":
		return logFieldRecords
	case "consent":
		return logFieldConsent
	case "protection":
		return logFieldProtection
	case "tls":
		return logFieldTLS
	case "bytes":
		return logFieldBytes
	}
	return -1
}

// logRecord is one parsed record. Parsers reuse one per worker; string
// values are interned symbols, the subject only as its hash.
type logRecord struct {
	day         int32
	ts          int64 // Unix seconds of `ts`
	integration *logSym
	host        *logSym
	country     *logSym
	protection  *logSym
	tls         *logSym
	itemSet     *logItemSet // the cached item list, or nil and then items
	items       []*logSym
	subject     uint64
	hasSubject  bool
	subjectHint consentHint // the few leading bytes a redacted example may show
	subjects    int64
	records     int64
	consent     bool
	bytes       int64
	seen        uint16 // bit per field: present and not null
}

func (r *logRecord) reset() {
	items := r.items[:0]
	*r = logRecord{items: items}
}

// logBadCode says why a line could not be used.
type logBadCode uint8

const (
	logOK logBadCode = iota
	logBlank
	logBadJSON
	logBadNotObject
	logBadMissing
	logBadNotString
	logBadNotStrings
	logBadNotInteger
	logBadNegative
	logBadRange
	logBadTime
	logBadTooLong
	logBadCSVBareQuote
	logBadCSVQuote
	logBadCSVUnterminated
	logBadCSVFields
)

// logBad is a bad line's reason, formatted only when kept as an example.
// It never holds line content: reasons name a field and a position only.
type logBad struct {
	code  logBadCode
	field int8
	a, b  int
}

func (b logBad) reason() string {
	f := ""
	if b.field >= 0 && int(b.field) < logNumFields {
		f = logFieldNames[b.field]
	}
	switch b.code {
	case logBadJSON:
		return fmt.Sprintf("invalid json at byte %d", b.a)
	case logBadNotObject:
		return "not a json object"
	case logBadMissing:
		return "missing " + f
	case logBadNotString:
		return f + ": not a string"
	case logBadNotStrings:
		return f + ": not an array of strings"
	case logBadNotInteger:
		return f + ": not an integer"
	case logBadNegative:
		return f + ": negative"
	case logBadRange:
		return f + ": out of range"
	case logBadTime:
		return f + ": not RFC 3339"
	case logBadTooLong:
		return "line too long"
	case logBadCSVBareQuote:
		return fmt.Sprintf("invalid csv at byte %d: bare quote in unquoted field", b.a)
	case logBadCSVQuote:
		return fmt.Sprintf("invalid csv at byte %d: extraneous quote in quoted field", b.a)
	case logBadCSVUnterminated:
		return fmt.Sprintf("invalid csv at byte %d: unterminated quoted field", b.a)
	case logBadCSVFields:
		return fmt.Sprintf("row has %d fields, header has %d", b.a, b.b)
	}
	return "bad line"
}

// logCheck applies the rules common to every format once a record's fields
// are read: required fields present, defaults filled.
func logCheck(r *logRecord) logBad {
	if r.seen&(1<<logFieldTS) == 0 {
		return logBad{code: logBadMissing, field: logFieldTS}
	}
	if r.seen&(1<<logFieldItems) == 0 {
		return logBad{code: logBadMissing, field: logFieldItems}
	}
	if r.seen&(1<<logFieldRecords) == 0 {
		r.records = 1
	}
	return logBad{}
}

// logSym is an interned string value of one field kind. For integrations
// and hosts it also carries the flow it matches.
type logSym struct {
	s    string
	flow int32 // index into the flows, -1 when none matches
}

// logSymTable interns the values of one field, keyed by their bytes as they
// appear in the input so that a hit costs one map lookup and no allocation.
type logSymTable struct {
	// recent is a direct-mapped cache in front of raw: most fields take a
	// handful of values, and comparing a short string beats a map lookup.
	recent [64]*logRawSym
	raw    map[string]*logRawSym
	canon  map[string]*logSym
	norm   func(string) string // case normalisation, may be nil
	flows  map[string]int32    // flow matched by the normalised value, may be nil
	limit  int                 // raw spellings kept; beyond that only canonical lookups
}

func newLogSymTable(norm func(string) string, flows map[string]int32) *logSymTable {
	return &logSymTable{
		raw:   map[string]*logRawSym{},
		canon: map[string]*logSym{},
		norm:  norm,
		flows: flows,
		limit: 1 << 16,
	}
}

// logRawSym is one spelling of a value as it appears in the input.
type logRawSym struct {
	raw string
	sym *logSym
}

func (t *logSymTable) get(b []byte) *logSym {
	h := uint(len(b)) * 7
	if len(b) > 0 {
		h += uint(b[0]) + uint(b[len(b)-1])*3
	}
	slot := &t.recent[h&63]
	if e := *slot; e != nil && e.raw == string(b) {
		return e.sym
	}
	if e, ok := t.raw[string(b)]; ok {
		*slot = e
		return e.sym
	}
	c := logCanon(b)
	if t.norm != nil {
		c = t.norm(c)
	}
	s, ok := t.canon[c]
	if !ok {
		s = &logSym{s: c, flow: -1}
		if f, ok := t.flows[c]; ok {
			s.flow = f
		}
		t.canon[c] = s
	}
	if len(t.raw) < t.limit {
		e := &logRawSym{raw: string(b), sym: s}
		t.raw[e.raw] = e
		*slot = e
	}
	return s
}

// logCanon returns b as a string, each byte of invalid UTF-8 replaced by
// U+FFFD, as encoding/json does.
func logCanon(b []byte) string {
	if utf8.Valid(b) {
		return string(b)
	}
	var sb strings.Builder
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.Write(b[:n])
		}
		b = b[n:]
	}
	return sb.String()
}

// logCanonBytes is logCanon appending to dst, for subject keys (hashed,
// never kept).
func logCanonBytes(dst, b []byte) []byte {
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if r == utf8.RuneError && n == 1 {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, b[:n]...)
		}
		b = b[n:]
	}
	return dst
}

// logASCII reports whether b is all ASCII, eight bytes at a time: subject
// keys nearly always are, and then they are valid UTF-8 as they stand.
func logASCII(b []byte) bool {
	var or uint64
	for ; len(b) >= 8; b = b[8:] {
		or |= binary.LittleEndian.Uint64(b)
	}
	for _, c := range b {
		or |= uint64(c)
	}
	return or&logHi == 0
}

// logUpperASCII upper-cases ASCII letters only (country codes).
func logUpperASCII(s string) string { return logMapASCII(s, 'a', 'z', 'A'-'a') }

// logLowerASCII lower-cases ASCII letters only (host names, CSV headers):
// "case-insensitive and exact" must not depend on Unicode case tables.
func logLowerASCII(s string) string { return logMapASCII(s, 'A', 'Z', 'a'-'A') }

func logMapASCII(s string, lo, hi byte, delta int) string {
	i := 0
	for i < len(s) && (s[i] < lo || s[i] > hi) {
		i++
	}
	if i == len(s) {
		return s
	}
	b := []byte(s)
	for ; i < len(b); i++ {
		if lo <= b[i] && b[i] <= hi {
			b[i] = byte(int(b[i]) + delta)
		}
	}
	return string(b)
}

// logItemSet is an interned item list: the distinct items of one spelling
// of an `items` value. Records of one flow repeat a handful of lists, so a
// record costs one lookup of the whole list.
type logItemSet struct {
	items []*logSym
	raw   string // the spelling it was cached under
}

// logRecentSets is a direct-mapped cache in front of an item-list map:
// records repeat a handful of lists, and comparing one stored spelling
// costs less than a map lookup.
type logRecentSets [16]*logItemSet

func (c *logRecentSets) get(raw []byte, sets map[string]*logItemSet) *logItemSet {
	slot := &c[(uint(len(raw))*7+uint(raw[len(raw)/2]))&15]
	if s := *slot; s != nil && s.raw == string(raw) {
		return s
	}
	s := sets[string(raw)]
	if s != nil {
		*slot = s
	}
	return s
}

// logItemSetLimit bounds the item-list cache per worker and format, so that
// memory does not grow with a file whose every line carries a new list.
const logItemSetLimit = 1 << 14

// logSyms are a worker's interning tables.
type logSyms struct {
	integration, host, country, protection, tls, item *logSymTable
	jsonSets, csvSets                                 map[string]*logItemSet
}

func newLogSyms(m *logMatcher) *logSyms {
	return &logSyms{
		integration: newLogSymTable(nil, m.byIntegration),
		host:        newLogSymTable(logLowerASCII, m.byHost),
		country:     newLogSymTable(logUpperASCII, nil),
		protection:  newLogSymTable(nil, nil),
		tls:         newLogSymTable(nil, nil),
		item:        newLogSymTable(nil, nil),
		jsonSets:    map[string]*logItemSet{},
		csvSets:     map[string]*logItemSet{},
	}
}

// logParseDay parses an RFC 3339 timestamp and returns its calendar day in
// Korea Standard Time (UTC+9) as days since 1970-01-01; see logParseTime.
func logParseDay(b []byte) (int32, bool) {
	secs, ok := logParseTime(b)
	return logKSTDay(secs), ok
}

// logKSTDay is the Korea Standard Time calendar day (days since 1970-01-01)
// of a Unix time in seconds.
func logKSTDay(secs int64) int32 { return int32(logFloorDiv(secs+9*3600, 86400)) }

// logParseTime parses an RFC 3339 timestamp into Unix seconds (the fraction
// is dropped). It accepts exactly YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM),
// `t` and `z` in either case (RFC 3339 §5.6), and checks every range, leap
// years included.
func logParseTime(b []byte) (int64, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	if b[10] != 'T' && b[10] != 't' {
		return 0, false
	}
	year, ok1 := logDigits(b[0:4])
	month, ok2 := logDigits(b[5:7])
	day, ok3 := logDigits(b[8:10])
	hour, ok4 := logDigits(b[11:13])
	minute, ok5 := logDigits(b[14:16])
	sec, ok6 := logDigits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) {
		return 0, false
	}
	i := 19
	if b[i] == '.' {
		i++
		j := i
		for i < len(b) && '0' <= b[i] && b[i] <= '9' {
			i++
		}
		if i == j {
			return 0, false
		}
	}
	if i >= len(b) {
		return 0, false
	}
	off := 0
	switch b[i] {
	case 'Z', 'z':
		i++
	case '+', '-':
		if len(b)-i != 6 || b[i+3] != ':' {
			return 0, false
		}
		oh, ok1 := logDigits(b[i+1 : i+3])
		om, ok2 := logDigits(b[i+4 : i+6])
		if !ok1 || !ok2 || oh > 23 || om > 59 {
			return 0, false
		}
		off = oh*3600 + om*60
		if b[i] == '-' {
			off = -off
		}
		i += 6
	default:
		return 0, false
	}
	if i != len(b) || month < 1 || month > 12 || day < 1 || day > logDaysIn(year, month) ||
		hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	return logDaysFromCivil(year, month, day)*86400 + int64(hour*3600+minute*60+sec-off), true
}

// logTimeCache remembers the hour of the last timestamp read: records of
// a file come in time order, so most timestamps share their date, hour and
// zone with the previous one and only their minutes and seconds need
// reading. It gives exactly what logParseTime gives.
type logTimeCache struct {
	hour [13]byte // YYYY-MM-DDTHH of the last valid timestamp
	zone [6]byte  // its zone: Z, z or ±HH:MM
	zlen int
	base int64 // Unix seconds of that hour's start in that zone
	ok   bool
}

func (c *logTimeCache) parse(b []byte) (int64, bool) {
	if c.ok && len(b) >= 20 && [13]byte(b[:13]) == c.hour && b[13] == ':' && b[16] == ':' {
		minute, ok1 := logDigits(b[14:16])
		sec, ok2 := logDigits(b[17:19])
		i := 19
		if b[i] == '.' {
			i++
			for i < len(b) && '0' <= b[i] && b[i] <= '9' {
				i++
			}
		}
		if ok1 && ok2 && minute <= 59 && sec <= 59 && i > 20 == (b[19] == '.') &&
			len(b)-i == c.zlen && string(b[i:]) == string(c.zone[:c.zlen]) {
			return c.base + int64(minute*60+sec), true
		}
	}
	secs, ok := logParseTime(b)
	if ok {
		i := 19
		if b[i] == '.' {
			for i++; '0' <= b[i] && b[i] <= '9'; i++ {
			}
		}
		c.hour, c.zlen, c.ok = [13]byte(b[:13]), copy(c.zone[:], b[i:]), true
		minute, _ := logDigits(b[14:16])
		sec, _ := logDigits(b[17:19])
		c.base = secs - int64(minute*60+sec)
	}
	return secs, ok
}

func logDigits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func logDaysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// logDaysFromCivil is days since 1970-01-01 of a proleptic Gregorian date
// (Howard Hinnant's algorithm).
func logDaysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := logFloorDiv(int64(y), 400)
	yoe := int64(y) - era*400
	mp := int64((m + 9) % 12)
	doy := (153*mp+2)/5 + int64(d) - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func logFloorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// logParseInt parses a non-negative decimal integer count: digits only
// (JSON numbers are checked for syntax before).
func logParseCount(b []byte, field int) (int64, logBad) {
	neg := false
	if len(b) > 0 && b[0] == '-' {
		neg = true
		b = b[1:]
	}
	if len(b) == 0 {
		return 0, logBad{code: logBadNotInteger, field: int8(field)}
	}
	var v uint64
	over := false
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, logBad{code: logBadNotInteger, field: int8(field)}
		}
		if v > (1<<63-1-9)/10 {
			if v > (1<<63-1)/10 || v*10+uint64(c-'0') > 1<<63-1 {
				over = true
			}
		}
		if !over {
			v = v*10 + uint64(c-'0')
		}
	}
	switch {
	case neg && (over || v != 0):
		return 0, logBad{code: logBadNegative, field: int8(field)}
	case over:
		return 0, logBad{code: logBadRange, field: int8(field)}
	}
	return int64(v), logBad{}
}

// logFieldErrs holds the problem of each field of the current record.
type logFieldErrs struct {
	mask uint16
	errs [logNumFields]logBad
}

func (e *logFieldErrs) set(field int, b logBad) {
	e.mask |= 1 << field
	e.errs[field] = b
}

func (e *logFieldErrs) clear(field int) { e.mask &^= 1 << field }

// first is the problem of the first field in logFieldNames order.
func (e *logFieldErrs) first() logBad { return e.errs[bits.TrailingZeros16(e.mask)] }

// clear forgets a field (it was null or empty).
func (r *logRecord) clear(field int) {
	r.seen &^= 1 << field
	switch field {
	case logFieldTS:
		r.day, r.ts = 0, 0
	case logFieldItems:
		r.itemSet, r.items = nil, r.items[:0]
	case logFieldIntegration:
		r.integration = nil
	case logFieldHost:
		r.host = nil
	case logFieldCountry:
		r.country = nil
	case logFieldSubject:
		r.subject, r.hasSubject, r.subjectHint = 0, false, consentHint{}
	case logFieldSubjects:
		r.subjects = 0
	case logFieldRecords:
		r.records = 0
	case logFieldConsent:
		r.consent = false
	case logFieldProtection:
		r.protection = nil
	case logFieldTLS:
		r.tls = nil
	case logFieldBytes:
		r.bytes = 0
	}
}

func (r *logRecord) setCount(field int, v int64) {
	r.seen |= 1 << field
	switch field {
	case logFieldSubjects:
		r.subjects = v
	case logFieldRecords:
		r.records = v
	case logFieldBytes:
		r.bytes = v
	}
}

// setString sets a string field from its decoded bytes. An empty string is
// the same as an absent field. The subject is hashed (canonicalised to
// valid UTF-8 first, in *canon) and only the hash is kept.
func (t *logSyms) setString(r *logRecord, field int, s []byte, canon *[]byte) {
	if len(s) == 0 {
		r.clear(field)
		return
	}
	r.seen |= 1 << field
	switch field {
	case logFieldIntegration:
		r.integration = t.integration.get(s)
	case logFieldHost:
		r.host = t.host.get(s)
	case logFieldCountry:
		r.country = t.country.get(s)
	case logFieldProtection:
		r.protection = t.protection.get(s)
	case logFieldTLS:
		r.tls = t.tls.get(s)
	case logFieldConsent:
		r.consent = true
	case logFieldSubject:
		if !logASCII(s) && !utf8.Valid(s) {
			*canon = logCanonBytes((*canon)[:0], s)
			s = *canon
		}
		r.subject, r.hasSubject = aggHash(s), true
		r.subjectHint.set(s)
	}
}
