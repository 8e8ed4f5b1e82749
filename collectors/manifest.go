package collectors

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/yamltext"
)

// MaxManifestBytes is the largest manifest file read (8 MiB). Real manifest
// files are a few kilobytes; the limit keeps a mistaken or hostile path (a
// log, a dump) from exhausting memory before decoding even starts.
const MaxManifestBytes = 8 << 20

// MaxManifestDepth is how deeply a manifest document may nest mappings and
// lists (counting YAML alias expansion). The schema needs 5 levels; the
// limit rejects pathological documents before they are walked.
const MaxManifestDepth = 64

const (
	// mfMaxAliasNodes bounds how many nodes YAML aliases may add to one
	// document when expanded: enough for any sharing of defaults through
	// anchors, far too few for a "billion laughs" document.
	mfMaxAliasNodes = 100_000
	// mfMaxErrorsPerFile stops reporting one file after this many errors:
	// a file that wrong is not a manifest, and the list must stay readable.
	mfMaxErrorsPerFile = 200
	// mfMaxElements bounds one list or mapping in a manifest.
	mfMaxElements = 10_000
	// mfKindManifest is the audit.InputFile kind of manifest files.
	mfKindManifest = "manifest"
)

// mfBuiltinPurposes is the purpose vocabulary of the built-in policy data
// (policies/data/purposes.json; a test keeps the two in step). Collectors do
// not import policies, so the vocabulary is repeated here and can be
// replaced through ManifestLoader.Purposes when the user extends it.
var mfBuiltinPurposes = []string{
	"analytics",
	"credit_scoring",
	"customer_support",
	"delivery",
	"fraud_prevention",
	"identity_verification",
	"marketing",
	"matching",
	"model_training",
	"nsf_scoring",
	"payment_processing",
	"public_archiving",
	"remittance",
	"risk_scoring",
	"scientific_research",
	"settlement",
	"statistics",
	"storage",
}

// ManifestPurposes returns the built-in purpose vocabulary: the purposes
// the embedded policy data knows. A flow declaring another purpose loads
// with a warning, since the rules cannot tell which items it needs.
func ManifestPurposes() []string { return slices.Clone(mfBuiltinPurposes) }

// ManifestLoader loads manifest sets. The zero value is ready to use and
// judges purposes against ManifestPurposes; set Purposes when the user's
// policy data (--data) extends the vocabulary.
type ManifestLoader struct {
	// Purposes is the purpose vocabulary; nil means ManifestPurposes().
	Purposes []string
}

// LoadManifests walks the given files or directories (*.yaml, *.yml,
// recursively, sorted, symlinks to files followed but loops detected),
// decodes every `xborder/v1` document (several per file separated by ---),
// validates them and returns the manifest set. Input problems are returned
// together as audit.InputErrors (sorted), never one at a time.
func LoadManifests(paths ...string) (*audit.Manifests, error) {
	return ManifestLoader{}.Load(paths...)
}

// Load is LoadManifests with the loader's purpose vocabulary.
func (l ManifestLoader) Load(paths ...string) (*audit.Manifests, error) {
	s := newMfSet(l.Purposes)
	if len(paths) == 0 {
		s.errs.Add(".", 0, 0, "", "no manifest paths given")
		return nil, s.errs.Err()
	}
	w := s.walk(paths)
	s.walked = w.walked
	s.loadFiles(w.files)
	return s.finish(mfDisplayPath(paths[0]))
}

// Digest identifies what Load would read under paths without decoding it:
// the loader's purpose vocabulary, then every file the walk lists (in
// order, by the path findings would show, whether it was named or found by
// walking) with the SHA-256 of its contents. Two loads with the same digest
// read the same bytes under the same names and so return the same set or
// the same errors. It fails when the walk or a read does (Load then
// reports the problem, located): a caller keying a cache on it simply does
// not cache. It reads each file once, about 1 ms for 500 manifests.
func (l ManifestLoader) Digest(paths ...string) (string, error) {
	s := newMfSet(l.Purposes)
	if len(paths) == 0 {
		return "", errors.New("no manifest paths given")
	}
	w := s.walk(paths)
	if err := s.errs.Err(); err != nil {
		return "", err
	}
	h := sha256.New()
	field := func(s string) { fmt.Fprintf(h, "%d:%s;", len(s), s) }
	field("xborder manifest set v1")
	for _, p := range s.purposeIDs {
		field(p)
	}
	field("files")
	for _, p := range w.files {
		field(mfDisplayPath(p))
		field(strconv.FormatBool(w.walked[p]))
		sum, err := s.fileDigest(p)
		if err != nil {
			return "", err
		}
		field(sum)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// fileDigest is the SHA-256 of a file as loadFile would read it.
func (s *mfSet) fileDigest(p string) (string, error) {
	f, err := s.open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if n, err := io.Copy(h, io.LimitReader(f, MaxManifestBytes+1)); err != nil {
		return "", err
	} else if n > MaxManifestBytes {
		return "", fmt.Errorf("%s: larger than %d bytes", p, MaxManifestBytes)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// loadFiles reads and decodes the files, several at once when there are
// cores to spare (YAML parsing is most of a load): each file is decoded
// into a set of its own, largest files first, and the sets are merged in
// file order, so that the result is the same as reading them one by one.
func (s *mfSet) loadFiles(files []string) {
	workers := min(runtime.GOMAXPROCS(0), len(files))
	if workers <= 1 {
		for _, f := range files {
			s.loadFile(f)
		}
		return
	}
	sizes := make([]int64, len(files))
	order := make([]int, len(files))
	for i, f := range files {
		if fi, err := os.Stat(f); err == nil {
			sizes[i] = fi.Size()
		}
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(sizes[b], sizes[a]) })
	parts := make([]*mfSet, len(files))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				n := int(next.Add(1)) - 1
				if n >= len(order) {
					return
				}
				i := order[n]
				parts[i] = s.child()
				parts[i].loadFile(files[i])
			}
		})
	}
	wg.Wait()
	for _, c := range parts {
		s.merge(c)
	}
}

// child is an empty set with s's vocabulary, to decode one file into.
func (s *mfSet) child() *mfSet {
	return &mfSet{purposes: s.purposes, purposeIDs: s.purposeIDs, open: s.open, walked: s.walked}
}

// merge adds what a child set decoded.
func (s *mfSet) merge(c *mfSet) {
	s.errs = append(s.errs, c.errs...)
	s.warns = append(s.warns, c.warns...)
	s.orgs = append(s.orgs, c.orgs...)
	s.recipients = append(s.recipients, c.recipients...)
	s.flows = append(s.flows, c.flows...)
	s.files = append(s.files, c.files...)
	s.incomplete = s.incomplete || c.incomplete
}

// mfSet accumulates the documents of every file of one load, then checks
// what only the whole set can tell (references, duplicates, one
// Organization).
type mfSet struct {
	purposes   map[string]bool
	purposeIDs []string // sorted, for suggestions
	errs       audit.InputErrors
	warns      audit.InputErrors
	orgs       []*audit.Organization
	recipients []audit.Recipient
	flows      []audit.DataFlow
	files      []audit.InputFile

	// fileErrs counts the errors of the file being decoded; stopped is set
	// when it reaches mfMaxErrorsPerFile.
	fileErrs int
	stopped  bool
	// incomplete is set when a file or a document could not be decoded at
	// all: the set may lack objects, so "no Organization" would be a guess.
	incomplete bool

	// open opens a manifest file; tests replace it to simulate read errors.
	open func(name string) (io.ReadCloser, error)
	// walked holds the files found by walking a directory (read-only while
	// files load). Such a file is a manifest only when it says so (see
	// mfClaimsManifest); a file named on the command line always is.
	walked map[string]bool
}

func newMfSet(purposes []string) *mfSet {
	if purposes == nil {
		purposes = mfBuiltinPurposes
	}
	s := &mfSet{
		purposes:   make(map[string]bool, len(purposes)),
		purposeIDs: slices.Sorted(slices.Values(purposes)),
		open:       func(name string) (io.ReadCloser, error) { return os.Open(name) },
	}
	for _, p := range purposes {
		s.purposes[p] = true
	}
	return s
}

// addErr records an input problem of the file being decoded, up to
// mfMaxErrorsPerFile of them.
func (s *mfSet) addErr(file string, line, col int, field, format string, args ...any) {
	s.fileErrs++
	switch {
	case s.fileErrs < mfMaxErrorsPerFile:
		s.errs.Add(file, line, col, field, format, args...)
	case s.fileErrs == mfMaxErrorsPerFile:
		s.errs.Add(file, line, col, "", "too many errors (%d) in this file; the rest of it was not checked", mfMaxErrorsPerFile)
		s.stopped = true
	}
}

// mfDisplayPath is how a path is shown: cleaned, with forward slashes.
func mfDisplayPath(p string) string { return filepath.ToSlash(filepath.Clean(p)) }

// mfIsYAML reports whether a file name has a manifest extension.
func mfIsYAML(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

// mfPathProblem describes a file-system error without repeating the path
// (the InputError already names it).
func mfPathProblem(err error) string {
	switch {
	case errors.Is(err, syscall.ELOOP):
		return "symlink loop: the link resolves to itself"
	case errors.Is(err, fs.ErrNotExist):
		return "no such file or directory"
	case errors.Is(err, fs.ErrPermission):
		return "permission denied"
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	var le *os.LinkError
	if errors.As(err, &le) {
		return le.Err.Error()
	}
	return err.Error()
}

// mfWalker lists the manifest files under the paths of one load, in order,
// each once.
type mfWalker struct {
	s         *mfSet
	files     []string
	walked    map[string]bool // files found by walking a directory, not named
	seenFiles map[string]bool // real paths of files listed
	seenDirs  map[string]bool // real paths of directories walked
}

// walk lists the manifest files under paths, recording path problems in s:
// the one walk of Load and Digest, so that both see the same files.
func (s *mfSet) walk(paths []string) *mfWalker {
	w := &mfWalker{s: s, seenFiles: map[string]bool{}, seenDirs: map[string]bool{}, walked: map[string]bool{}}
	for _, p := range paths {
		w.root(p)
	}
	return w
}

// mfRealPath resolves symbolic links and makes the path absolute, so that
// one file or directory has one identity however it was reached.
func mfRealPath(p string) (string, error) {
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		return "", err
	}
	return filepath.Abs(r)
}

func (w *mfWalker) fail(p string, format string, args ...any) {
	w.s.errs.Add(mfDisplayPath(p), 0, 0, "", format, args...)
	w.s.incomplete = true
}

// root handles one path given by the user: a file is read whatever its
// extension, a directory is walked.
func (w *mfWalker) root(p string) {
	fi, err := os.Stat(p)
	if err != nil {
		w.fail(p, "%s", mfPathProblem(err))
		return
	}
	real, err := mfRealPath(p)
	if err != nil {
		w.fail(p, "%s", mfPathProblem(err))
		return
	}
	switch {
	case fi.IsDir():
		w.dir(p, real, nil)
	case fi.Mode().IsRegular():
		w.file(p, real, false)
	default:
		w.fail(p, "not a regular file or directory")
	}
}

func (w *mfWalker) file(p, real string, walked bool) {
	if w.walked == nil {
		w.walked = map[string]bool{}
	}
	if w.seenFiles[real] {
		if !walked { // named as well as walked: named wins, it is judged
			for i, f := range w.files {
				if w.walked[f] && w.real(f) == real {
					delete(w.walked, w.files[i])
				}
			}
		}
		return
	}
	w.seenFiles[real] = true
	w.files = append(w.files, p)
	if walked {
		w.walked[p] = true
	}
}

// real is the resolved path of a listed file ("" when it cannot be resolved).
func (w *mfWalker) real(p string) string {
	r, _ := mfRealPath(p)
	return r
}

// dir walks a directory in lexical order. ancestors holds the real paths
// of the directories being walked above it, to detect a link back up.
func (w *mfWalker) dir(p, real string, ancestors []string) {
	if w.seenDirs[real] {
		return
	}
	w.seenDirs[real] = true
	entries, err := os.ReadDir(p)
	if err != nil {
		w.fail(p, "cannot read directory: %s", mfPathProblem(err))
		return
	}
	ancestors = append(ancestors, real)
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		child := filepath.Join(p, name)
		childReal := filepath.Join(real, name)
		typ := e.Type()
		if typ&fs.ModeSymlink != 0 {
			fi, err := os.Stat(child)
			if err != nil {
				// A dangling link is reported only when it was meant to be
				// a manifest; a link that loops is always reported.
				if errors.Is(err, syscall.ELOOP) || mfIsYAML(name) {
					w.fail(child, "%s", mfPathProblem(err))
				}
				continue
			}
			if childReal, err = mfRealPath(child); err != nil {
				w.fail(child, "%s", mfPathProblem(err))
				continue
			}
			switch {
			case fi.IsDir():
				if slices.Contains(ancestors, childReal) {
					w.fail(child, "symlink loop: the link points to %s, a directory that contains it", mfDisplayPath(childReal))
					continue
				}
				w.dir(child, childReal, ancestors)
			case fi.Mode().IsRegular() && mfIsYAML(name):
				w.file(child, childReal, true)
			}
			continue
		}
		switch {
		case typ.IsDir():
			w.dir(child, childReal, ancestors)
		case typ.IsRegular() && mfIsYAML(name):
			w.file(child, childReal, true)
		}
	}
}

// loadFile reads one manifest file, refusing files above MaxManifestBytes
// before reading them, and decodes it.
func (s *mfSet) loadFile(p string) {
	file := mfDisplayPath(p)
	f, err := s.open(p)
	if err != nil {
		s.incomplete = true
		s.errs.Add(file, 0, 0, "", "cannot read file: %s", mfPathProblem(err))
		return
	}
	defer f.Close()
	if st, ok := f.(interface{ Stat() (os.FileInfo, error) }); ok {
		if fi, err := st.Stat(); err == nil && fi.Size() > MaxManifestBytes {
			s.incomplete = true
			s.errs.Add(file, 0, 0, "", "file is %d bytes, larger than the %d MiB limit for a manifest file", fi.Size(), MaxManifestBytes>>20)
			return
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, MaxManifestBytes+1))
	if err != nil {
		s.incomplete = true
		s.errs.Add(file, 0, 0, "", "cannot read file: %s", mfPathProblem(err))
		return
	}
	if s.walked[p] && !mfClaimsManifest(data) {
		return // a CI workflow, a compose file, xborder.yaml: not ours
	}
	s.decodeFile(file, data)
}

// mfClaimsKind matches a top-level `kind:` of one of the manifest kinds.
var mfClaimsKind = regexp.MustCompile(`(?m)^kind:[ \t]*["']?(Organization|Recipient|DataFlow)\b`)

// mfClaimsManifest reports whether a YAML file found by walking a directory
// says it holds xborder manifests: it names the xborder/ API or one of the
// manifest kinds. Repositories hold other YAML (CI workflows, compose files,
// xborder.yaml itself), which `xborder check` in the repository root must
// not judge; a manifest with a broken apiVersion still names its kind, so it
// is still checked, strictly.
// Text it cannot read as UTF-8 (UTF-16, binary) is judged too, so that an
// encoding mistake is an error rather than a manifest silently left out.
func mfClaimsManifest(data []byte) bool {
	return bytes.Contains(data, []byte("xborder/")) || mfClaimsKind.Match(data) ||
		!utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0
}

// decodeFile decodes every document of one file's contents. It is the
// fuzzed entry point: whatever data holds, it records errors and returns.
func (s *mfSet) decodeFile(file string, data []byte) {
	s.fileErrs, s.stopped = 0, false
	if len(data) > MaxManifestBytes {
		s.incomplete = true
		s.addErr(file, 0, 0, "", "file is larger than the %d MiB limit for a manifest file", MaxManifestBytes>>20)
		return
	}
	sum := sha256.Sum256(data)
	s.files = append(s.files, audit.InputFile{Path: file, SHA256: hex.EncodeToString(sum[:]), Kind: mfKindManifest, Size: int64(len(data))})

	for doc, err := range yamltext.Documents(data) {
		if err != nil {
			s.incomplete = true
			s.addErr(file, err.Line, err.Col, "", "%v", err)
			return
		}
		s.decodeDocumentSafely(file, doc)
		if s.stopped {
			return
		}
	}
}

func (s *mfSet) decodeDocumentSafely(file string, doc *yaml.Node) {
	defer func() {
		if r := recover(); r != nil {
			s.addErr(file, doc.Line, doc.Column, "", "internal error decoding this document, please report it: %v", r)
		}
	}()
	s.decodeDocument(file, doc)
}

// mfMeasure walks a document once, following aliases with memoisation, to
// learn its nesting depth and how many nodes its aliases add, and to find
// aliases that contain themselves, before the schema walk follows them.
type mfMeasure struct {
	memo    map[*yaml.Node]mfSize
	active  map[*yaml.Node]bool
	cycle   *yaml.Node // an alias that refers to a node containing it
	biggest *yaml.Node // the alias that expands to the most nodes
	bigSize int64
}

type mfSize struct {
	nodes  int64 // nodes after alias expansion, saturated
	height int   // nesting levels of mappings and lists
}

const mfSaturate = int64(1) << 40

func (m *mfMeasure) of(n *yaml.Node) mfSize {
	if r, ok := m.memo[n]; ok {
		return r
	}
	if m.active[n] {
		return mfSize{nodes: 1}
	}
	m.active[n] = true
	var r mfSize
	switch n.Kind {
	case yaml.AliasNode:
		switch {
		case n.Alias == nil:
			r = mfSize{nodes: 1}
		case m.active[n.Alias]:
			if m.cycle == nil {
				m.cycle = n
			}
			r = mfSize{nodes: 1}
		default:
			r = m.of(n.Alias)
			if r.nodes > m.bigSize {
				m.biggest, m.bigSize = n, r.nodes
			}
		}
	default:
		for _, c := range n.Content {
			cs := m.of(c)
			r.nodes = min(r.nodes+cs.nodes, mfSaturate)
			r.height = max(r.height, cs.height)
		}
		r.nodes = min(r.nodes+1, mfSaturate)
		if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
			r.height++
		}
	}
	delete(m.active, n)
	m.memo[n] = r
	return r
}

// mfPlainHeight is the nesting height of a document without aliases (the
// usual case, measured without mfMeasure's bookkeeping); ok is false when
// the document has an alias.
func mfPlainHeight(n *yaml.Node) (height int, ok bool) {
	if n.Kind == yaml.AliasNode {
		return 0, false
	}
	for _, c := range n.Content {
		h, ok := mfPlainHeight(c)
		if !ok {
			return 0, false
		}
		height = max(height, h)
	}
	if n.Kind == yaml.MappingNode || n.Kind == yaml.SequenceNode {
		height++
	}
	return height, true
}

// mfResolve follows an alias to the node it names.
func mfResolve(n *yaml.Node) *yaml.Node {
	for i := 0; n.Kind == yaml.AliasNode && n.Alias != nil && i < 64; i++ {
		n = n.Alias
	}
	return n
}

// checkShape reports a document that is too deep, refers to itself or
// expands too much through aliases. It returns false when the document
// must not be walked.
func (s *mfSet) checkShape(file string, root *yaml.Node) bool {
	if h, ok := mfPlainHeight(root); ok && h <= MaxManifestDepth {
		return true // no aliases to expand or loop, not too deep
	}
	m := &mfMeasure{memo: map[*yaml.Node]mfSize{}, active: map[*yaml.Node]bool{}}
	size := m.of(root)
	if m.cycle != nil {
		s.addErr(file, m.cycle.Line, m.cycle.Column, "", "alias *%s refers to a node that contains it", m.cycle.Value)
		return false
	}
	if added := size.nodes - int64(len(m.memo)); added > mfMaxAliasNodes {
		at := cmp.Or(m.biggest, root)
		s.addErr(file, at.Line, at.Column, "", "YAML aliases expand this document by more than %d nodes (alias *%s alone to %d); refusing it", mfMaxAliasNodes, at.Value, m.bigSize)
		return false
	}
	if size.height > MaxManifestDepth {
		// Descend along the deepest path to the first node past the limit.
		written, n := root, root
		for level := 1; level <= MaxManifestDepth; level++ {
			h := m.memo[n].height
			for _, c := range n.Content {
				if m.memo[c].height == h-1 {
					written, n = c, mfResolve(c)
					break
				}
			}
		}
		s.addErr(file, written.Line, written.Column, "", "document is nested deeper than %d levels", MaxManifestDepth)
		return false
	}
	return true
}

// finish runs the checks that need the whole set and builds it.
func (s *mfSet) finish(firstPath string) (*audit.Manifests, error) {
	s.checkOrganizations(firstPath)
	recipients := s.checkNames(audit.KindRecipient, mfObjects(s.recipients, func(r *audit.Recipient) *audit.Object { return &r.Object }))
	flows := s.checkNames(audit.KindDataFlow, mfObjects(s.flows, func(f *audit.DataFlow) *audit.Object { return &f.Object }))
	s.checkFlows(recipients)
	if len(s.orgs) > 0 && s.orgs[0].PrivacyPolicy != nil {
		o, pp := s.orgs[0], s.orgs[0].PrivacyPolicy
		s.checkRefs(&o.Object, "spec.privacyPolicy.discloses", pp.Discloses, audit.KindDataFlow, flows)
		s.checkRefs(&o.Object, "spec.privacyPolicy.trustees", pp.Trustees, audit.KindRecipient, recipients)
	}
	if len(s.errs) > 0 {
		s.errs.Sort()
		s.errs = slices.CompactFunc(s.errs, func(a, b *audit.InputError) bool { return *a == *b })
		return nil, s.errs.Err()
	}
	s.warns.Sort()
	s.warns = slices.CompactFunc(s.warns, func(a, b *audit.InputError) bool { return *a == *b })
	m := &audit.Manifests{
		Organization: s.orgs[0],
		Recipients:   s.recipients,
		Flows:        s.flows,
		Files:        s.files,
		Warnings:     s.warns,
	}
	if m.Recipients == nil {
		m.Recipients = []audit.Recipient{}
	}
	if m.Flows == nil {
		m.Flows = []audit.DataFlow{}
	}
	slices.SortStableFunc(m.Recipients, func(a, b audit.Recipient) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortStableFunc(m.Flows, func(a, b audit.DataFlow) int { return cmp.Compare(a.Name, b.Name) })
	return m, nil
}

func mfObjects[T any](xs []T, obj func(*T) *audit.Object) []*audit.Object {
	out := make([]*audit.Object, len(xs))
	for i := range xs {
		out[i] = obj(&xs[i])
	}
	return out
}

// mfAt formats where an object or field was declared, for messages that
// point at another place.
func mfAt(src audit.Source) string { return fmt.Sprintf("%s:%d", src.File, src.Line) }

func (s *mfSet) errAtSource(src audit.Source, field, format string, args ...any) {
	s.errs.Add(src.File, src.Line, src.Col, field, format, args...)
}

// checkOrganizations insists on exactly one Organization.
func (s *mfSet) checkOrganizations(firstPath string) {
	if len(s.orgs) == 0 {
		if !s.incomplete {
			s.errs.Add(firstPath, 0, 0, "", "no Organization found; a manifest set declares exactly one (the audited controller)")
		}
		return
	}
	first := s.orgs[0]
	for _, o := range s.orgs[1:] {
		s.errAtSource(o.Source, "kind", "a second Organization (the first is %q at %s); a manifest set declares exactly one", first.Name, mfAt(first.Source))
	}
}

// checkNames reports duplicate names of one kind at the second
// declaration and returns the first object of each name.
func (s *mfSet) checkNames(kind string, objs []*audit.Object) map[string]*audit.Object {
	byName := make(map[string]*audit.Object, len(objs))
	for _, o := range objs {
		if o.Name == "" {
			continue
		}
		if first, ok := byName[o.Name]; ok {
			s.errAtSource(o.Locate("metadata.name"), "metadata.name", "duplicate %s name %q (first declared at %s)", kind, o.Name, mfAt(first.Locate("metadata.name")))
			continue
		}
		byName[o.Name] = o
	}
	return byName
}

// checkFlows checks each flow's recipient and that no two flows claim the
// same integration or endpoint host: the logs are matched on those, so a
// record would belong to two flows.
func (s *mfSet) checkFlows(recipients map[string]*audit.Object) {
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range recipients {
			if !yield(n) {
				return
			}
		}
	})
	integrations := map[string]*audit.DataFlow{}
	hosts := map[string]*audit.DataFlow{}
	for i := range s.flows {
		f := &s.flows[i]
		if f.Recipient != "" && recipients[f.Recipient] == nil {
			s.errAtSource(f.Locate("spec.recipient"), "spec.recipient", "%q names no Recipient%s", f.Recipient, mfSuggest(f.Recipient, names))
		}
		if f.Integration != "" {
			if first, ok := integrations[f.Integration]; ok {
				s.errAtSource(f.Locate("spec.integration"), "spec.integration", "integration %q is already the integration of DataFlow %q (%s); log records would match both", f.Integration, first.Name, mfAt(first.Locate("spec.integration")))
			} else {
				integrations[f.Integration] = f
			}
		}
		for j, h := range f.Endpoints {
			if h == "" {
				continue
			}
			field := fmt.Sprintf("spec.endpoints[%d]", j)
			key := strings.ToLower(h)
			first, ok := hosts[key]
			switch {
			case !ok:
				hosts[key] = f
			case first != f:
				s.errAtSource(f.Locate(field), field, "endpoint %q is already declared by DataFlow %q (%s); log records would match both", h, first.Name, mfAt(first.Locate("spec.endpoints")))
			}
		}
	}
}

// checkRefs checks that every name of a list field names an object of
// the given kind.
func (s *mfSet) checkRefs(o *audit.Object, path string, refs []string, kind string, objs map[string]*audit.Object) {
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range objs {
			if !yield(n) {
				return
			}
		}
	})
	for i, r := range refs {
		if r == "" || objs[r] != nil {
			continue
		}
		field := fmt.Sprintf("%s[%d]", path, i)
		s.errAtSource(o.Locate(field), field, "%q names no %s%s", r, kind, mfSuggest(r, names))
	}
}

// mfSuggest returns ` (did you mean "x"?)` for the candidate closest to
// word within an edit distance of 2, or "" when none is that close.
func mfSuggest(word string, candidates []string) string {
	if s := mfDidYouMean(word, candidates); s != "" {
		return " (" + s + ")"
	}
	return ""
}

// mfWant returns ` (want a, b or c)`, with `; did you mean "x"?` inside
// the parentheses when one of the allowed values is close to word.
func mfWant(word string, allowed []string) string {
	if s := mfDidYouMean(word, allowed); s != "" {
		return " (want " + mfOneOf(allowed) + "; " + s + ")"
	}
	return " (want " + mfOneOf(allowed) + ")"
}

// mfDidYouMean returns `did you mean "x"?` for the candidate closest to
// word within an edit distance of 2, or "".
func mfDidYouMean(word string, candidates []string) string {
	best, bestD := "", 3
	lw := strings.ToLower(word)
	for _, c := range candidates {
		d := mfEditDistance(lw, strings.ToLower(c))
		if c != word && d == 0 {
			d = 1 // a difference of case only is still a difference
		}
		if d < bestD && d < max(utf8.RuneCountInString(word), 2) {
			best, bestD = c, d
		}
	}
	if best == "" || best == word {
		return ""
	}
	return fmt.Sprintf("did you mean %q?", best)
}

// mfEditDistance is the Levenshtein distance between two strings, in
// characters. Inputs here are field names and short identifiers.
func mfEditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 256 || len(rb) > 256 {
		return max(len(ra), len(rb))
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
