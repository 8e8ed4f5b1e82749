package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/xborder/xborder/internal/cache"
)

// runID is the random part of a run id, the only thing two runs of one
// check at one clock may differ in, and sealContent the digest of an HTML
// report's content, which holds the run id.
var (
	runID       = regexp.MustCompile(`20240308T120000Z-[0-9a-f]{6}`)
	sealContent = regexp.MustCompile(`content=[0-9a-f]{64}`)
)

func sameRun(s string) string {
	return sealContent.ReplaceAllString(runID.ReplaceAllString(s, "RUNID"), "content=SEAL")
}

// cacheEntries lists the entry files of a cache directory.
func cacheEntries(t *testing.T, dir string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(dir, "??", "*-r"))
	if err != nil {
		t.Fatal(err)
	}
	return matches
}

// TestCheckCacheHitEqualsMiss is the cache's contract: for every case
// fixture and every format, a check answered from the cache prints exactly
// what the same check computed without a cache prints (byte for byte but
// the run id's random part), on stdout and stderr, with the same exit
// code; and the first cached run files exactly one entry that the second
// one reads.
func TestCheckCacheHitEqualsMiss(t *testing.T) {
	formats := []string{"text", "json", "sarif", "junit", "github", "markdown", "csv", "html"}
	// A set with a warning (an unknown purpose), which is printed again on a hit.
	warned := t.TempDir()
	copyDir(t, fixture("compliant", "manifests"), warned)
	b, err := os.ReadFile(filepath.Join(warned, "alipay-overseas-payment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(warned, "alipay-overseas-payment.yaml"), strings.Replace(string(b), "purposes: [settlement]", "purposes: [settlement, loyalty_points]", 1))
	for _, fx := range []string{"kakaopay-alipay", "compliant", "aliexpress-marketplace", "temu-processors", "compliant-marketplace", "compliant-foreign-controller", warned} {
		t.Run(filepath.Base(fx), func(t *testing.T) {
			dir := t.TempDir()
			manifests := fx
			if !filepath.IsAbs(fx) {
				manifests = fixture(fx, "manifests")
			}
			base := []string{"check", manifests, "--as-of", "2024-03-08", "--fail-on", "medium"}
			for i, format := range formats {
				args := append(append([]string{}, base...), "-f", format)
				cold := runCLI(t, append(args, "--no-cache")...)
				first := runCLIEnv(t, nil, append(args, "--cache-dir", dir)...)
				if i == 0 && len(cacheEntries(t, dir)) != 1 {
					t.Fatalf("after the first cached check: entries %v, want one", cacheEntries(t, dir))
				}
				second := runCLIEnv(t, nil, append(args, "--cache-dir", dir)...)
				for name, got := range map[string]result{"first (miss)": first, "second (hit)": second} {
					if got.code != cold.code {
						t.Errorf("%s %s: exit %d, want %d as without a cache", format, name, got.code, cold.code)
					}
					if diff := cmp.Diff(sameRun(cold.stdout), sameRun(got.stdout)); diff != "" {
						t.Errorf("%s %s: stdout differs from a check without a cache (-cold +cached):\n%s", format, name, diff)
					}
					if got.stderr != cold.stderr {
						t.Errorf("%s %s: stderr %q, want %q", format, name, got.stderr, cold.stderr)
					}
				}
			}
			if n := len(cacheEntries(t, dir)); n != 1 {
				t.Errorf("%d entries after %d formats of one check, want 1: the format is not part of the key", n, len(formats))
			}
			if fx == warned && !strings.Contains(runCLIEnv(t, nil, append(base, "--cache-dir", dir)...).stderr, `unknown purpose "loyalty_points"`) {
				t.Error("a hit lost the manifests' warning")
			}
		})
	}
}

// primeCache runs one check into a fresh cache directory and returns the
// directory and the path of its single entry.
func primeCache(t *testing.T, args ...string) (dir, entry string) {
	t.Helper()
	dir = t.TempDir()
	if res := runCLIEnv(t, nil, append(args, "--cache-dir", dir)...); res.code == ExitError {
		t.Fatalf("priming check: exit %d\n%s", res.code, res.stderr)
	}
	entries := cacheEntries(t, dir)
	if len(entries) != 1 {
		t.Fatalf("entries %v, want one", entries)
	}
	return dir, entries[0]
}

// TestCheckCacheIsRead proves the second check is answered by the entry,
// not recomputed: an entry rewritten (with a valid checksum) to carry
// another message is what the next check prints; once a manifest changes,
// the key changes and the real message is back.
func TestCheckCacheIsRead(t *testing.T) {
	work := t.TempDir()
	copyDir(t, fixture("kakaopay-alipay", "manifests"), work)
	args := []string{"check", work, "--as-of", "2024-03-08", "-f", "json"}
	dir, entry := primeCache(t, args...)

	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSuffix(filepath.Base(entry), "-r")
	b, ok := c.Get(key)
	if !ok {
		t.Fatal("primed entry not readable")
	}
	res, err := decodeCheckResult(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.findings) == 0 {
		t.Fatal("the Kakao Pay manifests gave no finding")
	}
	res.findings[0].Message = "FROM THE CACHE"
	b, err = encodeCheckResult(res)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Put(key, b); err != nil {
		t.Fatal(err)
	}
	if got := runCLIEnv(t, nil, append(args, "--cache-dir", dir)...); !strings.Contains(got.stdout, "FROM THE CACHE") {
		t.Fatalf("the check did not read its cached result:\n%s", got.stdout)
	}
	if got := runCLIEnv(t, nil, append(args, "--cache-dir", dir, "--no-cache")...); strings.Contains(got.stdout, "FROM THE CACHE") {
		t.Fatal("--no-cache read the cache")
	}

	// One byte of one manifest: another key, the computed result.
	name := filepath.Join(work, "alipay-nsf.yaml")
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := runCLIEnv(t, nil, append(args, "--cache-dir", dir)...); strings.Contains(got.stdout, "FROM THE CACHE") || got.code != ExitFindings {
		t.Fatalf("a changed manifest was answered from the cache (exit %d)", got.code)
	}
	if n := len(cacheEntries(t, dir)); n != 2 {
		t.Errorf("%d entries, want 2: one per state of the manifests", n)
	}
}

// TestCheckCacheDamagedEntry: an entry damaged on disk is a miss, the check
// prints what it computes, and the entry is written again whole.
func TestCheckCacheDamagedEntry(t *testing.T) {
	args := []string{"check", fixture("kakaopay-alipay", "manifests"), "--as-of", "2024-03-08", "-f", "json"}
	want := runCLI(t, append(args, "--no-cache")...)
	for name, damage := range map[string]func([]byte) []byte{
		"flipped byte": func(b []byte) []byte { b[len(b)/2] ^= 0xff; return b },
		"truncated":    func(b []byte) []byte { return b[:len(b)/3] },
		"empty":        func([]byte) []byte { return nil },
	} {
		t.Run(name, func(t *testing.T) {
			dir, entry := primeCache(t, args...)
			b, err := os.ReadFile(entry)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(entry, damage(bytes.Clone(b)), 0o600); err != nil {
				t.Fatal(err)
			}
			got := runCLIEnv(t, nil, append(args, "--cache-dir", dir)...)
			if got.code != want.code || sameRun(got.stdout) != sameRun(want.stdout) || got.stderr != want.stderr {
				t.Fatalf("with a damaged entry: exit %d, stderr %q; want the computed result (exit %d)", got.code, got.stderr, want.code)
			}
			again, err := os.ReadFile(entry)
			if err != nil || !bytes.Equal(again, b) {
				t.Errorf("the damaged entry was not rewritten whole (%v)", err)
			}
		})
	}
}

// TestCheckCacheKey: every input of a check's result is part of its key,
// and nothing that is not (the format, the waivers, the baseline, the
// language) changes it.
func TestCheckCacheKey(t *testing.T) {
	work := t.TempDir()
	manifests := filepath.Join(work, "manifests")
	copyDir(t, fixture("kakaopay-alipay", "manifests"), manifests)
	policy := filepath.Join(work, "policy")
	if err := os.MkdirAll(policy, 0o755); err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(policy, "extra.rego"), "package xborder.rules.extra\n")
	t.Chdir(work)

	key := func(f checkFlags, params map[string]any, asOf string, paths ...string) string {
		t.Helper()
		k, err := checkCacheKey(&f, &config{Params: params}, paths, asOf)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	base := key(checkFlags{policyDirs: []string{policy}}, nil, "2024-03-08", "manifests")
	if again := key(checkFlags{policyDirs: []string{policy}, waivers: "w.yaml", baseline: "b.json", out: outputFlags{format: "sarif", lang: "ko"}}, nil, "2024-03-08", "manifests"); again != base {
		t.Error("the key depends on what is applied after the evaluation (format, waivers, baseline, language)")
	}
	seen := map[string]string{base: "base"}
	for _, c := range []struct {
		name   string
		change func() string
	}{
		{"evaluation date", func() string { return key(checkFlags{policyDirs: []string{policy}}, nil, "2024-03-09", "manifests") }},
		{"parameter", func() string {
			return key(checkFlags{policyDirs: []string{policy}}, map[string]any{"bulkSubjects": 1}, "2024-03-08", "manifests")
		}},
		{"no user policy", func() string { return key(checkFlags{}, nil, "2024-03-08", "manifests") }},
		{"data directory", func() string {
			return key(checkFlags{policyDirs: []string{policy}, dataDirs: []string{policy}}, nil, "2024-03-08", "manifests")
		}},
		{"paths as given", func() string {
			return key(checkFlags{policyDirs: []string{policy}}, nil, "2024-03-08", "manifests/")
		}},
		{"policy file", func() string {
			writeFile(t, filepath.Join(policy, "extra.rego"), "package xborder.rules.extra\n\n")
			return key(checkFlags{policyDirs: []string{policy}}, nil, "2024-03-08", "manifests")
		}},
		{"manifest byte", func() string {
			appendFile(t, filepath.Join(manifests, "alipay-nsf.yaml"), "\n")
			return key(checkFlags{policyDirs: []string{policy}}, nil, "2024-03-08", "manifests")
		}},
		{"new YAML file", func() string {
			writeFile(t, filepath.Join(manifests, "ci.yaml"), "on: push\n")
			return key(checkFlags{policyDirs: []string{policy}}, nil, "2024-03-08", "manifests")
		}},
	} {
		k := c.change()
		if prev, dup := seen[k]; dup {
			t.Errorf("%s: same key as %s", c.name, prev)
		}
		seen[k] = c.name
	}
	// A file the loader never reads is not an input.
	before := key(checkFlags{}, nil, "2024-03-08", "manifests")
	writeFile(t, filepath.Join(manifests, "README.md"), "notes\n")
	if key(checkFlags{}, nil, "2024-03-08", "manifests") != before {
		t.Error("a README beside the manifests changed the key")
	}
	if _, err := checkCacheKey(&checkFlags{}, &config{}, []string{"missing"}, "2024-03-08"); err == nil {
		t.Error("a key for a path that does not exist: want no key (the check reports the path)")
	}
}

// TestCheckCacheDirectory: the default directory follows the environment,
// a directory that cannot be made is a warning only when the user named
// it, and the check's result is the same either way.
func TestCheckCacheDirectory(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"}, "/x/cache/xborder"},
		{map[string]string{"XDG_CACHE_HOME": "relative", "HOME": "/home/u"}, "/home/u/.cache/xborder"},
		{map[string]string{"HOME": "/home/u"}, "/home/u/.cache/xborder"},
		{map[string]string{}, ""},
	} {
		if got := defaultCacheDir(func(k string) string { return c.env[k] }); got != c.want {
			t.Errorf("defaultCacheDir(%v) = %q, want %q", c.env, got, c.want)
		}
	}

	args := []string{"check", fixture("compliant", "manifests"), "--as-of", "2024-03-08"}
	want := runCLI(t, append(args, "--no-cache")...)
	blocker := filepath.Join(t.TempDir(), "file")
	writeFile(t, blocker, "not a directory")

	home := runCLIEnv(t, map[string]string{"HOME": blocker}, args...)
	if home.stderr != want.stderr || home.code != want.code {
		t.Errorf("default cache directory unusable: stderr %q exit %d, want silence and exit %d", home.stderr, home.code, want.code)
	}
	named := runCLIEnv(t, nil, append(args, "--cache-dir", filepath.Join(blocker, "cache"))...)
	if !strings.Contains(named.stderr, "warning: cache: ") || !strings.Contains(named.stderr, "checking without a cache") || named.code != want.code {
		t.Errorf("named cache directory unusable: stderr %q exit %d, want a warning and exit %d", named.stderr, named.code, want.code)
	}
	if sameRun(named.stdout) != sameRun(want.stdout) {
		t.Error("the result changed when the cache could not be used")
	}

	// XBORDER_CACHE_DIR names the directory like --cache-dir.
	dir := t.TempDir()
	runCLIEnv(t, map[string]string{"XBORDER_CACHE_DIR": dir}, args...)
	if len(cacheEntries(t, dir)) != 1 {
		t.Errorf("XBORDER_CACHE_DIR: entries %v, want one", cacheEntries(t, dir))
	}
}

func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			copyDir(t, filepath.Join(src, e.Name()), filepath.Join(dst, e.Name()))
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, e.Name()), string(b))
	}
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func appendFile(t *testing.T, name, content string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(content); err != nil {
		t.Fatal(err)
	}
}

// TestCheckCacheStoresOnlyWhatItRead: a manifest edited while a check ran
// changes the key it would be filed under; the result is then not filed
// (it would answer for contents it was not computed from), and the run
// still prints it.
func TestCheckCacheStoresOnlyWhatItRead(t *testing.T) {
	work := t.TempDir()
	copyDir(t, fixture("kakaopay-alipay", "manifests"), work)
	dir := t.TempDir()
	c, err := cache.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	f := &checkFlags{cacheDir: dir}
	cfg := &config{}
	paths := []string{work}
	key, err := checkCacheKey(f, cfg, paths, "2024-03-08")
	if err != nil {
		t.Fatal(err)
	}
	res, err := computeCheck(t.Context(), f, cfg, paths, "2024-03-08")
	if err != nil {
		t.Fatal(err)
	}
	appendFile(t, filepath.Join(work, "alipay-nsf.yaml"), "# edited meanwhile\n")
	var stderr bytes.Buffer
	back := storeCheck(&env{stderr: &stderr}, f, cfg, paths, "2024-03-08", c, key, res)
	if n := len(cacheEntries(t, dir)); n != 0 {
		t.Errorf("%d entries filed under the contents before the edit, want none", n)
	}
	if back == nil || len(back.findings) != len(res.findings) {
		t.Error("the run lost its result")
	}

	// Unchanged inputs: filed, and handed back as a hit will read it.
	key, _ = checkCacheKey(f, cfg, paths, "2024-03-08")
	back = storeCheck(&env{stderr: &stderr}, f, cfg, paths, "2024-03-08", c, key, res)
	if n := len(cacheEntries(t, dir)); n != 1 {
		t.Errorf("%d entries, want 1", n)
	}
	if hit := cachedCheck(c, key); hit == nil || !cmp.Equal(hit.findings, back.findings) {
		t.Error("the stored result differs from the one the run printed")
	}
	if stderr.Len() > 0 {
		t.Errorf("stderr %q", stderr.String())
	}
}

// TestCheckCacheRefusesForeignDirectory: a --cache-dir that holds other
// files (a mistyped ".") is not used, loses nothing, and says so.
func TestCheckCacheRefusesForeignDirectory(t *testing.T) {
	work := t.TempDir()
	copyDir(t, fixture("compliant", "manifests"), filepath.Join(work, "manifests"))
	writeFile(t, filepath.Join(work, "notes.txt"), "mine\n")
	old := time.Now().Add(-30 * 24 * time.Hour)
	if err := os.Chtimes(filepath.Join(work, "notes.txt"), old, old); err != nil {
		t.Fatal(err)
	}
	t.Chdir(work)
	res := runCLI(t, "check", "manifests", "--as-of", "2024-03-08", "--cache-dir", ".")
	if res.code != ExitOK || !strings.Contains(res.stderr, "holds other files") || !strings.Contains(res.stderr, "checking without a cache") {
		t.Errorf("exit %d, stderr %q; want the check done and a warning", res.code, res.stderr)
	}
	for _, name := range []string{"notes.txt", "manifests/organization.yaml"} {
		if _, err := os.Stat(name); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := os.Stat("CACHEDIR.TAG"); err == nil {
		t.Error("a directory of the user's files was tagged as a cache")
	}
	if res := runCLI(t, "cache", "clean", "--cache-dir", "."); res.code != ExitError || !strings.Contains(res.stderr, "holds other files") {
		t.Errorf("cache clean in the user's directory: exit %d, stderr %q; want a refusal", res.code, res.stderr)
	}
}

// TestFileIdentity tells a binary from a copy with the same size and
// modification time (cp -p, rsync -a, tar), which is another build as far
// as the cache knows.
func TestFileIdentity(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("inode and change time are read on Linux only")
	}
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	writeFile(t, a, "build A")
	writeFile(t, b, "build B")
	fa, err := os.Stat(a)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(b, fa.ModTime(), fa.ModTime()); err != nil {
		t.Fatal(err)
	}
	fb, err := os.Stat(b)
	if err != nil {
		t.Fatal(err)
	}
	if fa.Size() != fb.Size() || !fa.ModTime().Equal(fb.ModTime()) {
		t.Fatal("setup: the two files should share size and modification time")
	}
	if ia, ib := fileIdentity(fa), fileIdentity(fb); ia == "" || ia == ib {
		t.Errorf("fileIdentity: %q and %q, want two different identities", ia, ib)
	}
}
