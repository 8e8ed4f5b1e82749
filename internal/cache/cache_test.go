package cache

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestKeyIsLengthPrefixed(t *testing.T) {
	keys := map[string]string{}
	for name, k := range map[string]*Key{
		"ab,c":         NewKey("ns").Add("ab", "c"),
		"a,bc":         NewKey("ns").Add("a", "bc"),
		"abc":          NewKey("ns").Add("abc"),
		"other ns":     NewKey("ns2").Add("ab", "c"),
		"two adds":     NewKey("ns").Add("ab").Add("c"),
		"empty string": NewKey("ns").Add("ab", "c", ""),
	} {
		keys[name] = k.Sum()
	}
	if keys["ab,c"] != keys["two adds"] {
		t.Error("Add(a, b) and Add(a).Add(b) differ: a key is the sequence of its parts")
	}
	delete(keys, "two adds")
	seen := map[string]string{}
	for name, sum := range keys {
		if len(sum) != 64 {
			t.Errorf("%s: key %q is not a hex SHA-256", name, sum)
		}
		if prev, dup := seen[sum]; dup {
			t.Errorf("%s and %s have the same key", name, prev)
		}
		seen[sum] = name
	}
}

func openTemp(t *testing.T) *Cache {
	t.Helper()
	c, err := Open(filepath.Join(t.TempDir(), "cache"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPutGet(t *testing.T) {
	c := openTemp(t)
	key := NewKey("t").Add("x").Sum()
	if _, ok := c.Get(key); ok {
		t.Fatal("hit in an empty cache")
	}
	if err := c.Put(key, []byte("payload")); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Get(key)
	if !ok || string(got) != "payload" {
		t.Fatalf("Get = %q, %v; want payload", got, ok)
	}
	if err := c.Put(key, []byte("replaced")); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get(key); string(got) != "replaced" {
		t.Errorf("after a second Put: %q", got)
	}
	fi, err := os.Stat(c.path(key))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("entry mode %v, want 0600: results stay the user's", fi.Mode().Perm())
	}
	if di, err := os.Stat(c.Dir()); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("cache directory mode %v (%v), want 0700", di.Mode().Perm(), err)
	}
	for _, bad := range []string{"", "../../etc/passwd", key[:10]} {
		if _, ok := c.Get(bad); ok {
			t.Errorf("Get(%q) hit", bad)
		}
		if err := c.Put(bad, nil); err == nil {
			t.Errorf("Put(%q) accepted a malformed key", bad)
		}
	}
}

// TestDamagedEntries: whatever is wrong with an entry file, Get misses and
// removes it.
func TestDamagedEntries(t *testing.T) {
	for name, damage := range map[string]func([]byte) []byte{
		"payload byte":  func(b []byte) []byte { b[len(b)-1] ^= 1; return b },
		"checksum byte": func(b []byte) []byte { b[len(magic)] ^= 1; return b },
		"other magic":   func(b []byte) []byte { return append([]byte("xborder-cache-0\n"), b[len(magic):]...) },
		"truncated":     func(b []byte) []byte { return b[:len(magic)+10] },
		"empty":         func([]byte) []byte { return nil },
		"extra byte":    func(b []byte) []byte { return append(b, 0) },
	} {
		t.Run(name, func(t *testing.T) {
			c := openTemp(t)
			key := NewKey("t").Add(name).Sum()
			if err := c.Put(key, []byte("a payload of some length")); err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(c.path(key))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(c.path(key), damage(b), 0o600); err != nil {
				t.Fatal(err)
			}
			if got, ok := c.Get(key); ok {
				t.Fatalf("damaged entry read as %q", got)
			}
			if _, err := os.Stat(c.path(key)); !os.IsNotExist(err) {
				t.Errorf("damaged entry kept (%v)", err)
			}
		})
	}
}

// TestTrim: a Put removes entries and stray temporary files unused for a
// week, keeps the rest, and trims at most once a day; a hit makes an entry
// recent again.
func TestTrim(t *testing.T) {
	c := openTemp(t)
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	old, used, fresh := NewKey("t").Add("old").Sum(), NewKey("t").Add("used").Sum(), NewKey("t").Add("fresh").Sum()
	for _, k := range []string{old, used, fresh} {
		if err := c.Put(k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	stray := filepath.Join(c.Dir(), old[:2], ".put-123.tmp")
	if err := os.WriteFile(stray, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	age := func(p string, d time.Duration) {
		if err := os.Chtimes(p, now.Add(-d), now.Add(-d)); err != nil {
			t.Fatal(err)
		}
	}
	age(c.path(old), 8*24*time.Hour)
	age(c.path(used), 8*24*time.Hour)
	age(c.path(fresh), 5*24*time.Hour)
	age(stray, 8*24*time.Hour)
	if _, ok := c.Get(used); !ok { // refreshes it
		t.Fatal("used entry missing")
	}

	// The Puts above trimmed (the stamp is now): no trim for a day.
	if err := c.Put(NewKey("t").Add("new").Sum(), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.path(old)); err != nil {
		t.Fatal("trimmed twice within a day")
	}
	now = now.Add(25 * time.Hour)
	if err := c.Put(NewKey("t").Add("newer").Sum(), nil); err != nil {
		t.Fatal(err)
	}
	for p, want := range map[string]bool{c.path(old): false, stray: false, c.path(used): true, c.path(fresh): true} {
		if _, err := os.Stat(p); (err == nil) != want {
			t.Errorf("%s: exists %v, want %v", filepath.Base(p), err == nil, want)
		}
	}
}

// TestClean removes the entries and nothing else of the directory, even a
// user's file inside a directory named like a shard.
func TestClean(t *testing.T) {
	c := openTemp(t)
	for _, s := range []string{"a", "b", "c"} {
		if err := c.Put(NewKey("t").Add(s).Sum(), []byte(s)); err != nil {
			t.Fatal(err)
		}
	}
	a := NewKey("t").Add("a").Sum()
	mine := []string{"notes.txt", "zz/keep", "ab.txt", a[:2] + "/notes", "db/x"}
	for _, f := range mine {
		p := filepath.Join(c.Dir(), f)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("user's"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	n, err := c.Clean()
	if err != nil || n != 3 {
		t.Fatalf("Clean = %d, %v; want 3 entries removed", n, err)
	}
	want := append([]string{tagName}, mine...)
	if got := files(t, c.Dir()); !slices.Equal(got, sorted(want)) {
		t.Errorf("left after Clean: %v, want the tag and the user's files %v", got, sorted(want))
	}
	if _, ok := c.Get(a); ok {
		t.Error("entry readable after Clean")
	}
}

// TestTrimLeavesOthersAlone: an old file the cache did not write survives
// a trim, wherever it is.
func TestTrimLeavesOthersAlone(t *testing.T) {
	c := openTemp(t)
	key := NewKey("t").Add("x").Sum()
	if err := c.Put(key, nil); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-30 * 24 * time.Hour)
	others := []string{"notes.txt", key[:2] + "/notes", ".git/objects/ab/cdef", "db/x"}
	for _, f := range others {
		p := filepath.Join(c.Dir(), f)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(c.path(key), old, old); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(c.Dir(), "trim.txt"))
	if err := c.Put(NewKey("t").Add("y").Sum(), nil); err != nil { // trims
		t.Fatal(err)
	}
	got := files(t, c.Dir())
	for _, f := range others {
		if !slices.Contains(got, f) {
			t.Errorf("trim removed %s, a file the cache did not write", f)
		}
	}
	if _, err := os.Stat(c.path(key)); err == nil {
		t.Error("trim kept an entry unused for 30 days")
	}
}

// TestOpenRefuses a directory holding other files without the cache's tag
// (a mistyped --cache-dir: ".", $HOME), one others may write into, and a
// tag that is not one; it adopts an untagged directory of its own entries.
func TestOpenRefuses(t *testing.T) {
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, ".profile"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(home); err == nil || !strings.Contains(err.Error(), "holds other files (.profile) and no CACHEDIR.TAG") {
		t.Errorf("Open(a home directory) = %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(home, tagName)); err == nil {
		t.Error("a refused directory was tagged")
	}

	shared := filepath.Join(t.TempDir(), "shared")
	if err := os.Mkdir(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(shared, 0o777); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(shared); err == nil || !strings.Contains(err.Error(), "writable by others") {
		t.Errorf("Open(a world-writable directory) = %v, want a refusal", err)
	}

	fake := t.TempDir()
	if err := os.WriteFile(filepath.Join(fake, tagName), []byte("not a tag\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(fake); err == nil {
		t.Error("Open accepted a CACHEDIR.TAG without the signature")
	}

	own := t.TempDir()
	if err := os.MkdirAll(filepath.Join(own, "ab"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(own, "trim.txt"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(own); err != nil {
		t.Errorf("Open(an untagged cache of its own) = %v", err)
	}
	if b, err := os.ReadFile(filepath.Join(own, tagName)); err != nil || !strings.HasPrefix(string(b), "Signature: 8a477f597d28d172789f06886806bc55\n") {
		t.Errorf("adopted cache not tagged: %q, %v", b, err)
	}
}

// files lists the files under dir, relative, slash-separated, sorted.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
