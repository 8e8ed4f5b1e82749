package cli

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"

	"github.com/xborder/xborder/collectors"
	"github.com/xborder/xborder/internal/audit"
	"github.com/xborder/xborder/internal/cache"
	"github.com/xborder/xborder/policies"
)

// The check cache. Judging 500 manifests costs about 200 ms of CPU (120 ms
// on two cores) decoding YAML, compiling the Rego pack and evaluating it,
// fifteen times the start of the process; an unchanged set of manifests (a second output format in the
// same CI job, a re-run, a commit that touched no manifest, an edit of the
// waivers or the baseline) need not pay it again. What a check computes
// before waivers, baselines and --changed-only apply is a function of the
// binary, the policies and data, the parameters, the evaluation date and
// the bytes of the manifests, so it is filed under a key of exactly those
// (checkCacheKey) and rendered afresh each time, with this run's clock.
//
// Whatever the cache does wrong (no directory, a damaged entry, a full
// disk) is a miss: the check then runs as if there were no cache, and a
// cached result is never different from a computed one
// (TestCheckCacheHitEqualsMiss).

// checkCacheNamespace names the cached payload (checkEntry) and its encoding:
// change it whenever either changes.
const checkCacheNamespace = "xborder check result v1"

// checkResult is what a check computes before waivers, baselines and
// --changed-only: the manifests, the rules and every finding of the rules
// that need no logs.
type checkResult struct {
	manifests    *audit.Manifests
	rules        []audit.Rule
	policyDigest string
	findings     []audit.Finding
	notEvaluated []string
}

// checkEntry is a checkResult as filed in the cache. The manifests go
// without the field locations (the findings are already located), the
// findings as JSON (their evidence holds any JSON value, which gob does not
// encode), decoded with json.Number as the policy engine returns numbers.
type checkEntry struct {
	PolicyDigest string
	Rules        []audit.Rule
	Manifests    *audit.Manifests // with its warnings: gob ignores json:"-"
	NotEvaluated []string
	Findings     []byte
}

// encodeCheckResult serialises a result for the cache.
func encodeCheckResult(r *checkResult) ([]byte, error) {
	findings, err := json.Marshal(r.findings)
	if err != nil {
		return nil, err
	}
	m := *r.manifests
	m.Organization = withoutFields(m.Organization)
	m.Recipients = slices.Clone(m.Recipients)
	for i := range m.Recipients {
		m.Recipients[i].Fields = nil
	}
	m.Flows = slices.Clone(m.Flows)
	for i := range m.Flows {
		m.Flows[i].Fields = nil
	}
	var buf bytes.Buffer
	err = gob.NewEncoder(&buf).Encode(checkEntry{
		PolicyDigest: r.policyDigest,
		Rules:        r.rules,
		Manifests:    &m,
		NotEvaluated: r.notEvaluated,
		Findings:     findings,
	})
	return buf.Bytes(), err
}

func withoutFields(o *audit.Organization) *audit.Organization {
	if o == nil {
		return nil
	}
	c := *o
	c.Fields = nil
	return &c
}

// decodeCheckResult reads a cached result back, as the check computed it.
func decodeCheckResult(b []byte) (*checkResult, error) {
	var ent checkEntry
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&ent); err != nil {
		return nil, err
	}
	if ent.Manifests == nil {
		return nil, errors.New("cached check result without manifests")
	}
	dec := json.NewDecoder(bytes.NewReader(ent.Findings))
	dec.UseNumber()
	var findings []audit.Finding
	if err := dec.Decode(&findings); err != nil {
		return nil, err
	}
	for i := range findings { // gob and JSON drop what encoding/json keeps empty
		if findings[i].Evidence == nil {
			findings[i].Evidence = map[string]any{}
		}
	}
	m := ent.Manifests
	if m.Recipients == nil {
		m.Recipients = []audit.Recipient{}
	}
	if m.Flows == nil {
		m.Flows = []audit.DataFlow{}
	}
	return &checkResult{
		manifests:    m,
		rules:        ent.Rules,
		policyDigest: ent.PolicyDigest,
		findings:     findings,
		notEvaluated: ent.NotEvaluated,
	}, nil
}

// checkCacheKey is the key of a check's result: the namespace, this binary
// (its version, path, size, modification time and, where the system has
// them, inode and change time, which no copy preserves: a rebuilt or
// replaced binary is another binary, whatever its version says), the
// working directory, the evaluation date, the paths as given and every file
// under them the loader reads, the user's policy and data files as the
// engine reads them, and the parameters. It fails when any of them cannot
// be read; the caller then does not cache.
func checkCacheKey(f *checkFlags, cfg *config, paths []string, asOf string) (string, error) {
	k := cache.NewKey(checkCacheNamespace)
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(exe)
	if err != nil {
		return "", err
	}
	wd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	k.Add("binary", version, runtime.Version(), exe, strconv.FormatInt(fi.Size(), 10), strconv.FormatInt(fi.ModTime().UnixNano(), 10), fileIdentity(fi))
	k.Add("wd", wd, "as-of", asOf)
	k.Add("paths", strconv.Itoa(len(paths)))
	k.Add(paths...)
	sources, err := policies.SourcesDigest(f.policyDirs, f.dataDirs)
	if err != nil {
		return "", err
	}
	k.Add("policies and data", sources)
	params, err := json.Marshal(cfg.Params) // map keys come out sorted
	if err != nil {
		return "", err
	}
	k.Add("params", string(params))
	manifests, err := collectors.ManifestLoader{}.Digest(paths...)
	if err != nil {
		return "", err
	}
	k.Add("manifests", manifests)
	return k.Sum(), nil
}

// checkCache opens the cache a check uses, or returns nil when it is
// turned off or cannot be opened. A directory the user named that cannot
// be opened is worth a warning; the default one is not (a home directory
// that is read-only, as in some CI sandboxes, is no reason to speak).
func checkCache(e *env, f *checkFlags) *cache.Cache {
	if f.noCache {
		return nil
	}
	dir := f.cacheDir
	if dir == "" {
		dir = defaultCacheDir(e.getenv)
	}
	if dir == "" {
		return nil
	}
	c, err := cache.Open(dir)
	if err != nil {
		if f.cacheDir != "" {
			fmt.Fprintf(e.stderr, "warning: %v; checking without a cache\n", err)
		}
		return nil
	}
	return c
}

// defaultCacheDir is os.UserCacheDir()/xborder, read through getenv so that
// tests decide what the environment holds: $XDG_CACHE_HOME or ~/.cache on
// Unix, ~/Library/Caches on macOS, %LocalAppData% on Windows; "" when the
// environment names none.
func defaultCacheDir(getenv func(string) string) string {
	var base string
	switch runtime.GOOS {
	case "windows":
		base = getenv("LocalAppData")
	case "darwin", "ios":
		if h := getenv("HOME"); h != "" {
			base = filepath.Join(h, "Library", "Caches")
		}
	default:
		base = getenv("XDG_CACHE_HOME")
		if !filepath.IsAbs(base) {
			base = ""
			if h := getenv("HOME"); filepath.IsAbs(h) {
				base = filepath.Join(h, ".cache")
			}
		}
	}
	if base == "" {
		return ""
	}
	return filepath.Join(base, "xborder")
}

// cachedCheck looks a check's result up; nil when it is not there.
func cachedCheck(c *cache.Cache, key string) *checkResult {
	if c == nil || key == "" {
		return nil
	}
	b, ok := c.Get(key)
	if !ok {
		return nil
	}
	r, err := decodeCheckResult(b)
	if err != nil {
		return nil // an entry of another shape: recomputed and replaced
	}
	return r
}

// storeCheck files a computed result and returns it as a later check will
// read it back (decoded from the same bytes), so that this run prints
// exactly what the next one will. The result is filed only when the key,
// computed again now, is unchanged: a manifest or policy edited while the
// check ran must not file the new result under the old contents. A failure
// to file costs the next run only the time this one took, and is worth a
// warning only for a directory the user named.
func storeCheck(e *env, f *checkFlags, cfg *config, paths []string, asOf string, c *cache.Cache, key string, r *checkResult) *checkResult {
	if c == nil || key == "" {
		return r
	}
	b, err := encodeCheckResult(r)
	if err != nil {
		return r
	}
	if again, err := checkCacheKey(f, cfg, paths, asOf); err == nil && again == key {
		if err := c.Put(key, b); err != nil && f.cacheDir != "" {
			fmt.Fprintf(e.stderr, "warning: %v; the next check will not find this one's result\n", err)
		}
	}
	if back, err := decodeCheckResult(b); err == nil {
		return back
	}
	return r
}
