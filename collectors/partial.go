package collectors

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/xborder/xborder/internal/audit"
)

// PartialExt is the file extension of a partial result: `xborder audit
// --partials DIR` reads the files of DIR that end with it.
const PartialExt = ".xbpart"

// Partial is a mergeable part of an audit's log reading, what `xborder
// collect` writes: the Aggregate of some of the logs (observations with
// their subject sketches, unmatched traffic, bad-line accounting and the
// digest of every log file read), the digest of the manifest set the
// records were matched against, and the other inputs that shaped it (a log
// mapping). A batch engine shards the logs by day or by file, runs collect
// on each shard, and one audit merges the partials: the result is exactly
// that of one run over all the logs, because Aggregate.Merge is exact.
type Partial struct {
	// Tool is the version of xborder that wrote the partial.
	Tool string
	// Manifests is ManifestDigest of the manifest set used for matching:
	// partials matched against different manifests do not merge.
	Manifests string
	// Inputs are inputs other than the logs that shaped the aggregate (the
	// log mapping), sorted by path.
	Inputs []audit.InputFile
	// Aggregate is what was read.
	Aggregate *Aggregate
}

// ManifestDigest is the digest of a manifest set as matching sees it: the
// SHA-256 of the sorted SHA-256 digests of its files' contents. Paths are
// left out so that the same manifests checked out in different places (on
// the machines of a batch job) agree; any change to any manifest changes it.
func ManifestDigest(m *audit.Manifests) string {
	var sums []string
	if m != nil {
		for _, f := range m.Files {
			sums = append(sums, f.SHA256)
		}
	}
	slices.Sort(sums)
	h := sha256.New()
	for _, s := range sums {
		h.Write([]byte(s))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Partial encoding (version 1):
//
//	"XBPART" version:uvarint tool manifests inputs:n{ path sha256 kind size:varint } aggregate sha256(all before):32 bytes
//
// strings are len:uvarint bytes; the aggregate is its MarshalBinary, length
// first. The trailing digest catches truncation and corruption.
const (
	partialMagic   = "XBPART"
	partialVersion = 1
)

// MarshalBinary encodes the partial canonically: equal partials give equal
// bytes.
func (p *Partial) MarshalBinary() ([]byte, error) {
	if p.Aggregate == nil {
		return nil, errors.New("partial: no aggregate")
	}
	agg, err := p.Aggregate.MarshalBinary()
	if err != nil {
		return nil, err
	}
	e := aggEncoder{b: append(make([]byte, 0, len(agg)+256), partialMagic...)}
	e.uvarint(partialVersion)
	e.str(p.Tool)
	e.str(p.Manifests)
	inputs := slices.Clone(p.Inputs)
	slices.SortFunc(inputs, func(a, b audit.InputFile) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.SHA256, b.SHA256))
	})
	e.uvarint(uint64(len(inputs)))
	for _, f := range inputs {
		e.str(f.Path)
		e.str(f.SHA256)
		e.str(f.Kind)
		e.b = binary.AppendVarint(e.b, f.Size)
	}
	e.uvarint(uint64(len(agg)))
	e.b = append(e.b, agg...)
	sum := sha256.Sum256(e.b)
	return append(e.b, sum[:]...), nil
}

// UnmarshalPartial decodes a partial. opt gives the item taxonomy of the
// decoded aggregate. Corrupt, truncated or foreign data is an error.
func UnmarshalPartial(data []byte, opt LogOptions) (*Partial, error) {
	if !bytes.HasPrefix(data, []byte(partialMagic)) {
		return nil, errors.New("not an xborder partial (collect writes them)")
	}
	if len(data) < len(partialMagic)+sha256.Size {
		return nil, errors.New("partial: truncated")
	}
	body, sum := data[:len(data)-sha256.Size], data[len(data)-sha256.Size:]
	d := aggDecoder{b: body[len(partialMagic):]}
	if v := d.uvarint(); d.err == nil && v != partialVersion {
		return nil, fmt.Errorf("partial: unsupported version %d (this xborder reads version %d)", v, partialVersion)
	}
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return nil, errors.New("partial: checksum mismatch (truncated or corrupt)")
	}
	p := &Partial{Tool: d.str(), Manifests: d.str()}
	for i, n := 0, d.len(); i < n && d.err == nil; i++ {
		f := audit.InputFile{Path: d.str(), SHA256: d.str(), Kind: d.str(), Size: d.varint()}
		p.Inputs = append(p.Inputs, f)
	}
	n := d.len()
	if d.err != nil {
		return nil, errors.New(strings.Replace(d.err.Error(), "aggregate: ", "partial: ", 1))
	}
	raw := d.b[:n]
	if len(d.b) != n {
		return nil, errors.New("partial: trailing bytes")
	}
	agg := NewAggregate(opt)
	if err := agg.UnmarshalBinary(raw); err != nil {
		return nil, fmt.Errorf("partial: %w", err)
	}
	p.Aggregate = agg
	return p, nil
}

// ReadPartials reads the partials under paths (files, or directories whose
// *.xbpart files are read, sorted by path) and merges them into one
// Aggregate with opt's taxonomy and exact-subject bound. It also returns
// the inputs other than logs that the partials recorded, without
// duplicates.
//
// It refuses, as audit.InputErrors listing every problem: a file that is
// not a readable partial; a partial matched against another manifest set
// than m (merging would mix flows of different declarations); a partial
// counted with another exact-subject bound; and a log file (same path and
// digest) present in two partials, which would count its records twice.
func ReadPartials(paths []string, m *audit.Manifests, opt LogOptions) (*Aggregate, []audit.InputFile, error) {
	opt = opt.withDefaults()
	var errs audit.InputErrors
	var files []string
	seen := map[string]bool{}
	add := func(p string) {
		if p = filepath.Clean(p); !seen[p] {
			seen[p] = true
			files = append(files, p)
		}
	}
	for _, root := range paths {
		st, err := os.Stat(root)
		if err != nil {
			errs.Add(filepath.ToSlash(root), 0, 0, "", "%s", logErrText(err))
			continue
		}
		if !st.IsDir() {
			add(root)
			continue
		}
		err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			switch {
			case err != nil:
				errs.Add(filepath.ToSlash(p), 0, 0, "", "%s", logErrText(err))
			case p != root && d.IsDir() && strings.HasPrefix(d.Name(), "."):
				return filepath.SkipDir
			case !d.IsDir() && strings.HasSuffix(d.Name(), PartialExt) && !strings.HasPrefix(d.Name(), "."):
				add(p)
			}
			return nil
		})
		if err != nil {
			errs.Add(filepath.ToSlash(root), 0, 0, "", "%s", logErrText(err))
		}
	}
	slices.Sort(files)
	want := ManifestDigest(m)
	out := NewAggregate(opt)
	var inputs []audit.InputFile
	owner := map[aggFileKey]string{} // log file → the partial that read it
	for _, p := range files {
		name := filepath.ToSlash(p)
		data, err := os.ReadFile(p)
		if err != nil {
			errs.Add(name, 0, 0, "", "%s", logErrText(err))
			continue
		}
		part, err := UnmarshalPartial(data, opt)
		if err != nil {
			errs.Add(name, 0, 0, "", "%v", err)
			continue
		}
		if part.Manifests != want {
			errs.Add(name, 0, 0, "", "collected against other manifests (digest %.12s…, these manifests %.12s…): collect every part with the audit's manifests", part.Manifests, want)
			continue
		}
		if part.Aggregate.bound != out.bound {
			errs.Add(name, 0, 0, "", "collected with an exact-subject bound of %d, this run uses %d", part.Aggregate.bound, out.bound)
			continue
		}
		type overlap struct {
			n     int
			first string
		}
		dups := map[string]*overlap{} // other partial → the logs both read
		for _, f := range part.Aggregate.sortedFiles() {
			k := aggFileKey{f.file.Path, f.file.SHA256}
			if other, ok := owner[k]; ok {
				if dups[other] == nil {
					dups[other] = &overlap{first: f.file.Path}
				}
				dups[other].n++
				continue
			}
			owner[k] = name
		}
		for other, o := range dups {
			errs.Add(name, 0, 0, "", "%d of its logs were also read by %s (first: %s): each log file must be in one partial only", o.n, other, o.first)
		}
		if len(dups) > 0 {
			continue
		}
		out.Merge(part.Aggregate)
		for _, in := range part.Inputs {
			if !slices.Contains(inputs, in) {
				inputs = append(inputs, in)
			}
		}
	}
	if len(files) == 0 && len(errs) == 0 {
		errs.Add(strings.Join(paths, ", "), 0, 0, "", "no partial (*%s) found", PartialExt)
	}
	if err := errs.Err(); err != nil {
		return nil, nil, err
	}
	slices.SortFunc(inputs, func(a, b audit.InputFile) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.SHA256, b.SHA256))
	})
	return out, inputs, nil
}
