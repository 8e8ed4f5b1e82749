package collectors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/axiomhq/hyperloglog"

	"github.com/xborder/xborder/internal/audit"
)

// DefaultExactSubjects is how many distinct subjects a flow-day counts
// exactly before it switches to a HyperLogLog sketch. 4,096 64-bit hashes
// cost at most 64 KiB per flow-day, about four dense sketches.
const DefaultExactSubjects = 4096

// aggPrecision is the HyperLogLog precision: 2^14 registers, a standard
// error of 0.81%, 16 KiB per dense sketch. It is part of the binary encoding.
const aggPrecision = 14

// Aggregate is what a run learns from transfer logs, in a form that can be
// merged: per flow and KST day, and per unmatched (integration or host,
// country, day), the record, subject, item, country, host, protection,
// transport and consent counts; per input file, its digest and line
// accounting. Two Aggregates read from disjoint inputs Merge into exactly
// the Aggregate of reading both, whichever machine read each part, so a
// daily run can keep its flow-day state (MarshalBinary) and a larger audit
// can combine partial results.
//
// Distinct subjects are counted through 64-bit hashes of the subject key
// (the key itself is never kept): exactly up to the bound, then in a dense
// HyperLogLog sketch. The representation depends only on the set of hashes
// seen, never on the order in which parts were read or merged.
//
// An Aggregate is not safe for concurrent use.
type Aggregate struct {
	bound          int
	known          func(item string) bool
	flows          map[aggFlowKey]*aggCell
	unmatched      map[aggUnmatchedKey]*aggCell
	files          map[aggFileKey]*aggFile
	unmatchedLines int64
}

// Unmatched key kinds: what the Unmatched.Key of a group is.
const (
	aggKeyNone        uint8 = iota // neither integration nor host was logged
	aggKeyIntegration              // the logged integration
	aggKeyHost                     // the logged host (no integration)
)

type aggFlowKey struct {
	flow string
	day  int32 // days since 1970-01-01, KST calendar
}

type aggUnmatchedKey struct {
	kind    uint8
	key     string
	country string
	day     int32
}

type aggFileKey struct {
	path   string
	sha256 string
}

type aggFile struct {
	file audit.InputFile
	q    audit.FileQuality
}

// aggCell is the state of one flow-day or one unmatched group.
type aggCell struct {
	records        int64
	batchSubjects  int64 // sum of `subjects` of batch records
	withoutConsent int64
	// withdrawnConsent and consentExamples come from the consent ledger
	// join (consents.go).
	withdrawnConsent int64
	consentExamples  []consentExample
	bytes            int64
	distinct         aggDistinct
	items            aggSet
	countries        aggSet
	hosts            aggSet
	protections      aggSet
	tls              aggSet
}

// aggSet is a set of strings; nil is empty.
type aggSet map[string]struct{}

func (s *aggSet) add(v string) {
	if *s == nil {
		*s = make(aggSet, 4)
	}
	(*s)[v] = struct{}{}
}

func (s *aggSet) union(o aggSet) {
	for v := range o {
		s.add(v)
	}
}

// sorted returns the members in order; never nil, so that JSON shows [].
func (s aggSet) sorted() []string {
	out := make([]string, 0, len(s))
	for v := range s {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

// NewAggregate returns an empty Aggregate with the options' exact-subject
// bound and item taxonomy. Merging decoded parts into it applies the
// taxonomy to them.
func NewAggregate(opt LogOptions) *Aggregate {
	opt = opt.withDefaults()
	return &Aggregate{
		bound:     opt.ExactSubjects,
		known:     opt.Known,
		flows:     map[aggFlowKey]*aggCell{},
		unmatched: map[aggUnmatchedKey]*aggCell{},
		files:     map[aggFileKey]*aggFile{},
	}
}

func (a *Aggregate) flowCell(k aggFlowKey) *aggCell {
	c := a.flows[k]
	if c == nil {
		c = &aggCell{}
		a.flows[k] = c
	}
	return c
}

func (a *Aggregate) unmatchedCell(k aggUnmatchedKey) *aggCell {
	c := a.unmatched[k]
	if c == nil {
		c = &aggCell{}
		a.unmatched[k] = c
	}
	return c
}

// addFile adds the accounting of one input file. A file already present
// (same path and digest) has its counts added: inputs are expected to be
// disjoint, so this only happens when a caller merges a part twice.
func (a *Aggregate) addFile(f audit.InputFile, q audit.FileQuality) {
	k := aggFileKey{f.Path, f.SHA256}
	have := a.files[k]
	if have == nil {
		q.Examples = slices.Clone(q.Examples)
		a.files[k] = &aggFile{file: f, q: q}
		return
	}
	have.q.Lines = aggAdd(have.q.Lines, q.Lines)
	have.q.Records = aggAdd(have.q.Records, q.Records)
	have.q.Bad = aggAdd(have.q.Bad, q.Bad)
	have.q.Examples = aggFirstExamples(have.q.Examples, q.Examples)
}

// aggFirstExamples keeps the audit.MaxBadExamples examples with the
// smallest line numbers of both lists.
func aggFirstExamples(a, b []audit.BadLine) []audit.BadLine {
	out := append(slices.Clone(a), b...)
	slices.SortStableFunc(out, func(x, y audit.BadLine) int {
		return cmp.Or(cmp.Compare(x.Line, y.Line), cmp.Compare(x.Reason, y.Reason))
	})
	out = slices.CompactFunc(out, func(x, y audit.BadLine) bool { return x == y })
	if len(out) > audit.MaxBadExamples {
		out = out[:audit.MaxBadExamples]
	}
	return out
}

// aggAdd adds two non-negative counts, saturating instead of wrapping.
func aggAdd(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64
}

func (c *aggCell) merge(o *aggCell, bound int) {
	c.records = aggAdd(c.records, o.records)
	c.batchSubjects = aggAdd(c.batchSubjects, o.batchSubjects)
	c.withoutConsent = aggAdd(c.withoutConsent, o.withoutConsent)
	c.withdrawnConsent = aggAdd(c.withdrawnConsent, o.withdrawnConsent)
	c.consentExamples = consentMergeExamples(c.consentExamples, o.consentExamples)
	c.bytes = aggAdd(c.bytes, o.bytes)
	c.distinct.merge(&o.distinct, bound)
	c.items.union(o.items)
	c.countries.union(o.countries)
	c.hosts.union(o.hosts)
	c.protections.union(o.protections)
	c.tls.union(o.tls)
}

// Merge adds b into a: counters add up, sets unite, exact subject sets
// unite and turn into a sketch once past the bound, sketches merge. b is not
// modified and shares nothing with a afterwards. Merging parts read from
// disjoint inputs with the same ExactSubjects gives exactly the aggregate
// of reading them together. Merging a into itself does nothing.
func (a *Aggregate) Merge(b *Aggregate) {
	if b == nil || a == b {
		return
	}
	for k, c := range b.flows {
		a.flowCell(k).merge(c, a.bound)
	}
	for k, c := range b.unmatched {
		a.unmatchedCell(k).merge(c, a.bound)
	}
	for _, f := range b.files {
		a.addFile(f.file, f.q)
	}
	a.unmatchedLines = aggAdd(a.unmatchedLines, b.unmatchedLines)
}

// Records is the number of records read (the sum of `records` over good
// lines, matched or not).
func (a *Aggregate) Records() int64 {
	var n int64
	for _, c := range a.flows {
		n = aggAdd(n, c.records)
	}
	for _, c := range a.unmatched {
		n = aggAdd(n, c.records)
	}
	return n
}

func (a *Aggregate) splitItems(s aggSet) (known, unknown []string) {
	known, unknown = []string{}, []string{}
	for _, it := range s.sorted() {
		if a.known == nil || a.known(it) {
			known = append(known, it)
		} else {
			unknown = append(unknown, it)
		}
	}
	return known, unknown
}

// subjects is the distinct subject count plus the subjects of batch records.
func (c *aggCell) subjects() (int64, bool) {
	n, est := c.distinct.count()
	return aggAdd(n, c.batchSubjects), est
}

// Observations returns one observation per flow and day, sorted by flow
// then day, every list sorted.
func (a *Aggregate) Observations() []audit.Observation {
	keys := slices.SortedFunc(maps.Keys(a.flows), func(x, y aggFlowKey) int {
		return cmp.Or(cmp.Compare(x.flow, y.flow), cmp.Compare(x.day, y.day))
	})
	out := make([]audit.Observation, 0, len(keys))
	for _, k := range keys {
		c := a.flows[k]
		subjects, est := c.subjects()
		items, unknown := a.splitItems(c.items)
		out = append(out, audit.Observation{
			Flow:              k.flow,
			Day:               aggDayString(k.day),
			Records:           c.records,
			Subjects:          subjects,
			SubjectsEstimated: est,
			Items:             items,
			UnknownItems:      unknown,
			Countries:         c.countries.sorted(),
			Hosts:             c.hosts.sorted(),
			Protections:       c.protections.sorted(),
			TLS:               c.tls.sorted(),
			WithoutConsent:    c.withoutConsent,
			WithdrawnConsent:  c.withdrawnConsent,
			Bytes:             c.bytes,
		})
	}
	return out
}

// Unmatched returns the traffic no flow matched, grouped by (integration or
// host, country, day) and sorted by key, country, day.
func (a *Aggregate) Unmatched() []audit.Unmatched {
	keys := slices.SortedFunc(maps.Keys(a.unmatched), func(x, y aggUnmatchedKey) int {
		return cmp.Or(cmp.Compare(x.key, y.key), cmp.Compare(x.country, y.country),
			cmp.Compare(x.day, y.day), cmp.Compare(x.kind, y.kind))
	})
	out := make([]audit.Unmatched, 0, len(keys))
	for _, k := range keys {
		c := a.unmatched[k]
		subjects, est := c.subjects()
		items, unknown := a.splitItems(c.items)
		u := audit.Unmatched{
			Key:               k.key,
			Country:           k.country,
			Day:               aggDayString(k.day),
			Records:           c.records,
			Subjects:          subjects,
			SubjectsEstimated: est,
			Items:             items,
			UnknownItems:      unknown,
			Protections:       c.protections.sorted(),
			TLS:               c.tls.sorted(),
			Bytes:             c.bytes,
		}
		switch k.kind {
		case aggKeyIntegration:
			u.Integration = k.key
		case aggKeyHost:
			u.Host = k.key
		}
		out = append(out, u)
	}
	return out
}

func (a *Aggregate) sortedFiles() []*aggFile {
	return slices.SortedFunc(maps.Values(a.files), func(x, y *aggFile) int {
		return cmp.Or(cmp.Compare(x.file.Path, y.file.Path), cmp.Compare(x.file.SHA256, y.file.SHA256))
	})
}

// Quality returns the line accounting of every file read, sorted by path.
func (a *Aggregate) Quality() audit.DataQuality {
	q := audit.DataQuality{Files: []audit.FileQuality{}, UnmatchedLines: a.unmatchedLines}
	for _, f := range a.sortedFiles() {
		fq := f.q
		fq.Examples = slices.Clone(fq.Examples)
		q.Files = append(q.Files, fq)
		q.Lines = aggAdd(q.Lines, fq.Lines)
		q.Bad = aggAdd(q.Bad, fq.Bad)
	}
	return q
}

// Files returns the log files read with their SHA-256 digests, sorted by path.
func (a *Aggregate) Files() []audit.InputFile {
	out := []audit.InputFile{}
	for _, f := range a.sortedFiles() {
		out = append(out, f.file)
	}
	return out
}

// FlowDayState is the mergeable state of one flow on one day: the binary
// encoding (MarshalBinary) of an Aggregate holding only that flow-day, with
// its exact subject set or sketch, counters, sets and consent examples.
type FlowDayState struct {
	Flow  string
	Day   string // YYYY-MM-DD, Korea Standard Time
	State []byte
}

// FlowDayStates encodes every flow-day on its own, sorted by flow then day,
// so that a store can keep one beside each observation and a later run can
// merge exactly the days it needs (MergeBinary): a daily audit evaluates a
// trailing window over stored days without reading their logs again, and
// a day whose logs came in several files counts each subject once.
func (a *Aggregate) FlowDayStates() ([]FlowDayState, error) {
	keys := slices.SortedFunc(maps.Keys(a.flows), func(x, y aggFlowKey) int {
		return cmp.Or(cmp.Compare(x.flow, y.flow), cmp.Compare(x.day, y.day))
	})
	out := make([]FlowDayState, 0, len(keys))
	for _, k := range keys {
		one := &Aggregate{bound: a.bound, flows: map[aggFlowKey]*aggCell{k: a.flows[k]}}
		b, err := one.MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("flow %s on %s: %w", k.flow, aggDayString(k.day), err)
		}
		out = append(out, FlowDayState{Flow: k.flow, Day: aggDayString(k.day), State: b})
	}
	return out, nil
}

// MergeBinary decodes an encoded aggregate (MarshalBinary, FlowDayState)
// and merges it into a; corrupt data is an error and leaves a unchanged.
func (a *Aggregate) MergeBinary(data []byte) error {
	b := &Aggregate{known: a.known}
	if err := b.UnmarshalBinary(data); err != nil {
		return err
	}
	a.Merge(b)
	return nil
}

// aggDayString formats a KST day number as YYYY-MM-DD.
func aggDayString(day int32) string {
	return time.Unix(int64(day)*86400, 0).UTC().Format(audit.DateLayout)
}

// aggHash is the subject-key hash: 64-bit FNV-1a followed by the MurmurHash3
// finaliser, so that every output bit depends on every input bit (HyperLogLog
// reads the top 14 bits as a register index). It is fixed forever: stored
// exact sets and sketches from different processes must agree. Changing it
// requires a new encoding version.
func aggHash(b []byte) uint64 {
	h := uint64(14695981039346656037)
	for _, c := range b {
		h ^= uint64(c)
		h *= 1099511628211
	}
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// aggDistinct counts distinct subject hashes: exactly in a set while there
// are at most `bound` of them, then in a dense HyperLogLog sketch holding
// all of them. Dense sketches merge by register maximum, so the state is a
// function of the set of hashes alone.
type aggDistinct struct {
	set aggU64Set
	sk  *hyperloglog.Sketch
}

func (d *aggDistinct) add(h uint64, bound int) {
	if d.sk != nil {
		d.sk.InsertHash(h)
		return
	}
	if d.set.add(h) && d.set.n > bound {
		d.toSketch()
	}
}

func (d *aggDistinct) toSketch() {
	sk, _ := hyperloglog.NewSketch(aggPrecision, false)
	d.set.each(sk.InsertHash)
	d.sk = sk
	d.set = aggU64Set{}
}

func (d *aggDistinct) merge(o *aggDistinct, bound int) {
	switch {
	case o.sk != nil && d.sk != nil:
		_ = d.sk.Merge(o.sk) // same precision by construction
	case o.sk != nil:
		sk := o.sk.Clone()
		d.set.each(sk.InsertHash)
		d.sk = sk
		d.set = aggU64Set{}
	case d.sk != nil:
		o.set.each(d.sk.InsertHash)
	default:
		o.set.each(func(h uint64) {
			if d.sk != nil {
				d.sk.InsertHash(h)
			} else if d.set.add(h) && d.set.n > bound {
				d.toSketch()
			}
		})
	}
}

// count returns the number of distinct hashes and whether it is an estimate.
func (d *aggDistinct) count() (int64, bool) {
	if d.sk != nil {
		return int64(d.sk.Estimate()), true
	}
	return int64(d.set.n), false
}

// aggU64Set is an open-addressing set of 64-bit hashes (linear probing;
// the hashes are already well mixed). Slot value 0 means empty, so the hash
// 0 is tracked apart.
type aggU64Set struct {
	slots []uint64
	n     int
	zero  bool
}

func (s *aggU64Set) add(h uint64) bool {
	if h == 0 {
		if s.zero {
			return false
		}
		s.zero = true
		s.n++
		return true
	}
	if len(s.slots) == 0 {
		s.slots = make([]uint64, 16)
	}
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case h:
			return false
		case 0:
			s.slots[i] = h
			s.n++
			if s.n*4 >= len(s.slots)*3 {
				s.grow()
			}
			return true
		}
	}
}

func (s *aggU64Set) grow() {
	old := s.slots
	s.slots = make([]uint64, 2*len(old))
	mask := uint64(len(s.slots) - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := h & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = h
	}
}

func (s *aggU64Set) each(fn func(uint64)) {
	if s.zero {
		fn(0)
	}
	for _, h := range s.slots {
		if h != 0 {
			fn(h)
		}
	}
}

func (s *aggU64Set) sorted() []uint64 {
	out := make([]uint64, 0, s.n)
	s.each(func(h uint64) { out = append(out, h) })
	slices.Sort(out)
	return out
}

// Binary encoding (version 1). Everything is sorted, so equal states encode
// to equal bytes:
//
//	"XBAG" version:uvarint bound:varint unmatchedLines:uvarint
//	files:    n { path sha256 kind size:varint lines records bad nex { line reason } }
//	flows:    n { flow day:varint cell }
//	unmatched n { kind:byte key country day:varint cell }
//	cell:     records batchSubjects withoutConsent bytes [withdrawnConsent examples]
//	          items countries hosts protections tls distinct     ([…]: version 2 on)
//	examples: n { kind:byte ts:varint subject:8 bytes hint }
//	set:      n { string }     string: len:uvarint bytes
//	distinct: 0 n { delta:uvarint }                      exact, sorted hashes
//	        | 1 p:byte regs:(2^p/2 nibbles, 15 = see exceptions) ne { index-delta:uvarint value:byte }
const (
	aggMagic   = "XBAG"
	aggVersion = 2
)

// MarshalBinary encodes the aggregate (not its item taxonomy) in a compact,
// versioned, canonical form: equal aggregates give equal bytes. Exact
// subject sets are kept as their 64-bit hashes, which is what lets decoded
// parts merge exactly; the hash is unkeyed, so whoever can enumerate the
// subject keys of the logs can test membership: store the encoding with the
// same care as the logs' pseudonymous keys.
func (a *Aggregate) MarshalBinary() ([]byte, error) {
	e := aggEncoder{b: append([]byte(nil), aggMagic...)}
	e.uvarint(aggVersion)
	e.b = binary.AppendVarint(e.b, int64(a.bound))
	e.uvarint(uint64(a.unmatchedLines))

	files := a.sortedFiles()
	e.uvarint(uint64(len(files)))
	for _, f := range files {
		e.str(f.file.Path)
		e.str(f.file.SHA256)
		e.str(f.file.Kind)
		e.b = binary.AppendVarint(e.b, f.file.Size)
		e.uvarint(uint64(f.q.Lines))
		e.uvarint(uint64(f.q.Records))
		e.uvarint(uint64(f.q.Bad))
		e.uvarint(uint64(len(f.q.Examples)))
		for _, x := range f.q.Examples {
			e.uvarint(uint64(x.Line))
			e.str(x.Reason)
		}
	}

	fk := slices.SortedFunc(maps.Keys(a.flows), func(x, y aggFlowKey) int {
		return cmp.Or(cmp.Compare(x.flow, y.flow), cmp.Compare(x.day, y.day))
	})
	e.uvarint(uint64(len(fk)))
	for _, k := range fk {
		e.str(k.flow)
		e.b = binary.AppendVarint(e.b, int64(k.day))
		if err := e.cell(a.flows[k]); err != nil {
			return nil, err
		}
	}

	uk := slices.SortedFunc(maps.Keys(a.unmatched), func(x, y aggUnmatchedKey) int {
		return cmp.Or(cmp.Compare(x.kind, y.kind), cmp.Compare(x.key, y.key),
			cmp.Compare(x.country, y.country), cmp.Compare(x.day, y.day))
	})
	e.uvarint(uint64(len(uk)))
	for _, k := range uk {
		e.b = append(e.b, k.kind)
		e.str(k.key)
		e.str(k.country)
		e.b = binary.AppendVarint(e.b, int64(k.day))
		if err := e.cell(a.unmatched[k]); err != nil {
			return nil, err
		}
	}
	return e.b, nil
}

type aggEncoder struct{ b []byte }

func (e *aggEncoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }

func (e *aggEncoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

func (e *aggEncoder) set(s aggSet) {
	e.uvarint(uint64(len(s)))
	for _, v := range s.sorted() {
		e.str(v)
	}
}

func (e *aggEncoder) cell(c *aggCell) error {
	e.uvarint(uint64(c.records))
	e.uvarint(uint64(c.batchSubjects))
	e.uvarint(uint64(c.withoutConsent))
	e.uvarint(uint64(c.bytes))
	e.uvarint(uint64(c.withdrawnConsent))
	e.uvarint(uint64(len(c.consentExamples)))
	for _, x := range c.consentExamples {
		e.b = append(e.b, x.kind)
		e.b = binary.AppendVarint(e.b, x.ts)
		e.b = binary.BigEndian.AppendUint64(e.b, x.subject)
		e.str(x.hint)
	}
	e.set(c.items)
	e.set(c.countries)
	e.set(c.hosts)
	e.set(c.protections)
	e.set(c.tls)
	if c.distinct.sk == nil {
		e.b = append(e.b, 0)
		hs := c.distinct.set.sorted()
		e.uvarint(uint64(len(hs)))
		var prev uint64
		for _, h := range hs {
			e.uvarint(h - prev)
			prev = h
		}
		return nil
	}
	raw, err := c.distinct.sk.MarshalBinary()
	if err != nil {
		return fmt.Errorf("encoding sketch: %w", err)
	}
	// A dense version-2 sketch is an 8-byte header then 2^p registers.
	regs := raw[8:]
	if raw[3] != 0 || len(regs) != 1<<aggPrecision {
		return errors.New("encoding sketch: not a dense sketch")
	}
	e.b = append(e.b, 1, aggPrecision)
	var ex []int
	for i := 0; i < len(regs); i += 2 {
		hi, lo := min(regs[i], 15), min(regs[i+1], 15)
		e.b = append(e.b, hi<<4|lo)
		if hi == 15 {
			ex = append(ex, i)
		}
		if lo == 15 {
			ex = append(ex, i+1)
		}
	}
	e.uvarint(uint64(len(ex)))
	prev := 0
	for _, i := range ex {
		e.uvarint(uint64(i - prev))
		e.b = append(e.b, regs[i])
		prev = i
	}
	return nil
}

// UnmarshalBinary replaces the state of a by a decoded aggregate. The
// receiver's item taxonomy is kept; the exact-subject bound is the encoded
// one. Corrupt or truncated data is an error and leaves a unchanged.
func (a *Aggregate) UnmarshalBinary(data []byte) error {
	d := aggDecoder{b: data}
	if !bytes.HasPrefix(data, []byte(aggMagic)) {
		return errors.New("aggregate: not an xborder aggregate")
	}
	d.b = d.b[len(aggMagic):]
	version := d.uvarint()
	if d.err == nil && (version < 1 || version > aggVersion) {
		return fmt.Errorf("aggregate: unsupported version %d", version)
	}
	d.version = version
	bound, n := binary.Varint(d.b)
	if n <= 0 || bound < math.MinInt32 || bound > math.MaxInt32 {
		return errors.New("aggregate: bad bound")
	}
	d.b = d.b[n:]
	d.bound = int(bound)
	out := &Aggregate{
		bound:     int(bound),
		known:     a.known,
		flows:     map[aggFlowKey]*aggCell{},
		unmatched: map[aggUnmatchedKey]*aggCell{},
		files:     map[aggFileKey]*aggFile{},
	}
	out.unmatchedLines = d.count()

	for i, nf := 0, d.len(); i < nf && d.err == nil; i++ {
		var f audit.InputFile
		var q audit.FileQuality
		f.Path, f.SHA256, f.Kind = d.str(), d.str(), d.str()
		f.Size = d.varint()
		q.Path = f.Path
		q.Lines, q.Records, q.Bad = d.count(), d.count(), d.count()
		for j, ne := 0, d.len(); j < ne && d.err == nil; j++ {
			q.Examples = append(q.Examples, audit.BadLine{Line: d.count(), Reason: d.str()})
		}
		if d.err == nil {
			out.addFile(f, q)
		}
	}
	for i, nc := 0, d.len(); i < nc && d.err == nil; i++ {
		k := aggFlowKey{flow: d.str(), day: d.day()}
		c := d.cell()
		if d.err == nil {
			if _, dup := out.flows[k]; dup {
				d.fail("duplicate flow-day")
			}
			out.flows[k] = c
		}
	}
	for i, nc := 0, d.len(); i < nc && d.err == nil; i++ {
		var k aggUnmatchedKey
		k.kind = d.byte()
		if k.kind > aggKeyHost {
			d.fail("bad key kind")
		}
		k.key, k.country, k.day = d.str(), d.str(), d.day()
		c := d.cell()
		if d.err == nil {
			if _, dup := out.unmatched[k]; dup {
				d.fail("duplicate unmatched group")
			}
			out.unmatched[k] = c
		}
	}
	if d.err == nil && len(d.b) != 0 {
		d.fail("trailing bytes")
	}
	if d.err != nil {
		return d.err
	}
	*a = *out
	return nil
}

type aggDecoder struct {
	b       []byte
	err     error
	bound   int
	version uint64
}

func (d *aggDecoder) fail(msg string) {
	if d.err == nil {
		d.err = errors.New("aggregate: " + msg)
	}
	d.b = nil
}

func (d *aggDecoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("truncated or bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *aggDecoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("truncated or bad varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a non-negative int64.
func (d *aggDecoder) count() int64 {
	v := d.uvarint()
	if v > math.MaxInt64 {
		d.fail("count out of range")
		return 0
	}
	return int64(v)
}

// len reads an element count, which cannot exceed the bytes left (every
// element takes at least one byte), so corrupt counts cannot allocate.
func (d *aggDecoder) len() int {
	v := d.uvarint()
	if v > uint64(len(d.b)) {
		d.fail("count exceeds data")
		return 0
	}
	return int(v)
}

func (d *aggDecoder) day() int32 {
	v := d.varint()
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail("day out of range")
		return 0
	}
	return int32(v)
}

func (d *aggDecoder) byte() byte {
	if len(d.b) == 0 {
		d.fail("truncated")
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *aggDecoder) str() string {
	n := d.len()
	if d.err != nil {
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *aggDecoder) set() aggSet {
	n := d.len()
	var s aggSet
	for i := 0; i < n && d.err == nil; i++ {
		s.add(d.str())
	}
	if len(s) != n && d.err == nil {
		d.fail("duplicate set member")
	}
	return s
}

func (d *aggDecoder) cell() *aggCell {
	c := &aggCell{}
	c.records, c.batchSubjects, c.withoutConsent, c.bytes = d.count(), d.count(), d.count(), d.count()
	if d.version >= 2 {
		c.withdrawnConsent = d.count()
		for i, n := 0, d.len(); i < n && d.err == nil; i++ {
			x := consentExample{kind: d.byte(), ts: d.varint()}
			if len(d.b) < 8 {
				d.fail("truncated")
				break
			}
			x.subject = binary.BigEndian.Uint64(d.b)
			d.b = d.b[8:]
			x.hint = d.str()
			if x.kind != consentWithout && x.kind != consentWithdrawn {
				d.fail("bad consent example kind")
			}
			c.consentExamples = append(c.consentExamples, x)
		}
		if d.err == nil && !consentCanonicalExamples(c.consentExamples) {
			d.fail("consent examples not canonical")
		}
	}
	c.items, c.countries, c.hosts, c.protections, c.tls = d.set(), d.set(), d.set(), d.set(), d.set()
	switch d.byte() {
	case 0:
		n := d.len()
		if n > d.bound {
			d.fail("exact subject set exceeds the bound")
		}
		var h uint64
		for i := 0; i < n && d.err == nil; i++ {
			delta := d.uvarint()
			if (i > 0 && delta == 0) || h+delta < h {
				d.fail("subject hashes not strictly increasing")
			}
			h += delta
			c.distinct.set.add(h)
		}
	case 1:
		if d.byte() != aggPrecision {
			d.fail("unsupported sketch precision")
			return c
		}
		const m = 1 << aggPrecision
		if len(d.b) < m/2 {
			d.fail("truncated sketch")
			return c
		}
		raw := make([]byte, 8+m)
		raw[0], raw[1] = 2, aggPrecision // library format v2, dense
		binary.BigEndian.PutUint32(raw[4:8], m)
		regs := raw[8:]
		for i, b := range d.b[:m/2] {
			regs[2*i], regs[2*i+1] = b>>4, b&15
		}
		d.b = d.b[m/2:]
		ne := d.len()
		if d.err == nil && ne != bytes.Count(regs, []byte{15}) {
			d.fail("sketch exceptions do not match registers")
		}
		idx := 0
		for i := 0; i < ne && d.err == nil; i++ {
			delta := d.uvarint()
			if delta >= m || (i > 0 && delta == 0) {
				d.fail("bad sketch exception")
				break
			}
			idx += int(delta)
			v := d.byte()
			if idx >= m || regs[idx] != 15 || v < 15 {
				d.fail("bad sketch exception")
				break
			}
			regs[idx] = v
		}
		if d.err != nil {
			return c
		}
		sk := &hyperloglog.Sketch{}
		if err := sk.UnmarshalBinary(raw); err != nil {
			d.fail("bad sketch: " + err.Error())
			return c
		}
		c.distinct.sk = sk
	default:
		d.fail("bad distinct tag")
	}
	return c
}
